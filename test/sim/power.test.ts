// Shutdown, stop and reboot as qemu-server and pve-container do them: timeout and forceStop, what is
// refused at once and what fails in the task, and HA guests stopped through the HA stack.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseUpid } from '../../src/tasks/upid.js';
import { startTestSim, type TestSim } from './helpers.js';

describe('simulator shutdown, stop and reboot', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ seed: 21 });
  });
  after(() => t.close());
  const post = (path: string, form: Record<string, string | number> = {}) => t.api(path, { method: 'POST', form });
  const task = async (reply: { status: number; json: { data: string } }) => {
    assert.equal(reply.status, 200);
    const done = await t.waitTask(reply.json.data);
    return { exitstatus: done.exitstatus as string, log: await t.log(reply.json.data), record: t.sim.control.task(reply.json.data)! };
  };

  test('a VM that ignores ACPI: shutdown waits `timeout` seconds and fails; with forceStop it is terminated (a plain line, TASK OK)', async () => {
    const vm = t.sim.control.guestWithRole('ignoresShutdown');
    const path = `/nodes/${vm.node}/qemu/${vm.vmid}/status/shutdown`;
    const failed = await task(await post(path, { timeout: 30 }));
    assert.equal(parseUpid(failed.record.upid).type, 'qmshutdown');
    assert.equal(failed.exitstatus, 'VM quit/powerdown failed - got timeout');
    assert.equal(failed.record.endedAt! - failed.record.startedAt, 30_000);
    assert.equal(t.sim.control.guest(vm.vmid)?.status, 'running');
    const forced = await task(await post(path, { timeout: 10, forceStop: 1 }));
    assert.equal(forced.exitstatus, 'OK');
    assert.deepEqual(forced.log, ['VM still running - terminating now with SIGTERM', 'TASK OK']);
    assert.ok(forced.record.endedAt! - forced.record.startedAt >= 10_000);
    assert.equal(t.sim.control.guest(vm.vmid)?.status, 'stopped');
  });

  test('a plain shutdown and a stop: qmshutdown and qmstop, the guest stopped; a stopped VM stops again as a no-op', async () => {
    const vms = t.sim.control.guests({ type: 'qemu', status: 'running' }).filter((g) => g.roles.length === 0 && !g.hastate);
    const shutdown = await task(await post(`/nodes/${vms[0]!.node}/qemu/${vms[0]!.vmid}/status/shutdown`));
    assert.equal(shutdown.exitstatus, 'OK');
    assert.equal(t.sim.control.guest(vms[0]!.vmid)?.status, 'stopped');
    const stop = await task(await post(`/nodes/${vms[1]!.node}/qemu/${vms[1]!.vmid}/status/stop`, { timeout: 5 }));
    assert.equal(parseUpid(stop.record.upid).type, 'qmstop');
    assert.equal(stop.exitstatus, 'OK');
    assert.equal(t.sim.control.guest(vms[1]!.vmid)?.status, 'stopped');
    const again = await task(await post(`/nodes/${vms[1]!.node}/qemu/${vms[1]!.vmid}/status/shutdown`));
    assert.equal(again.exitstatus, 'OK');
    assert.deepEqual(again.log, ['TASK OK']);
  });

  test('a locked VM: stop and shutdown fail in their task with "VM is locked (backup)"; reboot of a stopped one is refused at once', async () => {
    const locked = t.sim.control.guestWithRole('lockedQemu');
    for (const action of ['stop', 'shutdown']) {
      const result = await task(await post(`/nodes/${locked.node}/qemu/${locked.vmid}/status/${action}`));
      assert.equal(result.exitstatus, 'VM is locked (backup)', action);
    }
    const stopped = t.sim.control.guestWithRole('stoppedQemu');
    const reboot = await post(`/nodes/${stopped.node}/qemu/${stopped.vmid}/status/reboot`);
    assert.equal(reboot.status, 500);
    assert.equal(reboot.reason, `VM ${stopped.vmid} not running`);
    const wrong = stopped.node === 'pve1' ? 'pve2' : 'pve1';
    const elsewhere = await post(`/nodes/${wrong}/qemu/${stopped.vmid}/status/reboot`);
    assert.equal(elsewhere.reason, `unable to find configuration file for VM ${stopped.vmid} on node '${wrong}'`);
    const shutdownElsewhere = await task(await post(`/nodes/${wrong}/qemu/${stopped.vmid}/status/shutdown`));
    assert.equal(shutdownElsewhere.exitstatus, `unable to find configuration file for VM ${stopped.vmid} on node '${wrong}'`);
  });

  test("a VM's reboot: qmreboot ends with the VM down, then qmeventd starts it in a qmstart of root@pam; a locked VM fails in its task", async () => {
    const vm = t.sim.control.guests({ type: 'qemu', status: 'running' }).find((g) => g.roles.length === 0 && !g.hastate)!;
    const reboot = await task(await post(`/nodes/${vm.node}/qemu/${vm.vmid}/status/reboot`, { timeout: 60 }));
    assert.equal(parseUpid(reboot.record.upid).type, 'qmreboot');
    assert.equal(reboot.exitstatus, 'OK');
    assert.equal(t.sim.control.guest(vm.vmid)?.status, 'stopped', 'the task ends once the VM is down');
    await t.run(t.clock.sleep(5_000));
    const starts = t.sim.control
      .tasks({ type: 'qmstart', id: String(vm.vmid) })
      .filter((start) => start.startedAt >= reboot.record.endedAt!);
    assert.equal(starts.length, 1);
    assert.equal(starts[0]!.user, 'root@pam');
    assert.equal(t.sim.control.guest(vm.vmid)?.status, 'running');
    const listed = (await t.api('/cluster/resources?type=vm')).json.data.find((item: { vmid: number }) => item.vmid === vm.vmid);
    assert.ok(listed.uptime <= 5, `uptime counts from the new start (${listed.uptime})`);

    const locked = t.sim.control.guestWithRole('lockedQemu');
    const refused = await task(await post(`/nodes/${locked.node}/qemu/${locked.vmid}/status/reboot`));
    assert.equal(refused.exitstatus, 'VM is locked (backup)');
    assert.equal(t.sim.control.guest(locked.vmid)?.status, 'running');
  });

  test('an HA VM reboots too (no HA variant): after qmreboot, the start goes through the HA stack (hastart, then its qmstart)', async () => {
    const vm = t.sim.control.guestWithRole('haRunningQemu');
    assert.equal(vm.status, 'running');
    const reboot = await task(await post(`/nodes/${vm.node}/qemu/${vm.vmid}/status/reboot`));
    assert.equal(parseUpid(reboot.record.upid).type, 'qmreboot');
    await t.run(t.clock.sleep(60_000));
    const request = t.sim.control.tasks({ type: 'hastart', id: String(vm.vmid) }).at(-1)!;
    assert.equal(request.user, 'root@pam');
    assert.ok(request.startedAt >= reboot.record.endedAt!);
    assert.equal(t.sim.control.guest(vm.vmid)?.status, 'running');
  });

  test('containers: stop and shutdown of one not running here are refused at once ("CT N not running"), reboot says "VM N"', async () => {
    const stopped = t.sim.control.guestWithRole('stoppedLxc');
    for (const action of ['stop', 'shutdown']) {
      const reply = await post(`/nodes/${stopped.node}/lxc/${stopped.vmid}/status/${action}`);
      assert.equal(reply.status, 500);
      assert.equal(reply.reason, `CT ${stopped.vmid} not running`);
    }
    const reboot = await post(`/nodes/${stopped.node}/lxc/${stopped.vmid}/status/reboot`);
    assert.equal(reboot.reason, `VM ${stopped.vmid} not running`);
    const running = t.sim.control.guestWithRole('runningLxc');
    const wrong = running.node === 'pve1' ? 'pve2' : 'pve1';
    assert.equal((await post(`/nodes/${wrong}/lxc/${running.vmid}/status/shutdown`)).reason, `CT ${running.vmid} not running`);
    const rebooted = await task(await post(`/nodes/${running.node}/lxc/${running.vmid}/status/reboot`, { timeout: 30 }));
    assert.equal(parseUpid(rebooted.record.upid).type, 'vzreboot');
    assert.equal(rebooted.exitstatus, 'OK');
    const shutdown = await task(await post(`/nodes/${running.node}/lxc/${running.vmid}/status/shutdown`, { timeout: 60, forceStop: 1 }));
    assert.equal(parseUpid(shutdown.record.upid).type, 'vzshutdown');
    assert.equal(shutdown.exitstatus, 'OK');
    assert.equal(t.sim.control.guest(running.vmid)?.status, 'stopped');
  });

  test('a CT that does not stop within a short timeout: "container did not stop" after lxc-stop fails', async () => {
    const ct = t.sim.control.guests({ type: 'lxc', status: 'running' }).find((g) => g.roles.length === 0 && !g.hastate)!;
    const result = await task(await post(`/nodes/${ct.node}/lxc/${ct.vmid}/status/shutdown`, { timeout: 1 }));
    assert.equal(result.exitstatus, 'container did not stop');
    assert.deepEqual(result.log, [
      `command 'lxc-stop -n ${ct.vmid} --nokill --timeout 1' failed: exit code 1`,
      'TASK ERROR: container did not stop',
    ]);
    assert.equal(t.sim.control.guest(ct.vmid)?.status, 'running');
  });

  test('HA: shutdown asks for a stop with its timeout, then the HA agent shuts the VM down (forceStop) as root@pam', async () => {
    const vm = t.sim.control.guestWithRole('haRunningQemu');
    const request = await task(await post(`/nodes/${vm.node}/qemu/${vm.vmid}/status/shutdown`, { timeout: 45 }));
    assert.equal(parseUpid(request.record.upid).type, 'hastop');
    assert.deepEqual(request.log, [`Requesting HA stop for VM ${vm.vmid}`, 'TASK OK']);
    // hastop ends while the guest still runs; the HA stack acts a little later.
    assert.equal(t.sim.control.guest(vm.vmid)?.status, 'running');
    assert.equal(t.sim.control.guest(vm.vmid)?.hastate, 'stopped');
    await t.run(t.clock.sleep(60_000));
    const [follow] = t.sim.control.tasks({ type: 'qmshutdown', id: String(vm.vmid) });
    assert.equal(follow?.user, 'root@pam');
    assert.equal(t.sim.control.task(follow!.upid)!.log[0], 'task started by HA resource agent');
    assert.equal(t.sim.control.guest(vm.vmid)?.status, 'stopped');
    const overrule = await post(`/nodes/${vm.node}/qemu/${vm.vmid}/status/stop`, { 'overrule-shutdown': 1 });
    assert.equal(overrule.status, 400);
    assert.deepEqual(overrule.json.errors, { 'overrule-shutdown': 'Not applicable for HA resources.' });
  });

  test('HA containers: a running one stops through the HA stack (vzstop); a stopped one is refused before HA is asked', async () => {
    const ct = t.sim.control.guestWithRole('haStoppedLxc');
    const refused = await post(`/nodes/${ct.node}/lxc/${ct.vmid}/status/stop`);
    assert.equal(refused.reason, `CT ${ct.vmid} not running`);
    await task(await post(`/nodes/${ct.node}/lxc/${ct.vmid}/status/start`));
    await t.run(t.clock.sleep(60_000));
    assert.equal(t.sim.control.guest(ct.vmid)?.status, 'running');
    const request = await task(await post(`/nodes/${ct.node}/lxc/${ct.vmid}/status/stop`));
    assert.deepEqual(request.log, [`Requesting HA stop for CT ${ct.vmid}`, 'TASK OK']);
    await t.run(t.clock.sleep(60_000));
    assert.equal(t.sim.control.tasks({ type: 'vzstop', id: String(ct.vmid) })[0]?.user, 'root@pam');
    assert.equal(t.sim.control.guest(ct.vmid)?.status, 'stopped');
  });
});
