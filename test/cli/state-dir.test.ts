// A state dir others could write stops a launch command before anything starts: exit 2, one line that
// names the dir and the fix.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLaunchCommand } from '../../src/cli/commands/launch.js';
import { startSimulator } from '../../src/sim/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { fakeIo } from './fake-io.js';

let sim: Awaited<ReturnType<typeof startSimulator>>;
const clock = new ManualClock();
before(async () => {
  sim = await startSimulator({ clock, nodes: 2, guests: 10, seed: 5, unauthorizedDelayMs: 0 });
});
after(() => sim.close());

test(
  'start with a state dir writable by others: exit 2, the dir and `chmod 700` named, no guest started',
  { skip: process.platform === 'win32' },
  async () => {
    const stateDir = join(mkdtempSync(join(tmpdir(), 'pvetasks-cli-')), 'state');
    mkdirSync(stateDir);
    chmodSync(stateDir, 0o777);
    const io = fakeIo({
      env: { PROXMOX_VE_ENDPOINT: sim.url, PROXMOX_VE_API_TOKEN: sim.token, PVETASKS_STATE_DIR: stateDir },
      cwd: stateDir,
    });
    const guest = sim.control.guestWithRole('stoppedQemu');
    const tasksBefore = sim.control.tasks().length;
    const code = await clock.runUntil(createLaunchCommand('start', { clock })([String(guest.vmid)], io));
    assert.equal(code, 2);
    assert.equal(
      io.stderr.text,
      `pvetasks: the state dir ${stateDir} is writable by others, who could plant files in it; refused. Fix: chmod 700 ${stateDir}\n`,
    );
    assert.equal(sim.control.tasks().length, tasksBefore, 'nothing was started');
    assert.deepEqual(readdirSync(stateDir), []);
  },
);
