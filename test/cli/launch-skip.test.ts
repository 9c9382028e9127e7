// What a launch command does with guests that need nothing, should not be touched now, or may not be
// touched by these credentials: skipped or refused with the reason, before any request (issues 13, 15).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLaunchCommand } from '../../src/cli/commands/launch.js';
import { startSimulator } from '../../src/sim/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { fakeIo } from './fake-io.js';

type Sim = Awaited<ReturnType<typeof startSimulator>>;

describe('launch commands skip and refuse before sending', () => {
  let sim: Sim;
  let clock: ManualClock;
  before(async () => {
    clock = new ManualClock();
    sim = await startSimulator({ clock, nodes: 3, guests: 30, seed: 11, unauthorizedDelayMs: 0 });
  });
  after(() => sim.close());

  function ioFor(token = sim.token) {
    const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-skip-'));
    return fakeIo({ env: { PROXMOX_VE_ENDPOINT: sim.url, PROXMOX_VE_API_TOKEN: token, PVETASKS_STATE_DIR: stateDir }, cwd: stateDir });
  }
  const ours = (vmid: number, type: string) => sim.control.tasks({ id: String(vmid) }).filter((task) => task.type === type);

  test('start: a running guest, a template and a guest with a task in flight are skipped with the reason, exit 0; the rest start', async () => {
    const running = sim.control.guestWithRole('runningQemu');
    const template = sim.control.guestWithRole('qemuTemplate');
    const stopped = sim.control.guestWithRole('stoppedQemu');
    const busy = sim.control.guestWithRole('stoppedLxc');
    sim.control.spawnTask({ node: busy.node, type: 'vzdump', id: String(busy.vmid), user: 'backup@pve', durationMs: 10 * 60_000 });
    const before = sim.control.tasks().length;
    const io = ioFor();
    const args = [running, template, stopped, busy].map((guest) => String(guest.vmid));
    const code = await clock.runUntil(createLaunchCommand('start', { clock })([...args, '--json'], io));
    assert.equal(code, 0, io.stderr.text);
    const finished = new Map(
      io.stdout
        .json()
        .filter((event) => event.event === 'finished')
        .map((event) => [event.vmid as number, event]),
    );
    assert.deepEqual(
      { ...finished.get(running.vmid), duration_s: 0 },
      {
        event: 'finished',
        upid: null,
        node: running.node,
        vmid: running.vmid,
        type: 'qmstart',
        outcome: 'skipped',
        exitstatus: null,
        message: 'already running',
        duration_s: 0,
      },
    );
    assert.equal(finished.get(template.vmid)!.message, 'template');
    assert.match(String(finished.get(busy.vmid)!.message), /^task in flight: /);
    assert.equal(finished.get(stopped.vmid)!.outcome, 'ok');
    assert.deepEqual(io.stdout.json().at(-1), { event: 'summary', ok: 1, warnings: 0, failed: 0, timeout: 0, unknown: 0, skipped: 3 });
    assert.equal(sim.control.tasks().length, before + 1, 'only the stopped guest got a request');
    assert.match(io.stderr.text, new RegExp(`finished  VM ${running.vmid}.*skipped \\(already running\\)`));
    assert.match(io.stderr.text, /4 targets: 1 ok, 3 skipped/);
  });

  test('--no-skip sends anyway: PVE answers a running VM with its own error', async () => {
    const running = sim.control.guestWithRole('runningQemu');
    const io = ioFor();
    const code = await clock.runUntil(createLaunchCommand('start', { clock })([String(running.vmid), '--no-skip', '--json'], io));
    assert.equal(code, 1);
    const finished = io.stdout.json().find((event) => event.event === 'finished')!;
    assert.equal(finished.outcome, 'failed');
    assert.equal(finished.exitstatus, `VM ${running.vmid} already running`);
  });

  test('a privilege the token lacks is named and the guest refused before any request', async () => {
    // A token that may see and power guests, but not snapshot them.
    const token = sim.control.addToken('power', { user: 'power@pve', acl: [{ path: '/vms', privileges: ['VM.Audit', 'VM.PowerMgmt'] }] });
    const guest = sim.control.guestWithRole('stoppedQemu');
    const before = ours(guest.vmid, 'qmsnapshot').length;
    const io = ioFor(token);
    const code = await clock.runUntil(
      createLaunchCommand('snapshot', { clock })([String(guest.vmid), '--name', 'pre-upgrade', '--json'], io),
    );
    assert.equal(code, 1, io.stderr.text);
    const finished = io.stdout.json().find((event) => event.event === 'finished')!;
    assert.equal(finished.outcome, 'failed');
    assert.equal(finished.upid, null);
    assert.equal(finished.message, `needs VM.Snapshot on /vms/${guest.vmid}`);
    assert.equal(ours(guest.vmid, 'qmsnapshot').length, before, 'no snapshot was asked for');
  });
});
