// The maintenance commands against the simulator: shutdown (PVE's timeout and forceStop handed over),
// stop, reboot, migrate (the target checked before any request, what PVE's migration check refuses
// named, containers by restart migration, HA guests through the HA stack) and drain (its plan, asked
// for, then every guest of a node with a mix of running, stopped, HA, locked and template guests).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createDrainCommand } from '../../src/cli/commands/drain.js';
import { createLaunchCommand } from '../../src/cli/commands/launch.js';
import { startSimulator } from '../../src/sim/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { fakeIo } from './fake-io.js';

type Sim = Awaited<ReturnType<typeof startSimulator>>;
type Event = Record<string, unknown>;

function ioFor(sim: Sim, { tty = false } = {}) {
  const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-maint-'));
  return fakeIo({
    env: { PROXMOX_VE_ENDPOINT: sim.url, PROXMOX_VE_API_TOKEN: sim.token, PVETASKS_STATE_DIR: stateDir },
    cwd: stateDir,
    tty,
  });
}
const finishedOf = (events: Event[]) => new Map(events.filter((e) => e.event === 'finished').map((e) => [e.vmid as number, e]));

describe('pvetasks shutdown, stop, reboot, migrate', () => {
  let sim: Sim;
  let clock: ManualClock;
  before(async () => {
    clock = new ManualClock();
    sim = await startSimulator({ clock, nodes: 3, guests: 40, seed: 11, unauthorizedDelayMs: 0 });
  });
  after(() => sim.close());
  const run = (action: Parameters<typeof createLaunchCommand>[0], args: string[], io = ioFor(sim)) =>
    clock
      .runUntil(createLaunchCommand(action, { clock })([...args, '--json'], io))
      .then((code) => ({ code, io, events: io.stdout.json() }));

  test('shutdown hands PVE its timeout and forceStop: a VM that ignores ACPI is stopped after 30 s; a stopped guest is skipped', async () => {
    const stubborn = sim.control.guestWithRole('ignoresShutdown');
    const stopped = sim.control.guestWithRole('stoppedQemu');
    const { code, events } = await run('shutdown', [
      String(stubborn.vmid),
      String(stopped.vmid),
      '--shutdown-timeout',
      '30',
      '--force-stop',
    ]);
    const finished = finishedOf(events);
    assert.equal(finished.get(stubborn.vmid)!.outcome, 'ok');
    assert.equal(finished.get(stubborn.vmid)!.type, 'qmshutdown');
    assert.equal(finished.get(stopped.vmid)!.outcome, 'skipped');
    assert.equal(finished.get(stopped.vmid)!.message, 'already stopped');
    const task = sim.control.task(String(finished.get(stubborn.vmid)!.upid))!;
    assert.ok(task.endedAt! - task.startedAt >= 30_000, 'PVE waited the 30 s it was given');
    assert.ok(task.log.includes('VM still running - terminating now with SIGTERM'), 'forceStop was sent');
    assert.equal(sim.control.guest(stubborn.vmid)!.status, 'stopped');
    assert.equal(code, 0);
  });

  test('stop and reboot: OK once stopped, and once up again; a reboot of a stopped guest is skipped', async () => {
    const [a, b] = sim.control.guests({ type: 'lxc', status: 'running' }).filter((g) => g.roles.length === 0 && !g.hastate);
    const stop = await run('stop', [String(a!.vmid)]);
    assert.equal(finishedOf(stop.events).get(a!.vmid)!.outcome, 'ok');
    assert.equal(sim.control.guest(a!.vmid)!.status, 'stopped');
    const reboot = await run('reboot', [String(b!.vmid), String(a!.vmid), '--shutdown-timeout', '2m']);
    const finished = finishedOf(reboot.events);
    assert.equal(finished.get(b!.vmid)!.outcome, 'ok');
    assert.equal(finished.get(b!.vmid)!.type, 'vzreboot');
    assert.deepEqual([finished.get(a!.vmid)!.outcome, finished.get(a!.vmid)!.message], ['skipped', 'not running']);
    assert.equal(reboot.code, 0);
  });

  test('migrate: a target not in the cluster, offline, or mistyped is refused before any request (exit 2)', async () => {
    const vm = sim.control.guestWithRole('sharedDiskQemu');
    sim.control.resetCounters();
    const unknown = await run('migrate', [String(vm.vmid), '--target', 'pve7']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.io.stderr.text, /--target pve7 is not a node of this cluster \(nothing was started\); nodes: pve1, pve2, pve3/);
    const bad = await run('migrate', [String(vm.vmid), '--target', 'pve_2']);
    assert.equal(bad.code, 2);
    assert.match(bad.io.stderr.text, /--target: .*pve_2.* is not a node name/);
    const missing = await run('migrate', [String(vm.vmid)]);
    assert.equal(missing.code, 2);
    assert.match(missing.io.stderr.text, /needs --target NODE/);
    await sim.control.addFault('offline=pve3:refuse');
    try {
      const offline = await run('migrate', [String(vm.vmid), '--target', 'pve3']);
      assert.equal(offline.code, 2);
      assert.match(offline.io.stderr.text, /--target pve3 is offline \(nothing was started\)/);
    } finally {
      await sim.control.clearFaults();
    }
    const posts = Object.keys(sim.control.counters().byRoute).filter((route) => route.startsWith('POST'));
    assert.deepEqual(posts, [], 'nothing was sent');
  });

  test("migrate: what PVE's migration check would refuse is named before any request; a guest already there is skipped", async () => {
    const devices = sim.control.guestWithRole('localDevices');
    const local = sim.control.guestWithRole('runningQemu');
    const target = ['pve1', 'pve2', 'pve3'].find((node) => node !== devices.node && node !== local.node)!;
    const already = sim.control.guests({ node: target, type: 'qemu' }).find((g) => g.roles.length === 0 && !g.template && !g.hastate)!;
    sim.control.resetCounters();
    const { code, events } = await run('migrate', [devices, local, already].map((g) => String(g.vmid)).concat('--target', target));
    const finished = finishedOf(events);
    assert.deepEqual(
      [devices, local, already].map((g) => [finished.get(g.vmid)!.outcome, finished.get(g.vmid)!.message, finished.get(g.vmid)!.upid]),
      [
        [
          'failed',
          `uses local devices: hostpci0; runs with local disks (local-lvm:vm-${devices.vmid}-disk-0) and with-local-disks was not given`,
          null,
        ],
        ['failed', `runs with local disks (local-lvm:vm-${local.vmid}-disk-0) and with-local-disks was not given`, null],
        ['skipped', `already on ${target}`, null],
      ],
    );
    assert.equal(finished.get(local.vmid)!.target_node, target);
    assert.equal(sim.control.counters().byRoute['POST /nodes/{node}/qemu/{vmid}/migrate'], undefined, 'no migration was sent');
    assert.equal(code, 1);
  });

  test('migrate: a VM live with --with-local-disks, a running CT restarted on the target, an HA VM through the HA stack', async () => {
    const vm = sim.control.guestWithRole('runningQemu');
    // Without snapshots: those on local-lvm cannot move (PVE refuses that in the task).
    const ct = sim.control
      .guests({ type: 'lxc', status: 'running' })
      .find((g) => g.roles.length === 0 && !g.hastate && sim.control.snapshots(g.node, 'lxc', g.vmid).length === 0)!;
    const ha = sim.control.guestWithRole('haRunningQemu');
    const target = ['pve1', 'pve2', 'pve3'].find((node) => ![vm.node, ct.node, ha.node].includes(node))!;
    assert.ok(target, 'a node none of the three is on');
    const io = ioFor(sim);
    const { code, events } = await run(
      'migrate',
      [String(vm.vmid), String(ct.vmid), String(ha.vmid), '--target', target, '--with-local-disks'],
      io,
    );
    const finished = finishedOf(events);
    assert.deepEqual(
      [vm, ct, ha].map((g) => [finished.get(g.vmid)!.type, finished.get(g.vmid)!.outcome, finished.get(g.vmid)!.target_node]),
      [
        ['qmigrate', 'ok', target],
        ['vzmigrate', 'ok', target],
        ['hamigrate', 'ok', target],
      ],
    );
    for (const guest of [vm, ct, ha]) {
      assert.equal(sim.control.guest(guest.vmid)!.node, target, `guest ${guest.vmid} on ${target}`);
      assert.equal(sim.control.guest(guest.vmid)!.status, 'running');
    }
    assert.match(io.stderr.text, new RegExp(`finished  CT ${ct.vmid} \\(.*\\) -> ${target}  OK`));
    assert.match(io.stderr.text, new RegExp(`^pvetasks: note: CT ${ct.vmid} restarts: containers move by restart migration`, 'm'));
    assert.equal(code, 0);
  });
});

describe('pvetasks drain', () => {
  let sim: Sim;
  let clock: ManualClock;
  const NODE = 'pve2';
  before(async () => {
    clock = new ManualClock();
    sim = await startSimulator({ clock, nodes: 3, guests: 40, seed: 23, unauthorizedDelayMs: 0, speed: 4 });
  });
  after(() => sim.close());
  const drain = (args: string[], io = ioFor(sim)) =>
    clock.runUntil(createDrainCommand({ clock })(args, io)).then((code) => ({ code, io, events: io.stdout.json() }));

  test('the node holds a mix: running, stopped, HA, template guests', () => {
    const guests = sim.control.guests({ node: NODE });
    assert.ok(guests.some((g) => g.status === 'running' && !g.hastate));
    assert.ok(guests.some((g) => g.status === 'stopped' && !g.template));
    assert.ok(guests.some((g) => g.hastate));
    assert.ok(guests.some((g) => g.template));
  });

  test('without a terminal and without --yes: the plan, then exit 2 and nothing sent', async () => {
    sim.control.resetCounters();
    const { code, io } = await drain([NODE]);
    assert.equal(code, 2);
    assert.match(io.stderr.text, new RegExp(`^drain ${NODE}: \\d+ of \\d+ guests to pve1, pve3 \\(spread by free memory\\)$`, 'm'));
    const template = sim.control.guests({ node: NODE }).find((g) => g.template)!;
    assert.match(io.stderr.text, new RegExp(`^  (VM|CT) ${template.vmid} .* stays: template$`, 'm'));
    assert.match(io.stderr.text, /not started: add --yes to drain without a terminal/);
    const posts = Object.keys(sim.control.counters().byRoute).filter((route) => route.startsWith('POST'));
    assert.deepEqual(posts, []);
  });

  test('a token without Sys.Audit on the nodes cannot see their memory: spread evenly by count, and the plan says so', async () => {
    const token = sim.control.addToken('ops', { privileges: 'ops' });
    const io = ioFor(sim);
    io.env.PROXMOX_VE_API_TOKEN = token;
    const { code } = await drain([NODE], io);
    assert.equal(code, 2);
    assert.match(io.stderr.text, new RegExp(`^drain ${NODE}: \\d+ of \\d+ guests to pve1, pve3 \\(spread by count\\)$`, 'm'));
    assert.match(
      io.stderr.text,
      /^note: node memory is not visible to these credentials \(Sys\.Audit on the nodes\): guests spread evenly by count$/m,
    );
    const targets = [...io.stderr.text.matchAll(/ -> (pve\d)$/gm)].map((match) => match[1]);
    const counts = ['pve1', 'pve3'].map((node) => targets.filter((target) => target === node).length);
    assert.ok(Math.abs(counts[0]! - counts[1]!) <= 1, `even: ${counts}`);
  });

  test('on a terminal, Enter alone is no: nothing is sent', async () => {
    sim.control.resetCounters();
    const io = ioFor(sim, { tty: true });
    io.stdin.isTTY = true;
    const answered = drain([NODE], io);
    (io.stdin as PassThrough).write('\n');
    const { code } = await answered;
    assert.equal(code, 0);
    assert.match(io.stderr.text, /Drain pve2 as planned\? \[y\/N\] pvetasks: not started/);
    assert.deepEqual(
      Object.keys(sim.control.counters().byRoute).filter((route) => route.startsWith('POST')),
      [],
    );
  });

  test('answered y: every guest that can move lands on another node; templates stay; the ones PVE would refuse are named', async () => {
    const before = sim.control.guests({ node: NODE });
    const terminal = ioFor(sim, { tty: true });
    terminal.stdin.isTTY = true;
    const answered = drain([NODE, '--with-local-disks', '--json'], terminal);
    (terminal.stdin as PassThrough).write('y\n');
    const { code, events, io } = await answered;
    const finished = finishedOf(events);
    assert.equal(finished.size, before.length, 'one finished event per guest of the node');
    for (const guest of before) {
      const event = finished.get(guest.vmid)!;
      const now = sim.control.guest(guest.vmid)!;
      if (guest.template) assert.deepEqual([event.outcome, event.message, now.node], ['skipped', 'template', NODE]);
      else if (guest.lock) assert.deepEqual([event.outcome, now.node], ['skipped', NODE]);
      else if (guest.roles.includes('localDevices'))
        assert.deepEqual([event.outcome, event.message, now.node], ['failed', 'uses local devices: hostpci0', NODE]);
      else if (event.outcome === 'ok') {
        assert.notEqual(now.node, NODE, `guest ${guest.vmid} left ${NODE}`);
        assert.equal(now.node, event.target_node);
        assert.equal(now.status, guest.status, `guest ${guest.vmid} is ${guest.status} again, as before`);
        assert.equal(event.type, guest.hastate ? 'hamigrate' : guest.type === 'qemu' ? 'qmigrate' : 'vzmigrate');
      } else {
        // Refused by PVE in its task (a snapshot on local storage): it stays, with PVE's words.
        assert.equal(event.exitstatus, 'migration aborted', `guest ${guest.vmid}: ${JSON.stringify(event)}`);
        assert.equal(now.node, NODE);
      }
    }
    const moved = before.filter((g) => finishedOf(events).get(g.vmid)!.outcome === 'ok');
    assert.ok(moved.some((g) => g.hastate) && moved.some((g) => g.status === 'stopped') && moved.some((g) => g.status === 'running'));
    assert.ok(code === 0 || code === 1, io.stderr.text);
    const migrations = sim.control.tasks().filter((task) => /migrate$/.test(task.type) && task.user !== 'root@pam');
    const perGuest = new Map<string, number>();
    for (const task of migrations) perGuest.set(task.id, (perGuest.get(task.id) ?? 0) + 1);
    assert.ok(
      [...perGuest.values()].every((count) => count === 1),
      'one migration per guest',
    );
  });

  test('a drain of a node already empty (of what can move) and an unknown node', async () => {
    const unknown = await drain(['pve9', '--yes']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.io.stderr.text, /pve9 is not a node of this cluster \(nothing was started\)/);
    const offline = await drain([NODE, '--to', 'pve1,pve2', '--yes']);
    assert.equal(offline.code, 2);
    assert.match(offline.io.stderr.text, /target pve2 is the node being drained/);
  });
});
