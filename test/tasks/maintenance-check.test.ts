// The maintenance actions before anything is sent: what launch-check skips and refuses for shutdown,
// stop, reboot and migrate, the specs and task types each one makes, its deadline, and how a drain
// spreads guests over its targets.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assignTargets, drainTargets, DrainError } from '../../src/tasks/drain.js';
import { checkLaunch, type CheckView } from '../../src/tasks/launch-check.js';
import { expectedTaskType, launchDeadlineMs, planLaunches, taskTypesOf } from '../../src/tasks/launch-plan.js';
import { blockerOf, type NodeCapacity } from '../../src/tasks/migration-reads.js';
import { createPollContext } from '../../src/tasks/poller/context.js';
import { runPostChecks } from '../../src/tasks/poller/post-checks.js';
import { createTaskStore, type Guest, type PostCheck } from '../../src/tasks/store.js';
import type { PveClient } from '../../src/api/index.js';
import { ManualClock } from '../../src/util/clock.js';

const GiB = 1024 ** 3;
const guest = (vmid: number, fields: Partial<Guest> = {}): Guest => ({
  vmid,
  type: 'qemu',
  node: 'pve1',
  status: 'running',
  template: false,
  ...fields,
});

const GUESTS: Record<number, Guest> = {
  101: guest(101),
  102: guest(102, { status: 'stopped' }),
  103: guest(103, { type: 'lxc' }),
  104: guest(104, { status: 'stopped', template: true }),
  105: guest(105, { lock: 'backup' }),
  106: guest(106, { hastate: 'started' }),
  107: guest(107, { node: 'pve2' }),
  108: guest(108, { node: 'pve3', status: 'unknown' }),
};

const view = (extra: Partial<CheckView> = {}): CheckView => ({ guests: GUESTS, taskInFlight: () => undefined, ...extra });
const verdictsOf = (verdicts: ReturnType<typeof checkLaunch>) =>
  Object.fromEntries(verdicts.map((v) => [v.vmid, 'go' in v ? 'go' : 'skip' in v ? `skip: ${v.skip}` : `refuse: ${v.refuse}`]));

describe('launch-check for the maintenance actions', () => {
  test('shutdown and stop skip a stopped guest ("already stopped") and a template; a locked one and one on an offline node wait', () => {
    for (const action of ['shutdown', 'stop'] as const) {
      assert.deepEqual(verdictsOf(checkLaunch({ action, vmids: [101, 102, 103, 104, 105, 106, 108] }, view())), {
        101: 'go',
        102: 'skip: already stopped',
        103: 'go',
        104: 'skip: template',
        105: 'skip: locked (backup)',
        106: 'go',
        108: 'skip: node pve3 offline or not answering',
      });
    }
  });

  test('reboot skips a guest that does not run; --no-skip sends anyway', () => {
    assert.deepEqual(verdictsOf(checkLaunch({ action: 'reboot', vmids: [101, 102, 104] }, view())), {
      101: 'go',
      102: 'skip: not running',
      104: 'skip: template',
    });
    assert.deepEqual(verdictsOf(checkLaunch({ action: 'reboot', vmids: [102] }, view(), { noSkip: true })), { 102: 'go' });
  });

  test('migrate: a guest already on the target is skipped; a target offline or not in the cluster is refused before any request', () => {
    const online = new Map([
      ['pve1', true],
      ['pve2', true],
      ['pve3', false],
    ]);
    const nodeOnline = (node: string) => online.get(node);
    const to = (target: string) => ({ action: 'migrate' as const, vmids: [101, 107], targets: { 101: target, 107: target } });
    assert.deepEqual(verdictsOf(checkLaunch(to('pve2'), view({ nodeOnline }))), { 101: 'go', 107: 'skip: already on pve2' });
    assert.deepEqual(verdictsOf(checkLaunch(to('pve3'), view({ nodeOnline }))), {
      101: 'refuse: target pve3 is offline',
      107: 'refuse: target pve3 is offline',
    });
    assert.deepEqual(verdictsOf(checkLaunch(to('pve9'), view({ nodeOnline }))), {
      101: 'refuse: pve9 is not a node of this cluster',
      107: 'refuse: pve9 is not a node of this cluster',
    });
  });

  test('migrate: what the precondition check found refuses the guest, but only once it would go (a template is skipped first)', () => {
    const blocker = (vmid: number) => (vmid === 101 || vmid === 104 ? 'uses local devices: hostpci0' : undefined);
    const request = { action: 'migrate' as const, vmids: [101, 102, 104], targets: { 101: 'pve2', 102: 'pve2', 104: 'pve2' } };
    assert.deepEqual(verdictsOf(checkLaunch(request, view({ migrationBlocker: blocker }))), {
      101: 'refuse: uses local devices: hostpci0',
      102: 'go',
      104: 'skip: template',
    });
  });

  test('privileges: VM.PowerMgmt for the power actions, VM.Migrate for a migration, each named in the refusal', () => {
    const access = { permissions: { '/vms': { 'VM.PowerMgmt': 1 as const, 'VM.Audit': 1 as const } }, clusterTasks: false };
    assert.deepEqual(verdictsOf(checkLaunch({ action: 'stop', vmids: [101] }, view({ access }))), { 101: 'go' });
    assert.deepEqual(verdictsOf(checkLaunch({ action: 'migrate', vmids: [101], targets: { 101: 'pve2' } }, view({ access }))), {
      101: 'refuse: needs VM.Migrate on /vms/101',
    });
  });
});

describe('specs, task types and deadlines', () => {
  test('shutdown carries PVE timeout and forceStop; migrate its target, the guest state it must reach, and with-local-disks', () => {
    const [shutdown] = planLaunches({ action: 'shutdown', vmids: [101], shutdownTimeout: 180, forceStop: true }, GUESTS);
    assert.deepEqual(shutdown!.params, { timeout: 180, forceStop: true });
    const specs = planLaunches(
      {
        action: 'migrate',
        vmids: [101, 102, 103],
        targets: { 101: 'pve2', 102: 'pve3', 103: 'pve2' },
        withLocalDisks: true,
        shutdownTimeout: 30,
      },
      GUESTS,
    );
    assert.deepEqual(
      specs.map((spec) => spec.params),
      [
        { target: 'pve2', running: true, withLocalDisks: true },
        { target: 'pve3', withLocalDisks: true },
        { target: 'pve2', running: true, withLocalDisks: true, timeout: 30 },
      ],
    );
    assert.throws(() => planLaunches({ action: 'migrate', vmids: [101], targets: {} }, GUESTS), /no target node for guest 101/);
  });

  test('task types: qm*/vz* per guest type, HA requests where PVE has them (reboot has none), and what a lookup searches', () => {
    const spec = (action: 'shutdown' | 'stop' | 'reboot' | 'migrate', type: 'qemu' | 'lxc') => ({
      action,
      node: 'pve1',
      guests: [{ vmid: 1, type }],
      params: {},
    });
    assert.equal(expectedTaskType(spec('shutdown', 'qemu'), false), 'qmshutdown');
    assert.equal(expectedTaskType(spec('shutdown', 'lxc'), false), 'vzshutdown');
    assert.equal(expectedTaskType(spec('stop', 'qemu'), true), 'hastop');
    assert.equal(expectedTaskType(spec('reboot', 'qemu'), true), 'qmreboot');
    assert.equal(expectedTaskType(spec('migrate', 'qemu'), false), 'qmigrate');
    assert.equal(expectedTaskType(spec('migrate', 'lxc'), false), 'vzmigrate');
    assert.equal(expectedTaskType(spec('migrate', 'lxc'), true), 'hamigrate');
    assert.deepEqual(taskTypesOf('shutdown'), ['qmshutdown', 'vzshutdown', 'hastop']);
    assert.deepEqual(taskTypesOf('reboot'), ['qmreboot', 'vzreboot']);
    assert.deepEqual(taskTypesOf('migrate'), ['qmigrate', 'vzmigrate', 'hamigrate']);
  });

  test('deadlines: shutdown and reboot 2 min plus the shutdown timeout given to PVE; stop 2 min; migrate 1 h', () => {
    const [shutdown] = planLaunches({ action: 'shutdown', vmids: [101], shutdownTimeout: 300 }, GUESTS);
    assert.equal(launchDeadlineMs(shutdown, 'qmshutdown'), 2 * 60_000 + 300_000);
    assert.equal(launchDeadlineMs(shutdown, 'hastop'), 2 * 60_000 + 300_000);
    const [plain] = planLaunches({ action: 'reboot', vmids: [101] }, GUESTS);
    assert.equal(launchDeadlineMs(plain, 'qmreboot'), 2 * 60_000);
    const [stop] = planLaunches({ action: 'stop', vmids: [101] }, GUESTS);
    assert.equal(launchDeadlineMs(stop, 'qmstop'), 2 * 60_000);
    const [migrate] = planLaunches({ action: 'migrate', vmids: [101], targets: { 101: 'pve2' } }, GUESTS);
    assert.equal(launchDeadlineMs(migrate, 'qmigrate'), 3_600_000);
    assert.equal(launchDeadlineMs(migrate, 'hamigrate'), 3_600_000);
  });
});

describe('drain planning', () => {
  const nodes: NodeCapacity[] = [
    { node: 'pve1', online: true, maxmem: 64 * GiB, mem: 40 * GiB },
    { node: 'pve2', online: true, maxmem: 64 * GiB, mem: 16 * GiB }, // 48 GiB free
    { node: 'pve3', online: true, maxmem: 32 * GiB, mem: 8 * GiB }, // 24 GiB free
    { node: 'pve4', online: false },
  ];

  test('targets: every other online node by default; named ones must exist, be online and not be the node drained', () => {
    assert.deepEqual(
      drainTargets({ node: 'pve1' }, nodes).map((n) => n.node),
      ['pve2', 'pve3'],
    );
    assert.throws(() => drainTargets({ node: 'pve9' }, nodes), /pve9 is not a node of this cluster/);
    assert.throws(() => drainTargets({ node: 'pve1', to: ['pve4'] }, nodes), new DrainError('target pve4 is offline'));
    assert.throws(() => drainTargets({ node: 'pve1', to: ['pve1'] }, nodes), /target pve1 is the node being drained/);
    assert.throws(() => drainTargets({ node: 'pve1', to: ['pve7'] }, nodes), /target pve7 is not a node of this cluster/);
    assert.throws(() => drainTargets({ node: 'pve2' }, [nodes[1]!, nodes[3]!]), /no other node is online to take the guests of pve2/);
  });

  test('by free memory: largest guests first, each to the target with the most memory left after what the plan put there', () => {
    const guests = [
      guest(201, { maxmem: 16 * GiB }),
      guest(202, { maxmem: 16 * GiB }),
      guest(203, { maxmem: 16 * GiB }),
      guest(204, { maxmem: 8 * GiB }),
      guest(205, { maxmem: 4 * GiB }),
      guest(206, { maxmem: 32 * GiB, template: true }),
    ];
    const plan = assignTargets(guests, drainTargets({ node: 'pve1' }, nodes), (g) => !g.template);
    assert.equal(plan.spreadBy, 'memory');
    // pve2 48 free, pve3 24; the template weighs nothing. 201 -> pve2 (32 left), 202 -> pve2 (16), 203 -> pve3 (8),
    // 204 -> pve2 (8), then 205 sees 8 and 8: the target holding fewer guests, pve3.
    assert.deepEqual(plan.targets, { 206: 'pve2', 201: 'pve2', 202: 'pve2', 203: 'pve3', 204: 'pve2', 205: 'pve3' });
    assert.deepEqual(plan.overcommitted, []);
  });

  test('without node memory (no Sys.Audit on the nodes): evenly by count; a target given too much memory is named', () => {
    const blind = nodes.map(({ node, online }) => ({ node, online }));
    const guests = [101, 102, 103, 104, 105].map((vmid) => guest(vmid, { maxmem: 8 * GiB }));
    const plan = assignTargets(guests, drainTargets({ node: 'pve1' }, blind), () => true);
    assert.equal(plan.spreadBy, 'count');
    assert.deepEqual(plan.targets, { 101: 'pve2', 102: 'pve3', 103: 'pve2', 104: 'pve3', 105: 'pve2' });
    const tight = assignTargets([guest(301, { maxmem: 40 * GiB })], [nodes[2]!], () => true);
    assert.deepEqual(tight.overcommitted, ['pve3']);
  });

  test('the precondition answer: local devices, local disks of a running VM without with-local-disks, storages the target lacks', () => {
    const answer = {
      running: 1,
      local_disks: [{ volid: 'local-lvm:vm-101-disk-0' }, { volid: 'local-lvm:vm-101-disk-1' }],
      local_resources: ['hostpci0'],
      not_allowed_nodes: { pve2: { unavailable_storages: ['local-zfs'] } },
    };
    assert.equal(
      blockerOf(answer, 'pve2', false),
      'uses local devices: hostpci0; runs with local disks (local-lvm:vm-101-disk-0, local-lvm:vm-101-disk-1) and with-local-disks was not given; storage local-zfs not available on pve2',
    );
    assert.equal(blockerOf({ ...answer, local_resources: [] }, 'pve3', true), undefined);
    assert.equal(blockerOf({ ...answer, running: 0, local_resources: [] }, 'pve3', false), undefined, 'a stopped VM copies its disks');
    assert.equal(blockerOf('nonsense', 'pve2', false), undefined);
    assert.equal(blockerOf({ local_resources: 'hostpci0', local_disks: [42] }, 'pve2', false), undefined);
  });
});

describe('post-checks on guests', () => {
  /** A row whose task ended OK and waits for its check, with the guest list and uptimes given. */
  async function check(postCheck: PostCheck, guests: Guest[], uptimes: Array<[number, number]> = []) {
    const clock = new ManualClock();
    const store = createTaskStore();
    let key = '';
    store.getState().update((tx) => {
      tx.setGuests(guests);
      key = tx.add({
        mine: true,
        node: 'pve1',
        type: 'qmreboot',
        vmids: [101],
        firstSeenAt: clock.now() - 60_000,
        state: 'running',
        upid: 'UPID:pve1:00000001:00000001:6B000000:qmreboot:101:root@pam:',
        postCheck,
      });
      tx.patch(key, { exitStatus: 'OK' });
    });
    const ctx = createPollContext({ client: {} as PveClient, store, clock, intervalMs: 2000, scope: 'mine', watchAfterTimeout: false });
    ctx.guestUptimes = { seconds: new Map(uptimes), readAt: clock.now() };
    await runPostChecks(ctx);
    return store.getState().row(key)!.state;
  }
  const bootedAfter = new ManualClock().now() - 60_000;

  test('a reboot counts once the guest runs with an uptime shorter than the time since the launch, not on a list from before it', async () => {
    const reboot: PostCheck = { kind: 'guest-state', vmid: 101, status: 'running', bootedAfter };
    assert.equal(await check(reboot, [guest(101)], [[101, 3600]]), 'running', 'running for an hour: the old boot');
    assert.equal(await check(reboot, [guest(101)], []), 'running', 'no uptime stated: nothing concluded');
    assert.equal(await check(reboot, [guest(101, { status: 'stopped' })], [[101, 0]]), 'running', 'still down');
    assert.equal(await check(reboot, [guest(101)], [[101, 20]]), 'ok');
  });

  test('a migration counts once the guest is on its target (and running again when it ran); a shutdown once it is stopped', async () => {
    const moved: PostCheck = { kind: 'guest-state', vmid: 101, node: 'pve2', status: 'running' };
    assert.equal(await check(moved, [guest(101)]), 'running', 'still on pve1');
    assert.equal(await check(moved, [guest(101, { node: 'pve2', status: 'stopped' })]), 'running', 'on pve2 but not up yet');
    assert.equal(await check(moved, [guest(101, { node: 'pve2' })]), 'ok');
    assert.equal(await check({ kind: 'guest-state', vmid: 101, status: 'stopped' }, [guest(101)]), 'running');
    assert.equal(await check({ kind: 'guest-state', vmid: 101, status: 'stopped' }, [guest(101, { status: 'stopped' })]), 'ok');
    assert.equal(
      await check({ kind: 'guest-state', vmid: 101, status: 'stopped' }, []),
      'running',
      'a guest not listed: nothing concluded',
    );
  });
});
