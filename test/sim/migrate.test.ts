// Migration as qemu-server and pve-container do it: what the API refuses at once, what fails inside
// the task (and how the log says so), the log of each kind of migration in PVE 9's and PVE 8's
// formats, the precondition checks, and a container moved by the HA stack.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseUpid } from '../../src/tasks/upid.js';
import { STAMP, migrationHelpers as helpers, stamped, startTestSim, type TestSim } from './helpers.js';

describe('simulator migration (PVE 9)', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ seed: 9 });
  });
  after(() => t.close());
  const { other, migrate, run } = helpers(() => t);

  test('refused at once: local target, unknown node, root-only options, a running VM without online, a locked VM', async () => {
    const vm = t.sim.control.guestWithRole('runningQemu');
    const local = await migrate('qemu', vm, { target: vm.node });
    assert.equal(local.status, 400);
    assert.deepEqual(local.json.errors, { target: 'target is local node.' });
    const unknown = await migrate('qemu', vm, { target: 'pve9' });
    assert.equal(unknown.status, 500);
    assert.equal(unknown.reason, "no such cluster node 'pve9'");
    // A token of root@pam is not root@pam.
    const force = await migrate('qemu', vm, { target: other(vm.node), online: 1, force: 1 });
    assert.deepEqual(force.json.errors, { force: 'Only root may use this option.' });
    const offline = await migrate('qemu', vm, { target: other(vm.node) });
    assert.equal(offline.status, 500);
    assert.equal(offline.reason, "can't migrate running VM without --online");
    const locked = t.sim.control.guestWithRole('lockedQemu');
    const lockedReply = await migrate('qemu', locked, { target: other(locked.node), online: 1 });
    assert.equal(lockedReply.status, 500);
    assert.equal(lockedReply.reason, 'VM is locked (backup)');
    const missing = await t.api('/nodes/pve1/qemu/99999/migrate', { method: 'POST', form: { target: 'pve2' } });
    assert.equal(missing.reason, "Configuration file 'nodes/pve1/qemu-server/99999.conf' does not exist");
  });

  test('a running VM with local disks and no with-local-disks fails in its task, after the scan, and stays', async () => {
    const vm = t.sim.control.guestWithRole('runningQemu');
    const { exitstatus, log } = await run(await migrate('qemu', vm, { target: other(vm.node), online: 1 }));
    assert.equal(exitstatus, 'migration aborted');
    const volid = `local-lvm:vm-${vm.vmid}-disk-0`;
    assert.match(log[0]!, stamped('conntrack state migration not supported or disabled, active connections might get dropped'));
    assert.match(log[1]!, stamped(`starting migration of VM ${vm.vmid} to node '${other(vm.node)}' \\(10\\.10\\.10\\.\\d+\\)`));
    assert.ok(log.some((line) => stamped(`found local disk '${volid}' \\(attached\\)`).test(line)));
    assert.ok(
      log.some((line) =>
        stamped(`can't migrate local disk '${volid}': can't live migrate attached local disks without with-local-disks option`).test(line),
      ),
    );
    const tail = log.slice(-4).map((line) => line.replace(new RegExp(`^${STAMP} `), ''));
    assert.equal(tail[0], "ERROR: Problem found while scanning volumes - can't migrate VM - check log");
    assert.equal(tail[1], 'aborting phase 1 - cleanup resources');
    assert.match(
      tail[2]!,
      /^ERROR: migration aborted \(duration \d\d:\d\d:\d\d\): Problem found while scanning volumes - can't migrate VM - check log$/,
    );
    assert.equal(tail[3], 'TASK ERROR: migration aborted');
    const after = t.sim.control.guest(vm.vmid)!;
    assert.equal(after.node, vm.node);
    assert.equal(after.lock, undefined);
  });

  test('online with local disks: each disk mirrored in turn (mirror-scsiN, one line per unfinished job), RAM phase, the VM on the target', async () => {
    const vm = t.sim.control.guestWithRole('multiDiskQemu');
    const target = other(vm.node);
    const reply = await migrate('qemu', vm, { target, online: 1, 'with-local-disks': 1 });
    assert.equal(parseUpid(reply.json.data).type, 'qmigrate');
    // While it runs the VM is locked and still on its node.
    await t.run(t.clock.sleep(5000));
    assert.equal(t.sim.control.guest(vm.vmid)?.lock, 'migrate');
    const { exitstatus, log } = await run(reply);
    assert.equal(exitstatus, 'OK');
    const mirrorLines = log.filter((line) => /^mirror-scsi\d: transferred /.test(line));
    // One disk after the other: all of scsi0's lines come before scsi1's, which come before scsi2's.
    const order = mirrorLines.map((line) => line.slice(0, 12));
    assert.deepEqual([...new Set(order)], ['mirror-scsi0', 'mirror-scsi1', 'mirror-scsi2']);
    assert.deepEqual(order, [...order].sort());
    for (const line of mirrorLines) {
      assert.match(line, /^mirror-scsi\d: transferred \d+\.\d (B|KiB|MiB|GiB) of \d+\.\d GiB \(\d+\.\d\d%\) in (\d+m )?\d+s(, ready)?$/);
    }
    assert.equal(mirrorLines.filter((line) => line.endsWith(', ready')).length, 3);
    assert.equal(log.filter((line) => line === "all 'mirror' jobs are ready").length, 4);
    assert.ok(log.includes('drive mirror is starting for drive-scsi1'));
    assert.ok(
      log.some((line) =>
        stamped('scsi1: start migration to nbd:unix:/run/qemu-server/\\d+_nbd\\.migrate:exportname=drive-scsi1').test(line),
      ),
    );
    assert.ok(log.some((line) => stamped('switching mirror jobs to actively synced mode').test(line)));
    assert.ok(
      log.some((line) =>
        stamped('migration active, transferred \\d+\\.\\d [KMG]iB of \\d+\\.\\d GiB VM-state, \\d+\\.\\d MiB/s').test(line),
      ),
    );
    assert.ok(log.some((line) => stamped('average migration speed: \\d+\\.\\d MiB/s - downtime \\d+ ms').test(line)));
    assert.ok(log.some((line) => stamped('migration completed, transferred \\d+\\.\\d GiB VM-state').test(line)));
    assert.ok(log.includes('mirror-scsi2: Completing block job...'));
    assert.ok(log.includes('mirror-scsi0: mirror-job finished'));
    assert.match(log.at(-2)!, stamped('migration finished successfully \\(duration \\d\\d:\\d\\d:\\d\\d\\)'));
    const moved = t.sim.control.guest(vm.vmid)!;
    assert.equal(moved.node, target);
    assert.equal(moved.status, 'running');
    assert.equal(moved.lock, undefined);
  });

  test('a running VM on shared storage migrates live without with-local-disks: no storage migration at all', async () => {
    const vm = t.sim.control.guestWithRole('sharedDiskQemu');
    const { exitstatus, log } = await run(await migrate('qemu', vm, { target: other(vm.node), online: 1 }));
    assert.equal(exitstatus, 'OK');
    assert.ok(!log.some((line) => /storage migration|found local disk|mirror/.test(line)));
    assert.ok(log.some((line) => stamped('starting online/live migration on unix:/run/qemu-server/\\d+\\.migrate').test(line)));
  });

  test('offline: local disks go through pvesm export | import, dd byte counts and no percentage', async () => {
    const vm = t.sim.control.guestWithRole('stoppedQemu');
    const target = other(vm.node);
    const { exitstatus, log } = await run(await migrate('qemu', vm, { target, online: 1 }));
    assert.equal(exitstatus, 'OK');
    const volid = `local-lvm:vm-${vm.vmid}-disk-0`;
    const copy = log.slice(
      log.findIndex((line) => line.endsWith('copying local disk images')) + 1,
      log.findIndex((line) => line.includes('on the target')),
    );
    assert.ok(copy.length > 4);
    for (const line of copy) {
      assert.match(
        line,
        new RegExp(
          `^${STAMP} (\\d+ bytes \\(\\d+(\\.\\d)? [kMGT]B, \\d+(\\.\\d)? [KMGT]iB\\) copied, \\d+(\\.\\d+)? s, \\d+(\\.\\d)? [kMG]B/s|\\d+\\+\\d+ records (in|out)|successfully imported '${volid}')$`,
        ),
      );
    }
    assert.ok(!log.some((line) => /\d%/.test(line)), 'no percentage anywhere');
    assert.ok(log.some((line) => stamped(`volume '${volid}' is '${volid}' on the target`).test(line)));
    assert.ok(!log.some((line) => line.includes('conntrack')), 'only a running VM hears about conntrack');
    assert.equal(t.sim.control.guest(vm.vmid)?.node, target);
  });

  test('fails in the task: an offline target (before phase 1), local devices, a stopped VM with snapshots on local-lvm', async () => {
    const dev = t.sim.control.guestWithRole('localDevices');
    const devices = await run(await migrate('qemu', dev, { target: other(dev.node), online: 1, 'with-local-disks': 1 }));
    assert.equal(devices.exitstatus, 'migration aborted');
    assert.match(
      devices.log.at(-2)!,
      stamped("ERROR: migration aborted \\(duration 00:00:00\\): can't migrate VM which uses local devices: hostpci0"),
    );

    const vm = t.sim.control.guests({ type: 'qemu', status: 'stopped' }).find((g) => g.roles.length === 0 && !g.hastate && !g.template)!;
    // Powered off: a node other than the VM's and than pve1, whose listener the test talks to.
    const target = ['pve2', 'pve3'].find((node) => node !== vm.node)!;
    await t.sim.control.addFault(`offline=${target}:refuse`);
    try {
      const down = await run(await migrate('qemu', vm, { target }));
      assert.equal(down.exitstatus, 'migration aborted');
      assert.ok(!down.log.some((line) => line.includes('starting migration')), 'the SSH check is in prepare');
      assert.match(
        down.log.at(-2)!,
        stamped("ERROR: migration aborted \\(duration \\d\\d:\\d\\d:\\d\\d\\): Can't connect to destination address using public key"),
      );
    } finally {
      await t.sim.control.clearFaults();
    }

    // LVM-thin snapshots cannot move: a VM with one on its local disk fails the scan.
    const local = t.sim.control
      .guests({ type: 'qemu', status: 'stopped' })
      .find((g) => g.roles.length === 0 && !g.hastate && g.disks.every((disk) => disk.storage === 'local-lvm'))!;
    assert.ok(local, 'a plain stopped VM on local-lvm');
    const snapshotted = await t.api(`/nodes/${local.node}/qemu/${local.vmid}/snapshot`, { method: 'POST', form: { snapname: 'pre-move' } });
    await t.waitTask(snapshotted.json.data);
    const withSnapshot = await run(await migrate('qemu', local, { target: other(local.node) }));
    assert.equal(withSnapshot.exitstatus, 'migration aborted');
    assert.ok(
      withSnapshot.log.some((line) => /can't migrate local disk 'local-lvm:vm-\d+-disk-0': non-migratable snapshot exists$/.test(line)),
    );
    assert.equal(t.sim.control.guest(local.vmid)?.node, local.node);
  });

  test('a template migrates (offline)', async () => {
    const tpl = t.sim.control.guestWithRole('qemuTemplate');
    const { exitstatus } = await run(await migrate('qemu', tpl, { target: other(tpl.node) }));
    assert.equal(exitstatus, 'OK');
    assert.equal(t.sim.control.guest(tpl.vmid)?.node, other(tpl.node));
  });

  test('GET .../qemu/{vmid}/migrate: running, nodes, local disks and the local resources that pin the VM', async () => {
    const dev = t.sim.control.guestWithRole('localDevices');
    const reply = await t.api(`/nodes/${dev.node}/qemu/${dev.vmid}/migrate`);
    assert.equal(reply.status, 200);
    const data = reply.json.data;
    const others = t.sim.control
      .nodes()
      .map((node) => node.node)
      .filter((node) => node !== dev.node);
    assert.equal(data.running, 1);
    assert.deepEqual(data.allowed_nodes, others);
    assert.deepEqual(data.not_allowed_nodes, Object.fromEntries(others.map((node) => [node, {}])));
    assert.deepEqual(data.local_resources, ['hostpci0']);
    assert.equal(data.local_disks.length, 1);
    assert.equal(data.local_disks[0].volid, `local-lvm:vm-${dev.vmid}-disk-0`);
    assert.equal(data.local_disks[0].drivename, 'scsi0');
    assert.equal(data['has-dbus-vmstate'], 1);
    const locked = t.sim.control.guestWithRole('lockedQemu');
    const lockedReply = await t.api(`/nodes/${locked.node}/qemu/${locked.vmid}/migrate`);
    assert.equal(lockedReply.reason, 'VM is locked (backup)');
  });

  test('stopping a live migration mid-RAM: "migration problems", the VM stays where it was', async () => {
    const vm = t.sim.control.guests({ type: 'qemu', status: 'running' }).find((g) => g.roles.length === 0 && !g.hastate)!;
    const reply = await migrate('qemu', vm, { target: other(vm.node), online: 1, 'with-local-disks': 1 });
    const upid: string = reply.json.data;
    await t.run(
      (async () => {
        while (!(await t.log(upid)).some((line) => line.includes('migration active'))) await t.clock.sleep(1000);
      })(),
    );
    await t.api(`/nodes/${vm.node}/tasks/${encodeURIComponent(upid)}`, { method: 'DELETE' });
    const done = await t.waitTask(upid);
    assert.equal(done.exitstatus, 'migration problems');
    const log = await t.log(upid);
    assert.ok(log.some((line) => stamped('ERROR: online migrate failure - interrupted by signal').test(line)));
    assert.ok(log.some((line) => stamped('migrate_cancel').test(line)));
    assert.equal(t.sim.control.guest(vm.vmid)?.node, vm.node);
  });
});

describe('simulator container migration', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ seed: 10 });
  });
  after(() => t.close());
  const { other, migrate, run } = helpers(() => t);

  test('a running CT: refused without restart, online fails in the task, restart mode stops, copies and starts it on the target', async () => {
    const ct = t.sim.control.guestWithRole('runningLxc');
    const target = other(ct.node);
    const plain = await migrate('lxc', ct, { target });
    assert.equal(plain.status, 500);
    assert.equal(plain.reason, "can't migrate running container without --online or --restart");
    const online = await run(await migrate('lxc', ct, { target, online: 1 }));
    assert.equal(parseUpid(online.upid).type, 'vzmigrate');
    assert.equal(online.exitstatus, 'migration aborted');
    assert.match(
      online.log.at(-2)!,
      stamped('ERROR: migration aborted \\(duration 00:00:00\\): lxc live migration is currently not implemented'),
    );
    assert.equal(t.sim.control.guest(ct.vmid)?.status, 'running');

    const restart = await migrate('lxc', ct, { target, restart: 1 });
    await t.run(
      (async () => {
        while (!(await t.log(restart.json.data)).some((line) => line.includes('starting migration of CT'))) await t.clock.sleep(500);
      })(),
    );
    assert.equal(t.sim.control.guest(ct.vmid)?.status, 'stopped', 'shut down first');
    const { exitstatus, log } = await run(restart);
    assert.equal(exitstatus, 'OK');
    const texts = log.map((line) => line.replace(new RegExp(`^${STAMP} `), ''));
    assert.equal(texts[0], `shutdown CT ${ct.vmid}`);
    assert.match(texts[1]!, new RegExp(`^starting migration of CT ${ct.vmid} to node '${target}'`));
    assert.ok(texts.includes(`found local volume 'local-lvm:vm-${ct.vmid}-disk-0' (in current VM config)`));
    assert.ok(texts.includes(`successfully imported 'local-lvm:vm-${ct.vmid}-disk-0'`));
    const start = texts.indexOf('start container on target node');
    assert.ok(start > texts.indexOf('start final cleanup'));
    assert.match(
      texts[start + 1]!,
      new RegExp(
        `^# /usr/bin/ssh -e none -o 'BatchMode=yes' -o 'HostKeyAlias=${target}' .* root@10\\.10\\.10\\.\\d+ pct start ${ct.vmid}$`,
      ),
    );
    const moved = t.sim.control.guest(ct.vmid)!;
    assert.equal(moved.node, target);
    assert.equal(moved.status, 'running');
  });

  test('GET .../lxc/{vmid}/migrate (PVE 9): running and the allowed nodes', async () => {
    const ct = t.sim.control.guestWithRole('stoppedLxc');
    const reply = await t.api(`/nodes/${ct.node}/lxc/${ct.vmid}/migrate`);
    assert.equal(reply.status, 200);
    assert.equal(reply.json.data.running, 0);
    assert.deepEqual(
      reply.json.data['allowed-nodes'],
      t.sim.control
        .nodes()
        .map((node) => node.node)
        .filter((node) => node !== ct.node),
    );
    assert.deepEqual(reply.json.data['not-allowed-nodes'], {});
  });

  test("an HA CT: hamigrate, then the HA stack's vzshutdown, vzmigrate and vzstart on the target, all root@pam", async () => {
    const ct = t.sim.control.guestWithRole('haStoppedLxc');
    // Start it through HA first, then move it.
    await t.waitTask((await t.api(`/nodes/${ct.node}/lxc/${ct.vmid}/status/start`, { method: 'POST' })).json.data);
    await t.run(t.clock.sleep(60_000));
    assert.equal(t.sim.control.guest(ct.vmid)?.status, 'running');
    const target = other(ct.node);
    const request = await run(await migrate('lxc', ct, { target, restart: 1 }));
    assert.equal(parseUpid(request.upid).type, 'hamigrate');
    assert.deepEqual(request.log, [`Requesting HA migration for CT ${ct.vmid} to node ${target}`, 'TASK OK']);
    assert.equal(t.sim.control.guest(ct.vmid)?.hastate, 'relocate');
    await t.run(t.clock.sleep(300_000));
    const moved = t.sim.control.guest(ct.vmid)!;
    assert.deepEqual([moved.node, moved.status, moved.hastate], [target, 'running', 'started']);
    const followUps = ['vzshutdown', 'vzmigrate', 'vzstart'].map((type) => t.sim.control.tasks({ type, id: String(ct.vmid) }).at(-1)!);
    for (const task of followUps) {
      assert.equal(task.user, 'root@pam');
      assert.equal(task.exitStatus, 'OK');
      assert.equal(t.sim.control.task(task.upid)!.log[0], 'task started by HA resource agent');
    }
    assert.equal(followUps[2]!.node, target);
    assert.ok(followUps[0]!.endedAt! <= followUps[1]!.startedAt && followUps[1]!.endedAt! <= followUps[2]!.startedAt);
  });
});

describe('simulator migration (PVE 8)', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ seed: 9, pveVersion: 8 });
  });
  after(() => t.close());
  const { other, migrate, run } = helpers(() => t);

  test('drive-scsiN job names, no conntrack line, no has-dbus-vmstate, no lxc precondition endpoint', async () => {
    const version = await t.api('/version');
    assert.equal(version.json.data.release, '8.4');
    const vm = t.sim.control.guestWithRole('runningQemu');
    const pre = await t.api(`/nodes/${vm.node}/qemu/${vm.vmid}/migrate`);
    assert.equal('has-dbus-vmstate' in pre.json.data, false);
    const { exitstatus, log } = await run(await migrate('qemu', vm, { target: other(vm.node), online: 1, 'with-local-disks': 1 }));
    assert.equal(exitstatus, 'OK');
    assert.ok(log.includes('drive mirror is starting for drive-scsi0'));
    assert.ok(log.some((line) => /^drive-scsi0: transferred .* \(100\.00%\) in .*, ready$/.test(line)));
    assert.ok(!log.some((line) => line.startsWith('mirror-scsi') || line.includes('conntrack')));
    const ct = t.sim.control.guestWithRole('stoppedLxc');
    const lxc = await t.api(`/nodes/${ct.node}/lxc/${ct.vmid}/migrate`);
    assert.equal(lxc.status, 501);
  });
});
