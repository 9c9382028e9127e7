// The maintenance actions end to end on a runtime against the simulator: each launched, its task
// followed, and its row OK only once /cluster/resources (or the guest's uptime) shows the guest as it
// should be; HA guests through the HA stack, holding their slot until then; PVE's refusals as failures.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRuntime, type Runtime } from '../../src/tasks/runtime.js';
import { subscribeRowChanges, type TaskRow } from '../../src/tasks/store.js';
import { startTestCluster, storeReaches, type TestCluster } from '../helpers/cluster.js';

const MINUTE = 60_000;

describe('maintenance actions on a runtime', () => {
  let cluster: TestCluster;
  let runtime: Runtime;
  before(async () => {
    cluster = await startTestCluster({ nodes: 3, guests: 60, seed: 5, speed: 4 });
    runtime = createRuntime({ client: cluster.client, clock: cluster.clock, parallel: 8 });
    await cluster.clock.runUntil(runtime.poller.pollOnce());
    runtime.poller.start();
  });
  after(async () => {
    await cluster.clock.runUntil(runtime.close());
    await cluster.close();
  });

  /**
   * Launches and waits until every row is final; returns the rows, and the simulator's view of each
   * guest at the moment its row became final (what the row's outcome was based on).
   */
  async function launchAndSettle(request: Parameters<Runtime['actions']['launch']>[0], options?: { noSkip?: boolean }) {
    const { sim, clock } = cluster;
    const seen = new Map<string, ReturnType<typeof sim.control.guest>>();
    const unsubscribe = subscribeRowChanges(runtime.store, (state, before) => {
      for (const key of before.keys()) {
        const row = state.row(key);
        if (row && !['queued', 'running'].includes(row.state) && !seen.has(key)) seen.set(key, sim.control.guest(row.vmids[0]!));
      }
    });
    const keys = runtime.actions.launch(request, options);
    await clock.runUntil(
      storeReaches(runtime.store, (state) => keys.every((key) => !['queued', 'running'].includes(state.row(key)!.state))),
      { limitMs: 60 * MINUTE },
    );
    unsubscribe();
    const rows = keys.map((key) => runtime.store.getState().row(key)!);
    return { rows, atEnd: (row: TaskRow) => seen.get(row.key) };
  }
  const plainRunning = (type: 'qemu' | 'lxc') =>
    cluster.sim.control.guests({ type, status: 'running' }).filter((g) => g.roles.length === 0 && !g.hastate && !g.lock);

  test('shutdown with a PVE timeout and stop: OK once the guests are stopped; a stopped guest is skipped, not sent', async () => {
    const [vm] = plainRunning('qemu');
    const [ct] = plainRunning('lxc');
    const stopped = cluster.sim.control.guestWithRole('stoppedQemu');
    const posts = () => cluster.sim.control.tasks({ id: String(stopped.vmid) }).length;
    const before = posts();
    const { rows, atEnd } = await launchAndSettle({ action: 'shutdown', vmids: [vm!.vmid, stopped.vmid], shutdownTimeout: 90 });
    assert.deepEqual(
      rows.map((row) => [row.type, row.state, row.message]),
      [
        ['qmshutdown', 'ok', undefined],
        ['qmshutdown', 'skipped', 'already stopped'],
      ],
    );
    assert.equal(atEnd(rows[0]!)?.status, 'stopped');
    assert.equal(posts(), before, 'nothing sent for the stopped guest');
    const stop = await launchAndSettle({ action: 'stop', vmids: [ct!.vmid] });
    assert.equal(stop.rows[0]!.type, 'vzstop');
    assert.equal(stop.rows[0]!.state, 'ok');
    assert.equal(stop.atEnd(stop.rows[0]!)?.status, 'stopped');
  });

  test("reboot of a VM: OK only once it runs again (qmreboot ends with it down; qmeventd's qmstart brings it up)", async () => {
    const vm = plainRunning('qemu')[0]!;
    const { rows, atEnd } = await launchAndSettle({ action: 'reboot', vmids: [vm.vmid] });
    const row = rows[0]!;
    assert.equal(row.type, 'qmreboot');
    assert.equal(row.state, 'ok');
    assert.equal(atEnd(row)?.status, 'running');
    const reboot = cluster.sim.control.task(row.upid!)!;
    const restart = cluster.sim.control.tasks({ type: 'qmstart', id: String(vm.vmid) }).find((task) => task.startedAt >= reboot.endedAt!);
    assert.ok(restart, 'the VM was started again after the reboot task');
    assert.ok(row.endedAt! >= restart!.endedAt!, `OK after the restart (${row.endedAt} vs ${restart!.endedAt})`);
  });

  test('HA: shutdown answers hastop, whose task ends while the VM still runs; the row is OK once the HA stack has it stopped', async () => {
    const vm = cluster.sim.control.guestWithRole('haRunningQemu');
    const { rows, atEnd } = await launchAndSettle({ action: 'shutdown', vmids: [vm.vmid] });
    const row = rows[0]!;
    assert.equal(row.type, 'hastop');
    assert.equal(row.state, 'ok');
    assert.equal(atEnd(row)?.status, 'stopped');
    const request = cluster.sim.control.task(row.upid!)!;
    const follow = cluster.sim.control.tasks({ type: 'qmshutdown', id: String(vm.vmid) }).at(-1)!;
    assert.equal(follow.user, 'root@pam');
    assert.ok(follow.startedAt > request.endedAt!, 'the real shutdown came after the request ended');
    assert.ok(row.endedAt! >= follow.endedAt!);
  });

  test('migrate: a running VM live with its local disks, a running CT by restart migration; each OK once on its target, running', async () => {
    const vm = cluster.sim.control.guestWithRole('multiDiskQemu');
    const ct = plainRunning('lxc').find((g) => g.vmid !== vm.vmid)!;
    const other = (node: string) => (node === 'pve1' ? 'pve2' : 'pve1');
    const targets = { [vm.vmid]: other(vm.node), [ct.vmid]: other(ct.node) };
    const { rows, atEnd } = await launchAndSettle({ action: 'migrate', vmids: [vm.vmid, ct.vmid], targets, withLocalDisks: true });
    assert.deepEqual(
      rows.map((row) => [row.type, row.state]),
      [
        ['qmigrate', 'ok'],
        ['vzmigrate', 'ok'],
      ],
    );
    for (const row of rows) {
      const seen = atEnd(row)!;
      assert.equal(seen.node, targets[seen.vmid], `guest ${seen.vmid} on its target`);
      assert.equal(seen.status, 'running');
    }
    const ctLog = cluster.sim.control.task(rows[1]!.upid!)!.log.join('\n');
    assert.match(ctLog, /shutdown CT \d+/);
    assert.match(ctLog, /start container on target node/);
  });

  test('HA migrate: hamigrate, then the HA stack; OK only once on the target, and its slot is held until then', async () => {
    const vm = cluster.sim.control.guestWithRole('haRunningQemu');
    // Running again for this test (the shutdown test stopped it).
    await cluster.clock.runUntil(
      cluster.client.POST('/nodes/{node}/qemu/{vmid}/status/start', { params: { path: { node: vm.node, vmid: vm.vmid } } }),
    );
    await cluster.clock.runUntil(cluster.clock.sleep(MINUTE));
    assert.equal(cluster.sim.control.guest(vm.vmid)!.status, 'running');
    const target = vm.node === 'pve3' ? 'pve2' : 'pve3';
    runtime.actions.setLaunchLimits({ parallel: 1 });
    const next = plainRunning('qemu').find((g) => g.node !== target)!;
    let nextSentWhileMoving = false;
    const unsubscribe = runtime.store.subscribe(() => {
      const sent = cluster.sim.control.tasks({ type: 'qmstop', id: String(next.vmid) }).length > 0;
      if (sent && cluster.sim.control.guest(vm.vmid)!.node !== target) nextSentWhileMoving = true;
    });
    const moving = launchAndSettle({ action: 'migrate', vmids: [vm.vmid], targets: { [vm.vmid]: target } });
    const stopping = launchAndSettle({ action: 'stop', vmids: [next.vmid] });
    const [{ rows, atEnd }, stop] = await Promise.all([moving, stopping]);
    unsubscribe();
    runtime.actions.setLaunchLimits({ parallel: 8 });
    const row = rows[0]!;
    assert.equal(row.type, 'hamigrate');
    assert.equal(row.state, 'ok');
    assert.equal(atEnd(row)?.node, target);
    assert.equal(atEnd(row)?.status, 'running');
    assert.equal(cluster.sim.control.tasks({ type: 'qmigrate', id: String(vm.vmid) }).at(-1)?.user, 'root@pam');
    assert.equal(stop.rows[0]!.state, 'ok');
    assert.equal(nextSentWhileMoving, false, 'with one slot, the next launch waited until the HA guest was on its target');
  });

  test("refusals: checkMigration names what PVE would refuse before any request; what PVE refuses fails with PVE's words", async () => {
    const devices = cluster.sim.control.guestWithRole('localDevices');
    const localDisk = cluster.sim.control.guestWithRole('runningQemu');
    const template = cluster.sim.control.guestWithRole('qemuTemplate');
    const other = (node: string) => (node === 'pve1' ? 'pve2' : 'pve1');
    const vmids = [devices.vmid, localDisk.vmid, template.vmid];
    const targets = Object.fromEntries([devices, localDisk, template].map((g) => [g.vmid, other(g.node)]));
    const before = cluster.sim.control.counters().byRoute['POST /nodes/{node}/qemu/{vmid}/migrate'] ?? 0;
    const verdicts = await cluster.clock.runUntil(runtime.actions.checkMigration({ action: 'migrate', vmids, targets }));
    assert.deepEqual(verdicts, [
      {
        vmid: devices.vmid,
        refuse: `uses local devices: hostpci0; runs with local disks (local-lvm:vm-${devices.vmid}-disk-0) and with-local-disks was not given`,
      },
      {
        vmid: localDisk.vmid,
        refuse: `runs with local disks (local-lvm:vm-${localDisk.vmid}-disk-0) and with-local-disks was not given`,
      },
      { vmid: template.vmid, skip: 'template' },
    ]);
    const offline = await cluster.clock.runUntil(
      runtime.actions.checkMigration({ action: 'migrate', vmids: [localDisk.vmid], targets: { [localDisk.vmid]: 'pve7' } }),
    );
    assert.deepEqual(offline, [{ vmid: localDisk.vmid, refuse: 'pve7 is not a node of this cluster' }]);
    assert.equal(cluster.sim.control.counters().byRoute['POST /nodes/{node}/qemu/{vmid}/migrate'] ?? 0, before, 'nothing sent');

    // Sent anyway (the board's and the commands' checks would have refused them): PVE's own verdicts.
    const locked = cluster.sim.control.guestWithRole('lockedQemu');
    const { rows } = await launchAndSettle(
      {
        action: 'migrate',
        vmids: [locked.vmid, localDisk.vmid],
        targets: { [locked.vmid]: other(locked.node), [localDisk.vmid]: other(localDisk.node) },
      },
      { noSkip: true },
    );
    assert.deepEqual(
      rows.map((row) => [row.state, row.message ?? row.exitStatus]),
      [
        ['failed', 'VM is locked (backup)'],
        ['failed', 'migration aborted'],
      ],
    );
    assert.equal(rows[0]!.upid, undefined, 'refused at once, no task');
    assert.equal(cluster.sim.control.guest(localDisk.vmid)!.node, localDisk.node, 'the VM stayed');
  });
});
