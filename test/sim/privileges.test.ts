// Privileges as pve-access-control computes them: /access/permissions, 403s before parameter checks,
// what lists show to whom (guests, storages, nodes, tasks), and the token/user split of task lists.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ALL_PRIVILEGES, OPS_VM_PRIVILEGES } from '../../src/sim/index.js';
import { enc, startTestSim, type TestSim } from './helpers.js';

const as = (token: string) => ({ headers: { authorization: `PVEAPIToken=${token}` } });

describe('simulator privileges', () => {
  let t: TestSim;
  let ops: string;
  before(async () => {
    t = await startTestSim({ seed: 4 });
    ops = t.sim.control.addToken('ops', { privileges: 'ops' });
  });
  after(() => t.close());

  test('an ops token: ops@pve!ops, its privileges on /vms and two backup storages, nothing on / or /nodes', async () => {
    assert.match(ops, /^ops@pve!ops=\S+$/);
    const reply = await t.api('/access/permissions', as(ops));
    assert.equal(reply.status, 200);
    const data = reply.json.data as Record<string, Record<string, number>>;
    assert.deepEqual(Object.keys(data).sort(), ['/storage/backup-nfs', '/storage/pbs-backup', '/vms']);
    assert.deepEqual(Object.keys(data['/vms']!).sort(), [...OPS_VM_PRIVILEGES].sort());
    assert.ok(
      Object.values(data['/vms']!).every((flag) => flag === 1),
      'propagated',
    );
    assert.deepEqual(data['/storage/backup-nfs'], { 'Datastore.AllocateSpace': 1, 'Datastore.Audit': 1 });
    // One path: inherited from /vms; a path without privileges is still listed, empty.
    const one = await t.api('/access/permissions?path=/vms/105', as(ops));
    assert.deepEqual(Object.keys(one.json.data['/vms/105']).sort(), [...OPS_VM_PRIVILEGES].sort());
    const none = await t.api(`/access/permissions?path=${enc('/nodes/pve1')}`, as(ops));
    assert.deepEqual(none.json.data, { '/nodes/pve1': {} });
  });

  test("root@pam's token holds every privilege on the default paths; asking for another user needs Sys.Audit on /access", async () => {
    const mine = await t.api('/access/permissions');
    // The default paths, and every path an ACL names (the ops token's storages), whoever it is for.
    const defaults = ['/', '/access', '/access/groups', '/nodes', '/pool', '/sdn', '/storage', '/vms'];
    assert.deepEqual(Object.keys(mine.json.data).sort(), [...defaults, '/storage/backup-nfs', '/storage/pbs-backup'].sort());
    assert.equal(Object.keys(mine.json.data['/']).length, ALL_PRIVILEGES.length);
    const asRoot = await t.api(`/access/permissions?userid=${enc('ops@pve')}`);
    assert.equal(asRoot.status, 200);
    assert.ok(asRoot.json.data['/vms']['VM.Migrate']);
    const refused = await t.api('/access/permissions?userid=root@pam', as(ops));
    assert.equal(refused.status, 403);
    assert.equal(refused.reason, 'Permission check failed (/access, Sys.Audit)');
    const bad = await t.api('/access/permissions?userid=nobody', as(ops));
    assert.equal(bad.status, 400);
  });

  test('a privilege-separated token holds only what both it and its user hold; a non-propagating entry stops at its path', async () => {
    t.sim.control.addUser('alice@pve', { acl: [{ path: '/vms', role: 'PVEVMUser' }] });
    const token = t.sim.control.addToken('ci', {
      user: 'alice@pve',
      acl: [
        { path: '/', role: 'Administrator' },
        { path: '/vms/101', privileges: ['VM.Audit'], propagate: false },
      ],
    });
    const vms = await t.api('/access/permissions?path=/vms/100', as(token));
    // Administrator on / meets PVEVMUser on /vms: the user's VM privileges, not VM.Migrate or Sys.*.
    assert.ok(vms.json.data['/vms/100']['VM.PowerMgmt'] === 1);
    assert.equal(vms.json.data['/vms/100']['VM.Migrate'], undefined);
    const exact = await t.api('/access/permissions?path=/vms/101', as(token));
    assert.deepEqual(exact.json.data, { '/vms/101': { 'VM.Audit': 0 } });
    const aliceSees = t.sim.control.permissions('alice@pve', '/vms/101');
    assert.equal(aliceSees['/vms/101']!['VM.PowerMgmt'], 1);
  });

  test('403 "Permission check failed (<path>, <privilege>)" comes before the parameters are checked', async () => {
    const guest = t.sim.control.guestWithRole('stoppedQemu');
    const narrow = t.sim.control.addToken('narrow', { acl: [{ path: `/vms/${guest.vmid + 1000}`, privileges: ['VM.PowerMgmt'] }] });
    const refused = await t.api(`/nodes/${guest.node}/qemu/${guest.vmid}/status/start`, {
      method: 'POST',
      form: { timeout: 'soon', bogus: 1 },
      ...as(narrow),
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.reason, `Permission check failed (/vms/${guest.vmid}, VM.PowerMgmt)`);
    assert.equal(refused.json.message, `Permission check failed (/vms/${guest.vmid}, VM.PowerMgmt)\n`);
    const migrate = await t.api(`/nodes/${guest.node}/qemu/${guest.vmid}/migrate`, {
      method: 'POST',
      form: { target: 'pve2' },
      ...as(narrow),
    });
    assert.equal(migrate.reason, `Permission check failed (/vms/${guest.vmid}, VM.Migrate)`);
    const snapshot = await t.api(`/nodes/${guest.node}/qemu/${guest.vmid}/snapshot`, {
      method: 'POST',
      form: { snapname: 'x1' },
      ...as(narrow),
    });
    assert.equal(snapshot.reason, `Permission check failed (/vms/${guest.vmid}, VM.Snapshot)`);
    const status = await t.api(`/nodes/${guest.node}/qemu/${guest.vmid}/status/current`, as(narrow));
    assert.equal(status.reason, `Permission check failed (/vms/${guest.vmid}, VM.Audit)`);
    // The ops token may power every guest: parameters are checked then.
    const checked = await t.api(`/nodes/${guest.node}/qemu/${guest.vmid}/status/start`, {
      method: 'POST',
      form: { timeout: 'soon' },
      ...as(ops),
    });
    assert.equal(checked.status, 400);
  });

  test('lists show what VM.Audit, Sys.Audit and Datastore.Audit allow; /cluster/status needs Sys.Audit on /', async () => {
    const guest = t.sim.control.guestWithRole('runningQemu');
    const one = t.sim.control.addToken('one', { acl: [{ path: `/vms/${guest.vmid}`, privileges: ['VM.Audit'] }] });
    const resources = await t.api('/cluster/resources', as(one));
    const types = (type: string) => resources.json.data.filter((item: { type: string }) => item.type === type);
    assert.deepEqual(
      types('qemu').map((item: { vmid: number }) => item.vmid),
      [guest.vmid],
    );
    assert.deepEqual(types('lxc'), []);
    assert.deepEqual(types('storage'), []);
    // Every node is listed, without its figures.
    assert.equal(types('node').length, 3);
    assert.ok(types('node').every((item: Record<string, unknown>) => item.maxmem === undefined && item.status === 'online'));
    const list = await t.api(`/nodes/${guest.node}/qemu`, as(one));
    assert.deepEqual(
      list.json.data.map((item: { vmid: number }) => item.vmid),
      [guest.vmid],
    );

    const opsResources = await t.api('/cluster/resources?type=storage', as(ops));
    assert.deepEqual([...new Set(opsResources.json.data.map((item: { storage: string }) => item.storage))].sort(), [
      'backup-nfs',
      'pbs-backup',
    ]);
    const storage = await t.api('/nodes/pve1/storage', as(ops));
    assert.deepEqual(storage.json.data.map((item: { storage: string }) => item.storage).sort(), ['backup-nfs', 'pbs-backup']);
    const status = await t.api('/cluster/status', as(ops));
    assert.equal(status.status, 403);
    assert.equal(status.reason, 'Permission check failed (/, Sys.Audit)');
    const nodes = await t.api('/nodes', as(ops));
    assert.ok(nodes.json.data.every((item: Record<string, unknown>) => item.maxmem === undefined));
    const rootNodes = await t.api('/nodes');
    assert.ok(rootNodes.json.data.every((item: Record<string, unknown>) => typeof item.maxmem === 'number'));
  });

  test('vzdump: Datastore.AllocateSpace on the storage before the task; VM.Backup in it (a listed guest fails the job, `all` skips)', async () => {
    const guest = t.sim.control.guestWithRole('stoppedQemu');
    const local = await t.api(`/nodes/${guest.node}/vzdump`, { method: 'POST', form: { vmid: guest.vmid }, ...as(ops) });
    assert.equal(local.status, 403);
    assert.equal(local.reason, 'Permission check failed (/storage/local, Datastore.AllocateSpace)');
    const limited = t.sim.control.addToken('backup-one', {
      acl: [
        { path: `/vms/${guest.vmid}`, privileges: ['VM.Backup'] },
        { path: '/storage/backup-nfs', privileges: ['Datastore.AllocateSpace'] },
      ],
    });
    const other = t.sim.control.guests({ node: guest.node }).find((candidate) => candidate.vmid !== guest.vmid && !candidate.template)!;
    const both = [guest.vmid, other.vmid].sort((a, b) => a - b);
    const denied = both.find((vmid) => vmid !== guest.vmid)!;
    const job = await t.api(`/nodes/${guest.node}/vzdump`, {
      method: 'POST',
      form: { vmid: both.join(','), storage: 'backup-nfs' },
      ...as(limited),
    });
    assert.equal(job.status, 200);
    assert.equal((await t.waitTask(job.json.data)).exitstatus, `Permission check failed (/vms/${denied}, VM.Backup)`);
    const log = await t.log(job.json.data);
    assert.match(log[0]!, /^INFO: starting new backup job: vzdump /);
    assert.ok(!log.some((line) => line.includes('Starting Backup of VM')));
    const all = await t.api(`/nodes/${guest.node}/vzdump`, { method: 'POST', form: { all: 1, storage: 'backup-nfs' }, ...as(limited) });
    assert.equal((await t.waitTask(all.json.data)).exitstatus, 'OK');
    const started = (await t.log(all.json.data)).filter((line) => line.startsWith('INFO: Starting Backup of VM'));
    assert.deepEqual(started, [`INFO: Starting Backup of VM ${guest.vmid} (qemu)`]);
  });

  test('a ticket login as a limited user: its cap lists only what it holds', async () => {
    const user = t.sim.control.addUser('bob@pve', { privileges: 'ops' });
    const login = await t.api('/access/ticket', {
      method: 'POST',
      form: { username: user.username, password: user.password },
      auth: 'none',
    });
    assert.equal(login.status, 200);
    assert.deepEqual(Object.keys(login.json.data.cap.vms).sort(), [...OPS_VM_PRIVILEGES].sort());
    assert.deepEqual(login.json.data.cap.nodes, {});
    assert.deepEqual(Object.keys(login.json.data.cap.storage).sort(), ['Datastore.AllocateSpace', 'Datastore.Audit']);
  });
});

describe('simulator task visibility', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ seed: 6, tokenPrivileges: 'ops' });
  });
  after(() => t.close());

  test('tokenPrivileges ops: the simulator token is ops@pve!pvetasks, without Sys.Audit', async () => {
    assert.match(t.sim.token, /^ops@pve!pvetasks=/);
    const perms = await t.api('/access/permissions?path=/');
    assert.deepEqual(perms.json.data, { '/': {} });
  });

  test('a token sees its own tasks on the node, none in /cluster/tasks; its user sees them in the archive; Sys.Audit on a node sees all there', async () => {
    const c = t.sim.control;
    const guest = c.guestWithRole('stoppedQemu');
    const started = await t.api(`/nodes/${guest.node}/qemu/${guest.vmid}/status/start`, { method: 'POST' });
    const upid: string = started.json.data;
    assert.match(upid, /:ops@pve!pvetasks:$/);
    const running = c.spawnTask({
      node: guest.node,
      type: 'vzdump',
      id: String(guest.vmid),
      user: 'ops@pve!pvetasks',
      durationMs: Infinity,
    });
    const foreign = c.spawnTask({ node: guest.node, type: 'qmstart', id: '999', user: 'root@pam', durationMs: 1000 });
    await t.waitTask(upid);
    await t.run(t.clock.sleep(2000));

    // The token: its own tasks on the node (active ones unsplit), nothing in /cluster/tasks.
    const own = await t.api(`/nodes/${guest.node}/tasks?source=all`);
    assert.deepEqual(
      own.json.data.map((item: { upid: string }) => item.upid),
      [running, upid],
    );
    assert.deepEqual((await t.api('/cluster/tasks')).json.data, []);
    assert.equal(
      (await t.api(`/nodes/${guest.node}/tasks/${enc(foreign)}/status`)).reason,
      `Permission check failed (/nodes/${guest.node}, Sys.Audit)`,
    );
    assert.equal((await t.api(`/nodes/${guest.node}/tasks/${enc(foreign)}`, { method: 'DELETE' })).status, 403);

    // The user (ticket login): theirs and their tokens' in the archive, but the active list is not
    // split, so the token's running task is not theirs there; /cluster/tasks splits the token off
    // and so shows the user their token's tasks.
    const login = await t.api('/access/ticket', {
      method: 'POST',
      form: { username: 'ops@pve', password: c.addUser('ops@pve', { privileges: 'ops' }).password },
      auth: 'none',
    });
    const cookie = { headers: { cookie: `PVEAuthCookie=${encodeURIComponent(login.json.data.ticket)}` } };
    const userView = await t.api(`/nodes/${guest.node}/tasks?source=all`, cookie);
    assert.deepEqual(
      userView.json.data.map((item: { upid: string }) => item.upid),
      [upid],
    );
    const userCluster = await t.api('/cluster/tasks', cookie);
    assert.deepEqual(userCluster.json.data.map((item: { upid: string }) => item.upid).sort(), [running, upid].sort());
    assert.ok(
      userCluster.json.data.every((item: { user: string; tokenid: string }) => item.user === 'ops@pve' && item.tokenid === 'pvetasks'),
    );

    // Sys.Audit on one node: everything there, only one's own elsewhere.
    const auditor = c.addToken('node-auditor', { acl: [{ path: `/nodes/${guest.node}`, privileges: ['Sys.Audit'] }] });
    const onNode = await t.api(`/nodes/${guest.node}/tasks?source=all&limit=500`, as(auditor));
    assert.ok(onNode.json.data.some((item: { upid: string }) => item.upid === foreign));
    const elsewhere = guest.node === 'pve1' ? 'pve2' : 'pve1';
    c.spawnTask({ node: elsewhere, type: 'qmstart', id: '998', user: 'root@pam', durationMs: 0 });
    await t.run(t.clock.sleep(1000));
    assert.deepEqual((await t.api(`/nodes/${elsewhere}/tasks`, as(auditor))).json.data, []);
    c.finishTask(running, 'OK');
  });
});
