import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseUpid } from '../../src/tasks/upid.js';
import { enc, startTestSim, type TestSim } from './helpers.js';

describe('simulator guest actions fail where PVE fails', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ seed: 11 });
  });
  after(() => t.close());
  const post = (path: string, form?: Record<string, string | number>) => t.api(path, { method: 'POST', ...(form ? { form } : {}) });

  test('starting a running VM returns a UPID; its task ends "VM N already running"', async () => {
    const guest = t.sim.control.guestWithRole('runningQemu');
    const reply = await post(`/nodes/${guest.node}/qemu/${guest.vmid}/status/start`);
    assert.equal(reply.status, 200);
    const done = await t.waitTask(reply.json.data);
    assert.equal(done.exitstatus, `VM ${guest.vmid} already running`);
    assert.deepEqual((await t.log(reply.json.data)).at(-1), `TASK ERROR: VM ${guest.vmid} already running`);
  });

  test('starting a running CT is a synchronous 500 "CT N already running"', async () => {
    const guest = t.sim.control.guestWithRole('runningLxc');
    const reply = await post(`/nodes/${guest.node}/lxc/${guest.vmid}/status/start`);
    assert.equal(reply.status, 500);
    assert.equal(reply.reason, `CT ${guest.vmid} already running`);
    assert.deepEqual(reply.json, { data: null, message: `CT ${guest.vmid} already running\n` });
  });

  test('a stopped CT starts with vzstart and really runs', async () => {
    const guest = t.sim.control.guestWithRole('stoppedLxc');
    const reply = await post(`/nodes/${guest.node}/lxc/${guest.vmid}/status/start`);
    assert.equal(parseUpid(reply.json.data).type, 'vzstart');
    assert.equal((await t.waitTask(reply.json.data)).exitstatus, 'OK');
    const list = await t.api(`/nodes/${guest.node}/lxc`);
    const row = list.json.data.find((item: { vmid: number }) => item.vmid === guest.vmid);
    assert.equal(row.status, 'running');
    assert.equal(row.type, 'lxc');
  });

  test('template starts fail inside the task (VM and CT)', async () => {
    const vm = t.sim.control.guestWithRole('qemuTemplate');
    const vmTask = await post(`/nodes/${vm.node}/qemu/${vm.vmid}/status/start`);
    assert.equal((await t.waitTask(vmTask.json.data)).exitstatus, "you can't start a vm if it's a template");
    const ct = t.sim.control.guestWithRole('lxcTemplate');
    const ctTask = await post(`/nodes/${ct.node}/lxc/${ct.vmid}/status/start`);
    assert.equal((await t.waitTask(ctTask.json.data)).exitstatus, "you can't start a CT if it's a template");
  });

  test('the guests that fail to start end with a realistic TASK ERROR after their log lines', async () => {
    const vm = t.sim.control.guestWithRole('failsToStart');
    const reply = await post(`/nodes/${vm.node}/qemu/${vm.vmid}/status/start`);
    assert.equal(reply.status, 200);
    assert.equal((await t.waitTask(reply.json.data)).exitstatus, 'start failed: QEMU exited with code 1');
    const log = await t.log(reply.json.data);
    assert.match(log[0]!, /^kvm: -drive file=.*Could not open/);
    assert.equal(t.sim.control.guest(vm.vmid)?.status, 'stopped');
    const ct = t.sim.control.guestWithRole('failsToStartLxc');
    const ctReply = await post(`/nodes/${ct.node}/lxc/${ct.vmid}/status/start`);
    assert.equal((await t.waitTask(ctReply.json.data)).exitstatus, `startup for container '${ct.vmid}' failed`);
  });

  test('a guest started through the wrong node fails in its task (VM and CT: the config is not there)', async () => {
    const vm = t.sim.control.guestWithRole('stoppedQemu');
    const other = vm.node === 'pve1' ? 'pve2' : 'pve1';
    const reply = await post(`/nodes/${other}/qemu/${vm.vmid}/status/start`);
    assert.equal(
      (await t.waitTask(reply.json.data)).exitstatus,
      `Configuration file 'nodes/${other}/qemu-server/${vm.vmid}.conf' does not exist`,
    );
    // pve-container checks only that the CT does not run here before it forks the task.
    const ct = t.sim.control.guestWithRole('stoppedLxc');
    const ctOther = ct.node === 'pve1' ? 'pve2' : 'pve1';
    const ctReply = await post(`/nodes/${ctOther}/lxc/${ct.vmid}/status/start`);
    assert.equal(ctReply.status, 200);
    assert.equal(
      (await t.waitTask(ctReply.json.data)).exitstatus,
      `Configuration file 'nodes/${ctOther}/lxc/${ct.vmid}.conf' does not exist`,
    );
  });

  test("HA guests answer hastart; root@pam's qmstart follows later and starts the guest", async () => {
    const guest = t.sim.control.guestWithRole('haStoppedQemu');
    const reply = await post(`/nodes/${guest.node}/qemu/${guest.vmid}/status/start`);
    const upid: string = reply.json.data;
    assert.equal(parseUpid(upid).type, 'hastart');
    const done = await t.waitTask(upid);
    assert.equal(done.exitstatus, 'OK');
    assert.deepEqual(await t.log(upid), [`Requesting HA start for VM ${guest.vmid}`, 'TASK OK']);
    // When hastart ends OK the guest is still stopped: the HA stack acts a little later.
    const right = await t.api(`/cluster/resources?type=vm`);
    const entry = right.json.data.find((item: { vmid: number }) => item.vmid === guest.vmid);
    assert.equal(entry.status, 'stopped');
    assert.equal(entry.hastate, 'started');
    const follow = await t.run(
      (async () => {
        for (;;) {
          const tasks = await t.api(`/nodes/${guest.node}/tasks?source=all&vmid=${guest.vmid}&typefilter=qmstart`);
          const row = tasks.json.data[0];
          if (row && row.status !== 'RUNNING') return row;
          await t.clock.sleep(1000);
        }
      })(),
    );
    assert.equal(follow.user, 'root@pam');
    assert.equal(follow.status, 'OK');
    assert.equal(t.sim.control.guest(guest.vmid)?.status, 'running');
    const current = await t.api(`/nodes/${guest.node}/qemu/${guest.vmid}/status/current`);
    assert.deepEqual(current.json.data.ha, { managed: 1, state: 'started' });
  });

  test("an HA container answers hastart too, and root@pam's vzstart follows", async () => {
    const guest = t.sim.control.guestWithRole('haStoppedLxc');
    const reply = await post(`/nodes/${guest.node}/lxc/${guest.vmid}/status/start`);
    assert.equal(parseUpid(reply.json.data).type, 'hastart');
    await t.waitTask(reply.json.data);
    assert.deepEqual((await t.log(reply.json.data))[0], `Requesting HA start for CT ${guest.vmid}`);
    await t.run(t.clock.sleep(60_000));
    assert.equal(t.sim.control.guest(guest.vmid)?.status, 'running');
    assert.equal(t.sim.control.tasks({ type: 'vzstart', id: String(guest.vmid) })[0]?.user, 'root@pam');
  });

  test('HA stop answers hastop; the HA stack then stops the guest hard (qmstop by root@pam, as its agent)', async () => {
    const guest = t.sim.control.guestWithRole('haRunningQemu');
    const reply = await post(`/nodes/${guest.node}/qemu/${guest.vmid}/status/stop`);
    assert.equal(parseUpid(reply.json.data).type, 'hastop');
    await t.waitTask(reply.json.data);
    assert.deepEqual(await t.log(reply.json.data), [`Requesting HA stop for VM ${guest.vmid}`, 'TASK OK']);
    await t.run(t.clock.sleep(60_000));
    assert.equal(t.sim.control.guest(guest.vmid)?.status, 'stopped');
    const [stop] = t.sim.control.tasks({ type: 'qmstop', id: String(guest.vmid) });
    assert.equal(stop?.user, 'root@pam');
    assert.equal(t.sim.control.task(stop!.upid)!.log[0], 'task started by HA resource agent');
    assert.deepEqual(t.sim.control.tasks({ type: 'qmshutdown', id: String(guest.vmid) }), []);
  });

  test('stop, shutdown, reboot: tasks for VMs; 500s for a stopped VM reboot and a stopped CT stop', async () => {
    const vm = t.sim.control.guests({ type: 'qemu', status: 'running' }).find((g) => g.roles.length === 0 && !g.hastate)!;
    const reboot = await post(`/nodes/${vm.node}/qemu/${vm.vmid}/status/reboot`);
    assert.equal(parseUpid(reboot.json.data).type, 'qmreboot');
    assert.equal((await t.waitTask(reboot.json.data)).exitstatus, 'OK');
    const shutdown = await post(`/nodes/${vm.node}/qemu/${vm.vmid}/status/shutdown`, { timeout: 30, forceStop: 1 });
    assert.equal(parseUpid(shutdown.json.data).type, 'qmshutdown');
    await t.waitTask(shutdown.json.data);
    assert.equal(t.sim.control.guest(vm.vmid)?.status, 'stopped');
    const stopAgain = await post(`/nodes/${vm.node}/qemu/${vm.vmid}/status/stop`);
    assert.equal((await t.waitTask(stopAgain.json.data)).exitstatus, 'OK', 'stopping a stopped VM is a no-op');
    const rebootStopped = await post(`/nodes/${vm.node}/qemu/${vm.vmid}/status/reboot`);
    assert.equal(rebootStopped.status, 500);
    assert.equal(rebootStopped.reason, `VM ${vm.vmid} not running`);
    const ct = t.sim.control.guests({ type: 'lxc', status: 'stopped' }).find((g) => !g.hastate)!;
    const ctStop = await post(`/nodes/${ct.node}/lxc/${ct.vmid}/status/stop`);
    assert.equal(ctStop.status, 500);
    assert.equal(ctStop.reason, `CT ${ct.vmid} not running`);
    const skiplock = await post(`/nodes/${vm.node}/qemu/${vm.vmid}/status/stop`, { skiplock: 1 });
    assert.equal(skiplock.status, 400);
    assert.deepEqual(skiplock.json.errors, { skiplock: 'Only root may use this option.' });
  });
});

describe('simulator snapshots', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ seed: 5 });
  });
  after(() => t.close());

  test('the list has parent links and a final "current" entry; a new snapshot appears and becomes its parent', async () => {
    const guest = t.sim.control.guestWithRole('runningQemu');
    const path = `/nodes/${guest.node}/qemu/${guest.vmid}/snapshot`;
    const before = await t.api(path);
    const current = before.json.data.at(-1);
    assert.equal(current.name, 'current');
    assert.equal(current.description, 'You are here!');
    assert.equal(current.running, 1);
    assert.match(current.digest, /^[0-9a-f]{40}$/);
    const create = await t.api(path, { method: 'POST', form: { snapname: 'pre-test', description: 'before the test', vmstate: 1 } });
    assert.equal(parseUpid(create.json.data).type, 'qmsnapshot');
    const during = await t.api(path);
    assert.equal(during.json.data.find((s: { name: string }) => s.name === 'pre-test').snapstate, 'prepare');
    assert.equal((await t.waitTask(create.json.data)).exitstatus, 'OK');
    const log = await t.log(create.json.data);
    assert.ok(log.includes(`snapshotting 'drive-scsi0' (local-lvm:vm-${guest.vmid}-disk-0)`));
    const after = await t.api(path);
    const made = after.json.data.find((s: { name: string }) => s.name === 'pre-test');
    assert.equal(made.description, 'before the test');
    assert.equal(made.vmstate, 1);
    assert.equal('snapstate' in made, false);
    assert.equal(made.parent, current.parent);
    assert.equal(after.json.data.at(-1).parent, 'pre-test');
    assert.equal(t.sim.control.snapshots(guest.node, 'qemu', guest.vmid).at(-1)?.name, 'pre-test');

    const duplicate = await t.api(path, { method: 'POST', form: { snapname: 'pre-test' } });
    assert.equal(duplicate.status, 200);
    assert.equal((await t.waitTask(duplicate.json.data)).exitstatus, "snapshot name 'pre-test' already used");
  });

  test('reserved names are a synchronous 500, bad names a 400, templates fail in the task', async () => {
    const vm = t.sim.control.guestWithRole('stoppedQemu');
    const path = `/nodes/${vm.node}/qemu/${vm.vmid}/snapshot`;
    for (const name of ['current', 'PENDING']) {
      const reply = await t.api(path, { method: 'POST', form: { snapname: name } });
      assert.equal(reply.status, 500);
      assert.equal(reply.reason, `unable to use snapshot name '${name}' (reserved name)`);
    }
    const bad = await t.api(path, { method: 'POST', form: { snapname: '1x' } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json.errors, { snapname: "invalid format - invalid configuration ID '1x'\n" });
    const long = await t.api(path, { method: 'POST', form: { snapname: `a${'b'.repeat(40)}` } });
    assert.equal(long.status, 400);
    const ct = t.sim.control.guestWithRole('runningLxc');
    const vzdumpName = await t.api(`/nodes/${ct.node}/lxc/${ct.vmid}/snapshot`, { method: 'POST', form: { snapname: 'vzdump' } });
    assert.equal(vzdumpName.status, 500);
    const ctSnap = await t.api(`/nodes/${ct.node}/lxc/${ct.vmid}/snapshot`, { method: 'POST', form: { snapname: 'ct-snap' } });
    assert.equal(parseUpid(ctSnap.json.data).type, 'vzsnapshot');
    assert.equal((await t.waitTask(ctSnap.json.data)).exitstatus, 'OK');
    const ctList = await t.api(`/nodes/${ct.node}/lxc/${ct.vmid}/snapshot`);
    assert.ok(ctList.json.data.some((s: { name: string }) => s.name === 'ct-snap'));
    const template = t.sim.control.guestWithRole('qemuTemplate');
    const tpl = await t.api(`/nodes/${template.node}/qemu/${template.vmid}/snapshot`, { method: 'POST', form: { snapname: 'x1' } });
    assert.equal((await t.waitTask(tpl.json.data)).exitstatus, "you can't take a snapshot if it's a template");
    const missing = await t.api(`/nodes/pve1/qemu/99999/snapshot`, { method: 'POST', form: { snapname: 'x1' } });
    assert.equal(missing.status, 500);
    assert.equal(missing.reason, "Configuration file 'nodes/pve1/qemu-server/99999.conf' does not exist");
  });
});

describe('simulator vzdump', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ seed: 13, speed: 10 });
  });
  after(() => t.close());
  const vzdump = (node: string, form: Record<string, string | number>) => t.api(`/nodes/${node}/vzdump`, { method: 'POST', form });

  test('one local guest: its vmid is the task id; log has job framing and current-format progress', async () => {
    const vm = t.sim.control.guests({ type: 'qemu' }).find((g) => g.roles.length === 0 && !g.template)!;
    const reply = await vzdump(vm.node, { vmid: vm.vmid, storage: 'local', mode: 'snapshot', compress: 'zstd' });
    const upid: string = reply.json.data;
    assert.equal(parseUpid(upid).id, String(vm.vmid));
    assert.equal((await t.waitTask(upid)).exitstatus, 'OK');
    const log = await t.log(upid);
    assert.match(log[0]!, new RegExp(`^INFO: starting new backup job: vzdump ${vm.vmid} `));
    assert.equal(log[1], `INFO: Starting Backup of VM ${vm.vmid} (qemu)`);
    assert.match(log[2]!, /^INFO: Backup started at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.ok(log.some((line) => /^INFO: {3}0% \(0\.0 B of [\d.]+ GiB\) in 0s, read: 0 B\/s, write: 0 B\/s$/.test(line)));
    assert.ok(
      log.some((line) =>
        /^INFO: 100% \([\d.]+ GiB of [\d.]+ GiB\) in \d+(m \d+)?s, read: [\d.]+ [KMG]iB\/s, write: [\d.]+ [KMG]iB\/s$/.test(line),
      ),
    );
    assert.ok(log.some((line) => /^INFO: Finished Backup of VM \d+ \(\d\d:\d\d:\d\d\)$/.test(line)));
    assert.deepEqual(log.slice(-2), ['INFO: Backup job finished successfully', 'TASK OK']);
  });

  test('several guests: empty id; a failing guest ends the job with "job errors"', async () => {
    const failing = t.sim.control.guestWithRole('backupFails');
    const others = t.sim.control.guests({ node: failing.node }).filter((g) => g.vmid !== failing.vmid && g.roles.length === 0);
    const reply = await vzdump(failing.node, { vmid: `${others[0]!.vmid},${failing.vmid}`, storage: 'backup-nfs' });
    const upid: string = reply.json.data;
    assert.equal(parseUpid(upid).id, '');
    assert.match(upid, /:vzdump::root@pam!pvetasks:$/);
    assert.equal((await t.waitTask(upid)).exitstatus, 'job errors');
    const log = await t.log(upid);
    assert.ok(log.some((line) => line.startsWith(`ERROR: Backup of VM ${failing.vmid} failed - `)));
    assert.ok(log.some((line) => line.startsWith('INFO: Failed at ')));
    assert.deepEqual(log.slice(-2), ['INFO: Backup job finished with errors', 'TASK ERROR: job errors']);
  });

  test('the backupWarnings guest ends WARNINGS: N with WARN: lines', async () => {
    const guest = t.sim.control.guestWithRole('backupWarnings');
    const reply = await vzdump(guest.node, { vmid: guest.vmid });
    const done = await t.waitTask(reply.json.data);
    assert.match(done.exitstatus!, /^WARNINGS: [1-9]\d*$/);
    const log = await t.log(reply.json.data);
    assert.ok(log.some((line) => line.startsWith('WARN: ')));
    assert.equal(log.at(-1), `TASK ${done.exitstatus}`);
  });

  test('"OK" when every listed guest is on another node; missing vmids still start a failing task', async () => {
    const guest = t.sim.control.guests().find((g) => g.node !== 'pve1')!;
    const ok = await vzdump('pve1', { vmid: guest.vmid });
    assert.deepEqual(ok.json, { data: 'OK' });
    const missing = await vzdump('pve1', { vmid: 4242 });
    assert.equal((await t.waitTask(missing.json.data)).exitstatus, 'job errors');
    const missingLog = await t.log(missing.json.data);
    assert.ok(missingLog.includes("ERROR: Backup of VM 4242 failed - unable to find VM '4242'"));
    const mine = t.sim.control.guests({ node: 'pve1' }).find((g) => g.roles.length === 0)!;
    const mixed = await vzdump('pve1', { vmid: `${guest.vmid},${mine.vmid}` });
    assert.equal(parseUpid(mixed.json.data).id, String(mine.vmid), 'the one local guest names the task');
    await t.waitTask(mixed.json.data);
    assert.ok((await t.log(mixed.json.data)).includes(`INFO: skip external VMs: ${guest.vmid}`));
  });

  test('parameter rules: vmid, all or pool needed; all conflicts with vmid; vmid lists are checked', async () => {
    const none = await vzdump('pve1', { storage: 'local' });
    assert.equal(none.status, 400);
    assert.deepEqual(none.json.errors, { vmid: 'property is missing' });
    const both = await vzdump('pve1', { all: 1, vmid: 100 });
    assert.deepEqual(both.json.errors, { all: "option conflicts with option 'vmid'" });
    const badList = await vzdump('pve1', { vmid: '100,abc' });
    assert.equal(badList.status, 400);
    const rootOption = await vzdump('pve1', { vmid: 100, ionice: 5 });
    assert.deepEqual(rootOption.json.errors, { ionice: 'Only root may set this option.' });
    const badMode = await vzdump('pve1', { vmid: 100, mode: 'fast' });
    assert.deepEqual(badMode.json.errors, { mode: "value 'fast' does not have a value in the enumeration 'snapshot, suspend, stop'" });
  });

  test('storage problems fail inside the task', async () => {
    const guest = t.sim.control.guests().find((g) => g.roles.length === 0)!;
    const cases: Array<[string, string]> = [
      ['local-lvm', "could not get storage information for 'local-lvm': can't use storage 'local-lvm' for backups - wrong content type"],
      ['nope', "could not activate storage 'nope': storage 'nope' does not exist"],
      ['nfs-archive', "could not activate storage 'nfs-archive': storage 'nfs-archive' is not online"],
    ];
    for (const [storage, message] of cases) {
      const reply = await vzdump(guest.node, { vmid: guest.vmid, storage });
      assert.equal(reply.status, 200);
      assert.equal((await t.waitTask(reply.json.data)).exitstatus, message);
    }
  });

  test('one vzdump per node: the second logs the lock wait and starts when the first ends; a stop interrupts', async () => {
    const node = 'pve2';
    const local = t.sim.control.guests({ node }).filter((g) => g.roles.length === 0 && !g.template);
    const first = await vzdump(node, { vmid: local[0]!.vmid });
    const second = await vzdump(node, { vmid: local[1]!.vmid });
    const secondLog = await t.log(second.json.data);
    assert.deepEqual(secondLog, ['INFO: trying to get global lock - waiting...']);
    await t.waitTask(first.json.data);
    const firstEnd = t.sim.control.task(first.json.data)!.endedAt!;
    await t.run(t.clock.sleep(1));
    const resumed = await t.log(second.json.data);
    assert.equal(resumed[1], 'INFO: got global lock');
    assert.match(resumed[2]!, /^INFO: starting new backup job/);
    const stop = await t.api(`/nodes/${node}/tasks/${enc(second.json.data)}`, { method: 'DELETE' });
    assert.equal(stop.status, 200);
    const done = t.sim.control.task(second.json.data)!;
    assert.equal(done.exitStatus, 'interrupted by signal');
    assert.ok(done.startedAt < firstEnd);
    assert.ok(done.log.includes(`ERROR: Backup of VM ${local[1]!.vmid} failed - interrupted by signal`));
    assert.deepEqual(done.log.slice(-2), ['ERROR: Backup job failed - interrupted by signal', 'TASK ERROR: interrupted by signal']);

    const holder = await vzdump(node, { vmid: local[0]!.vmid });
    const waiting = await vzdump(node, { vmid: local[1]!.vmid });
    await t.api(`/nodes/${node}/tasks/${enc(waiting.json.data)}`, { method: 'DELETE' });
    assert.deepEqual(t.sim.control.task(waiting.json.data)!.log, [
      'INFO: trying to get global lock - waiting...',
      'TASK ERROR: interrupted by signal',
    ]);
    await t.api(`/nodes/${node}/tasks/${enc(holder.json.data)}`, { method: 'DELETE' });
  });

  test('an lxc backup prints no percentages', async () => {
    const ct = t.sim.control.guests({ type: 'lxc' }).find((g) => g.roles.length === 0 && !g.template)!;
    const reply = await vzdump(ct.node, { vmid: ct.vmid, storage: 'backup-nfs' });
    await t.waitTask(reply.json.data);
    const log = await t.log(reply.json.data);
    assert.ok(log.includes(`INFO: Starting Backup of VM ${ct.vmid} (lxc)`));
    assert.ok(!log.some((line) => /^INFO: +\d+% /.test(line)));
  });
});
