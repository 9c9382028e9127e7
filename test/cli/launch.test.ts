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

/** A command's I/O pointed at the simulator, with a state dir of its own. */
function ioFor(sim: Sim) {
  const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-launch-'));
  return fakeIo({ env: { PROXMOX_VE_ENDPOINT: sim.url, PROXMOX_VE_API_TOKEN: sim.token, PVETASKS_STATE_DIR: stateDir }, cwd: stateDir });
}

/** Highest number of `tasks` running at the same instant. */
function maxConcurrent(tasks: Array<{ startedAt: number; endedAt?: number }>, now: number): number {
  const edges = tasks.flatMap((task) => [
    { at: task.startedAt, delta: 1 },
    { at: task.endedAt ?? now, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let max = 0;
  for (const edge of edges) max = Math.max(max, (running += edge.delta));
  return max;
}

describe('pvetasks start', () => {
  let sim: Sim;
  let clock: ManualClock;
  before(async () => {
    clock = new ManualClock();
    sim = await startSimulator({ clock, nodes: 3, guests: 60, seed: 11, unauthorizedDelayMs: 0 });
  });
  after(() => sim.close());

  test('20 guests on 3 nodes with --parallel 4: never more than 4 of our tasks at once, the right outcome for each guest', async () => {
    const role = (name: Parameters<typeof sim.control.guestWithRole>[0]) => sim.control.guestWithRole(name);
    const special = {
      alreadyRunningVm: role('runningQemu'),
      runningCt: role('runningLxc'),
      failsToStart: role('failsToStart'),
      template: role('qemuTemplate'),
      ha: role('haStoppedQemu'),
    };
    const specialIds = new Set(Object.values(special).map((guest) => guest.vmid));
    const plain = sim.control
      .guests()
      .filter(
        (guest) =>
          guest.status === 'stopped' && !guest.template && guest.roles.length === 0 && !guest.hastate && !specialIds.has(guest.vmid),
      )
      .slice(0, 15);
    assert.equal(plain.length, 15);
    const targets = [...Object.values(special), ...plain];
    assert.equal(new Set(targets.map((guest) => guest.node)).size, 3, 'guests on 3 nodes');

    const io = ioFor(sim);
    // The HA guest's state at the moment its outcome is written: hastart only asked the HA stack.
    let haStatusWhenReported: string | undefined;
    const write = io.stdout.write.bind(io.stdout) as (chunk: string) => boolean;
    io.stdout.write = ((chunk: string) => {
      if (haStatusWhenReported === undefined && chunk.includes('"finished"') && chunk.includes(`"vmid":${special.ha.vmid},`)) {
        sim.control.settle();
        haStatusWhenReported = sim.control.guest(special.ha.vmid)!.status;
      }
      return write(chunk);
    }) as typeof io.stdout.write;
    const run = createLaunchCommand('start', { clock });
    // --no-skip: the running and template guests are sent anyway, so PVE's own refusals are what is tested.
    const code = await clock.runUntil(run([...targets.map((guest) => String(guest.vmid)), '--parallel', '4', '--no-skip', '--json'], io));

    const finished = io.stdout.json().filter((event) => event.event === 'finished');
    assert.equal(finished.length, 20, 'one finished event per requested guest');
    const byVmid = new Map(finished.map((event) => [event.vmid as number, event]));
    assert.equal(byVmid.get(special.alreadyRunningVm.vmid)!.outcome, 'failed');
    assert.equal(byVmid.get(special.alreadyRunningVm.vmid)!.exitstatus, `VM ${special.alreadyRunningVm.vmid} already running`);
    const ct = byVmid.get(special.runningCt.vmid)!;
    assert.equal(ct.outcome, 'failed');
    assert.equal(ct.upid, null, 'refused before any task');
    assert.match(String(ct.message), new RegExp(`CT ${special.runningCt.vmid} already running`));
    assert.equal(byVmid.get(special.failsToStart.vmid)!.outcome, 'failed');
    assert.match(String(byVmid.get(special.template.vmid)!.exitstatus), /template/);
    assert.equal(byVmid.get(special.ha.vmid)!.outcome, 'ok');
    assert.equal(haStatusWhenReported, 'running', 'the HA guest counted OK only once it ran');
    for (const guest of plain) assert.equal(byVmid.get(guest.vmid)!.outcome, 'ok', `guest ${guest.vmid}`);
    assert.deepEqual(io.stdout.json().at(-1), { event: 'summary', ok: 16, warnings: 0, failed: 4, timeout: 0, unknown: 0, skipped: 0 });
    assert.equal(code, 1);

    const ours = sim.control.tasks().filter((task) => task.user === 'root@pam!pvetasks' || task.user === sim.token.split('=')[0]);
    assert.ok(ours.length >= 19, `our tasks on the simulator (${ours.length})`);
    assert.ok(maxConcurrent(ours, clock.now()) <= 4, `at most 4 at once, saw ${maxConcurrent(ours, clock.now())}`);
    assert.ok(maxConcurrent(ours, clock.now()) >= 2, 'the slots were used in parallel');
    const starts = new Map<string, number>();
    for (const task of ours) starts.set(task.id, (starts.get(task.id) ?? 0) + 1);
    assert.ok(
      [...starts.values()].every((count) => count === 1),
      'no guest was started twice',
    );
    assert.doesNotMatch(io.stderr.text, new RegExp(sim.token.split('=')[1]!), 'no secret on stderr');
  });

  test('an unknown guest is refused before anything starts (exit 2)', async () => {
    const before = sim.control.tasks().length;
    const stopped = sim.control.guestWithRole('stoppedQemu');
    const io = ioFor(sim);
    const code = await clock.runUntil(createLaunchCommand('start', { clock })([String(stopped.vmid), '99999'], io));
    assert.equal(code, 2);
    assert.match(io.stderr.text, /guest 99999 does not exist.*nothing was started/);
    assert.equal(sim.control.tasks().length, before);
  });
});

describe('pvetasks backup and snapshot', () => {
  let sim: Sim;
  let clock: ManualClock;
  before(async () => {
    clock = new ManualClock();
    sim = await startSimulator({ clock, nodes: 3, guests: 40, seed: 5, unauthorizedDelayMs: 0 });
  });
  after(() => sim.close());

  test('a multi-guest backup is one vzdump per node, with per-guest results from its log', async () => {
    const warns = sim.control.guestWithRole('backupWarnings');
    const others = sim.control
      .guests({ node: warns.node })
      .filter((guest) => guest.vmid !== warns.vmid && guest.roles.length === 0 && !guest.template)
      .slice(0, 2);
    const vmids = [warns.vmid, ...others.map((guest) => guest.vmid)];
    const io = ioFor(sim);
    const code = await clock.runUntil(createLaunchCommand('backup', { clock })([...vmids.map(String), '--storage', 'local', '--json'], io));
    const jobs = sim.control.tasks({ type: 'vzdump' }).filter((task) => task.node === warns.node && task.id === '');
    assert.equal(jobs.length, 1, 'one Backup Job for the node');
    const finished = io.stdout.json().filter((event) => event.event === 'finished');
    assert.equal(finished.length, 3);
    assert.ok(
      finished.every((event) => event.upid === jobs[0]!.upid),
      "the guests share the job's UPID",
    );
    const warned = finished.find((event) => event.vmid === warns.vmid)!;
    assert.equal(warned.outcome, 'warnings');
    assert.match(String(warned.exitstatus), /^WARNINGS: \d+$/);
    assert.equal(code, 0, 'warnings are a success');
  });

  test('a snapshot is verified in the list; an invalid name is refused before any request', async () => {
    const guest = sim.control.guestWithRole('stoppedQemu');
    const io = ioFor(sim);
    const code = await clock.runUntil(
      createLaunchCommand('snapshot', { clock })([String(guest.vmid), '--name', 'pre-upgrade', '--json'], io),
    );
    assert.equal(code, 0);
    assert.equal(io.stdout.json().find((event) => event.event === 'finished')!.outcome, 'ok');
    assert.ok(sim.control.snapshots(guest.node, 'qemu', guest.vmid).some((snapshot) => snapshot.name === 'pre-upgrade'));

    sim.control.resetCounters();
    for (const bad of ['1st', 'x', 'current', 'a'.repeat(41), 'has space']) {
      const badIo = ioFor(sim);
      const badCode = await clock.runUntil(createLaunchCommand('snapshot', { clock })([String(guest.vmid), '--name', bad], badIo));
      assert.equal(badCode, 2, `name '${bad}'`);
      assert.match(badIo.stderr.text, /--name/);
    }
    assert.equal(sim.control.counters().total, 0, 'no request was made');
  });

  test('a duplicate snapshot name fails in its task, as on PVE', async () => {
    const guest = sim.control.guestWithRole('stoppedQemu');
    const io = ioFor(sim);
    const code = await clock.runUntil(
      createLaunchCommand('snapshot', { clock })([String(guest.vmid), '--name', 'pre-upgrade', '--json'], io),
    );
    assert.equal(code, 1);
    assert.match(String(io.stdout.json().find((event) => event.event === 'finished')!.exitstatus), /already used/);
  });
});
