import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GUEST_ROLES } from '../../src/sim/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { enc, startTestSim, type TestSim } from './helpers.js';

describe('simulated cluster content', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ seed: 1 });
  });
  after(() => t.close());

  test('/nodes: online nodes with stats, id/type, and the leaf fingerprint', async () => {
    const reply = await t.api('/nodes');
    assert.deepEqual(
      reply.json.data.map((node: { node: string }) => node.node),
      ['pve1', 'pve2', 'pve3'],
    );
    const node = reply.json.data[0];
    assert.equal(node.status, 'online');
    assert.equal(node.id, 'node/pve1');
    assert.equal(node.type, 'node');
    assert.match(node.ssl_fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    for (const key of ['cpu', 'maxcpu', 'mem', 'maxmem', 'disk', 'maxdisk', 'uptime']) assert.equal(typeof node[key], 'number', key);
  });

  test('/cluster/resources: guests, nodes, storages and sdn, filtered by type', async () => {
    const all = await t.api('/cluster/resources');
    const types = new Set(all.json.data.map((item: { type: string }) => item.type));
    assert.deepEqual([...types].sort(), ['lxc', 'node', 'qemu', 'sdn', 'storage']);
    const vms = await t.api('/cluster/resources?type=vm');
    assert.equal(vms.json.data.length, 40);
    const vm = vms.json.data.find((item: { type: string }) => item.type === 'qemu');
    assert.equal(vm.id, `qemu/${vm.vmid}`);
    assert.equal(typeof vm.vmid, 'number');
    assert.ok(vm.template === 0 || vm.template === 1);
    assert.equal(typeof vm.name, 'string');
    const ha = vms.json.data.filter((item: { hastate?: string }) => item.hastate);
    assert.ok(ha.length >= 3);
    assert.ok(vms.json.data.some((item: { tags?: string }) => typeof item.tags === 'string' && item.tags.length > 0));
    const storages = await t.api('/cluster/resources?type=storage');
    assert.ok(storages.json.data.every((item: { type: string }) => item.type === 'storage'));
    assert.equal(storages.json.data.find((item: { storage: string }) => item.storage === 'nfs-archive').status, 'unknown');
  });

  test('/nodes/{node}/storage: local (backup), local-lvm and ceph-vm (images), shared backups (NFS, PBS), a failing one', async () => {
    const all = await t.api('/nodes/pve2/storage');
    const byName = Object.fromEntries(all.json.data.map((item: { storage: string }) => [item.storage, item]));
    assert.equal(byName.local.content, 'backup,iso,vztmpl');
    assert.equal(byName['local-lvm'].content, 'images,rootdir');
    assert.equal(byName['backup-nfs'].shared, 1);
    assert.equal(byName['ceph-vm'].shared, 1);
    assert.equal(byName['pbs-backup'].type, 'pbs');
    assert.equal(byName['nfs-archive'].active, 0);
    assert.equal(byName.local.active, 1);
    const backup = await t.api('/nodes/pve2/storage?content=backup');
    assert.deepEqual(
      backup.json.data.map((item: { storage: string }) => item.storage),
      ['local', 'backup-nfs', 'pbs-backup', 'nfs-archive'],
    );
    const badContent = await t.api('/nodes/pve2/storage?content=movies');
    assert.equal(badContent.status, 400);
  });

  test('qemu and lxc lists per node; templates marked; status/current with HA info', async () => {
    const template = t.sim.control.guestWithRole('qemuTemplate');
    const list = await t.api(`/nodes/${template.node}/qemu`);
    const row = list.json.data.find((item: { vmid: number }) => item.vmid === template.vmid);
    assert.equal(row.template, 1);
    assert.equal(row.status, 'stopped');
    const ha = t.sim.control.guestWithRole('haStoppedQemu');
    const current = await t.api(`/nodes/${ha.node}/qemu/${ha.vmid}/status/current`);
    assert.deepEqual(current.json.data.ha, { managed: 1, state: 'stopped' });
    const wrongNode = ha.node === 'pve1' ? 'pve2' : 'pve1';
    assert.equal((await t.api(`/nodes/${wrongNode}/qemu/${ha.vmid}/status/current`)).status, 500);
  });

  test('snapshots: a chain with parent links ends in the "current" entry', async () => {
    const withSnaps = t.sim.control.guests().find((guest) => t.sim.control.snapshots(guest.node, guest.type, guest.vmid).length >= 2)!;
    const reply = await t.api(`/nodes/${withSnaps.node}/${withSnaps.type}/${withSnaps.vmid}/snapshot`);
    const list = reply.json.data as Array<{ name: string; parent?: string; snaptime?: number }>;
    const names = new Set(list.map((item) => item.name));
    for (const item of list) if (item.parent !== undefined) assert.ok(names.has(item.parent), `parent ${item.parent} exists`);
    assert.equal(list.at(-1)!.name, 'current');
    assert.ok(list.at(-1)!.parent !== undefined);
    assert.ok(list.slice(0, -1).every((item) => typeof item.snaptime === 'number'));
  });

  test('every role is held by exactly one guest, as described', () => {
    const c = t.sim.control;
    for (const role of GUEST_ROLES) assert.equal(c.guests({ role }).length, 1, role);
    assert.equal(c.guestWithRole('stoppedQemu').status, 'stopped');
    assert.equal(c.guestWithRole('runningLxc').type, 'lxc');
    assert.equal(c.guestWithRole('haStoppedQemu').hastate, 'stopped');
    assert.equal(c.guestWithRole('qemuTemplate').template, true);
  });
});

test('roles are guaranteed whatever the seed, even with few guests', async () => {
  for (const seed of [0, 2, 99, 12345]) {
    const t = await startTestSim({ seed, guests: 5, nodes: 2 });
    try {
      const guests = t.sim.control.guests();
      assert.equal(guests.length, GUEST_ROLES.length, 'raised to one guest per role');
      for (const role of GUEST_ROLES) assert.equal(t.sim.control.guests({ role }).length, 1, `${role} with seed ${seed}`);
    } finally {
      await t.close();
    }
  }
});

test('same seed: same cluster, same UPIDs, same task timings and logs', async () => {
  const runOnce = async () => {
    const clock = new ManualClock();
    const t = await startTestSim({ seed: 42, clock });
    try {
      const resources = (await t.api('/cluster/resources?type=vm')).json.data.map((item: Record<string, unknown>) => ({
        vmid: item.vmid,
        node: item.node,
        name: item.name,
        status: item.status,
        tags: item.tags,
      }));
      const guest = t.sim.control.guests({ type: 'qemu' }).find((g) => g.roles.length === 0 && !g.template)!;
      const backup = (await t.api(`/nodes/${guest.node}/vzdump`, { method: 'POST', form: { vmid: guest.vmid } })).json.data;
      const start = t.sim.control.guestWithRole('stoppedQemu');
      const started = (await t.api(`/nodes/${start.node}/qemu/${start.vmid}/status/start`, { method: 'POST' })).json.data;
      await t.waitTask(backup);
      await t.waitTask(started);
      const records = t.sim.control.tasks().map(({ upid, startedAt, endedAt, exitStatus }) => ({ upid, startedAt, endedAt, exitStatus }));
      const log = await t.log(backup);
      const snaps = (await t.api(`/nodes/${start.node}/qemu/${start.vmid}/snapshot`)).json.data.map((s: { name: string }) => s.name);
      return { resources, records, log, snaps };
    } finally {
      await t.close();
    }
  };
  const first = await runOnce();
  const second = await runOnce();
  assert.deepEqual(second, first);
  const other = await startTestSim({ seed: 43 });
  try {
    const names = (await other.api('/cluster/resources?type=vm')).json.data.map((item: { name: string }) => item.name);
    assert.notDeepEqual(
      names,
      first.resources.map((item: { name: unknown }) => item.name),
    );
  } finally {
    await other.close();
  }
});

test('speed divides task durations', async () => {
  const durationAt = async (speed: number) => {
    const t = await startTestSim({ seed: 8, speed });
    try {
      const guest = t.sim.control.guests({ type: 'qemu' }).find((g) => g.roles.length === 0 && !g.template)!;
      const upid = (await t.api(`/nodes/${guest.node}/vzdump`, { method: 'POST', form: { vmid: guest.vmid } })).json.data;
      await t.waitTask(upid);
      const record = t.sim.control.task(upid)!;
      return record.endedAt! - record.startedAt;
    } finally {
      await t.close();
    }
  };
  const slow = await durationAt(1);
  const fast = await durationAt(10);
  assert.ok(slow > 10_000, `a backup takes a while (${slow} ms)`);
  assert.equal(Math.round(slow / fast), 10);
});

test("background: other users' tasks appear over time, visible only with Sys.Audit", async () => {
  const t = await startTestSim({ seed: 6, background: true });
  try {
    await t.run(t.clock.sleep(180_000));
    const tasks = await t.api('/cluster/tasks');
    const users = new Set(tasks.json.data.map((item: { user: string }) => item.user));
    assert.ok(tasks.json.data.length >= 5, `${tasks.json.data.length} background tasks`);
    assert.ok([...users].some((user) => user !== 'root@pam'));
    const token = t.sim.control.addToken('plain', { audit: false });
    const hidden = await t.api('/cluster/tasks', { headers: { authorization: `PVEAPIToken=${token}` } });
    assert.deepEqual(hidden.json.data, []);
    const some = tasks.json.data[0];
    const status = await t.api(`/nodes/${some.node}/tasks/${enc(some.upid)}/status`, {
      headers: { authorization: `PVEAPIToken=${token}` },
    });
    assert.equal(status.status, 403);
  } finally {
    await t.close();
  }
});
