// A launch command run again after an SSH drop: it adopts the tasks its first run left running, and
// they follow the new run's --timeout (deadlines count from when pvetasks first saw the task).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLaunchCommand } from '../../src/cli/commands/launch.js';
import { startSimulator } from '../../src/sim/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { fakeIo } from './fake-io.js';

const SECOND = 1000;

test('a rerun adopts the running backup and applies its own --timeout to it', async () => {
  const clock = new ManualClock();
  const sim = await startSimulator({ clock, nodes: 2, guests: 20, seed: 5, unauthorizedDelayMs: 0 });
  try {
    // A VM's backup: its progress phase alone lasts at least 4 s of simulated time.
    const guest = sim.control
      .guests()
      .find((candidate) => candidate.type === 'qemu' && !candidate.template && candidate.roles.length === 0)!;
    const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-rerun-'));
    const env = { PROXMOX_VE_ENDPOINT: sim.url, PROXMOX_VE_API_TOKEN: sim.token, PVETASKS_STATE_DIR: stateDir };
    const args = [String(guest.vmid), '--storage', 'local', '--json'];

    // The first run: the backup starts, then the SSH session drops (SIGHUP ends the command).
    const first = fakeIo({ env, cwd: stateDir });
    const started = new Promise<void>((resolve) => {
      const write = first.stdout.write.bind(first.stdout) as (chunk: string) => boolean;
      first.stdout.write = ((chunk: string) => {
        if (chunk.includes('"started"')) resolve();
        return write(chunk);
      }) as typeof first.stdout.write;
    });
    const firstRun = createLaunchCommand('backup', { clock })(args, first);
    await clock.runUntil(started);
    first.controller.abort(new Error('interrupted by SIGHUP'));
    assert.equal(await clock.runUntil(firstRun), 130);
    const upid = first.stdout.json().find((event) => event.event === 'started')!.upid;

    // Two seconds later the operator runs it again, with a deadline that has passed since the first run saw the task.
    await clock.advance(2 * SECOND);
    const again = fakeIo({ env, cwd: stateDir });
    const code = await clock.runUntil(createLaunchCommand('backup', { clock })([...args, '--timeout', '1s'], again));
    const finished = again.stdout.json().filter((event) => event.event === 'finished');
    assert.equal(finished.length, 1);
    assert.equal(finished[0]!.upid, upid, 'the running task was adopted, not launched again');
    assert.equal(finished[0]!.outcome, 'timeout');
    assert.equal(code, 124);
    assert.equal(sim.control.tasks({ id: String(guest.vmid) }).filter((task) => task.type === 'vzdump').length, 1, 'one backup');
  } finally {
    await sim.close();
  }
});
