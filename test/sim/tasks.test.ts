import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseUpid } from '../../src/tasks/upid.js';
import { enc, nodeOf, startTestSim, type TestSim } from './helpers.js';

describe('simulator tasks: status, log, lists', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ seed: 7 });
  });
  after(() => t.close());

  test('a start returns a real UPID, runs, then stops with an exit status, and really starts the guest', async () => {
    const guest = t.sim.control.guestWithRole('stoppedQemu');
    const reply = await t.api(`/nodes/${guest.node}/qemu/${guest.vmid}/status/start`, { method: 'POST' });
    assert.equal(reply.status, 200);
    const upid: string = reply.json.data;
    assert.match(upid, /^UPID:pve\d:[0-9A-F]{8}:[0-9A-F]{8,9}:[0-9A-F]{8}:qmstart:\d+:root@pam!pvetasks:$/);
    const parsed = parseUpid(upid);
    assert.equal(parsed.starttime, Math.floor(t.clock.now() / 1000));
    assert.equal(parsed.id, String(guest.vmid));

    const running = await t.api(`/nodes/${guest.node}/tasks/${enc(upid)}/status`);
    assert.deepEqual(running.json.data, {
      upid,
      node: guest.node,
      pid: parsed.pid,
      pstart: parsed.pstart,
      starttime: parsed.starttime,
      type: 'qmstart',
      id: String(guest.vmid),
      user: 'root@pam',
      tokenid: 'pvetasks',
      status: 'running',
    });
    const done = await t.waitTask(upid);
    assert.equal(done.status, 'stopped');
    assert.equal(done.exitstatus, 'OK');
    assert.equal('endtime' in done, false);
    assert.deepEqual(await t.log(upid), ['TASK OK']);

    const resources = await t.api('/cluster/resources?type=vm');
    const entry = resources.json.data.find((item: { vmid: number }) => item.vmid === guest.vmid);
    assert.equal(entry.status, 'running');
    const list = await t.api(`/nodes/${guest.node}/qemu`);
    assert.equal(list.json.data.find((item: { vmid: number }) => item.vmid === guest.vmid).status, 'running');
    assert.equal(t.sim.control.guest(guest.vmid)?.status, 'running');
  });

  test('the task index lists log and status; status on the wrong node or for a bad UPID is a 400', async () => {
    const upid = t.sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '100', durationMs: 5000 });
    const index = await t.api(`/nodes/pve1/tasks/${enc(upid)}`);
    assert.deepEqual(index.json.data, [{ name: 'log' }, { name: 'status' }]);
    const wrong = await t.api(`/nodes/pve2/tasks/${enc(upid)}/status`);
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.json.errors, { upid: 'no such task' });
    const bad = await t.api(`/nodes/pve1/tasks/UPID:nonsense/status`);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json.errors, { upid: 'unable to parse worker upid' });
    // UPIDs with '@' and '!' work unencoded in the path too, as some clients send them.
    const raw = await t.api(`/nodes/pve1/tasks/${upid}/status`);
    assert.equal(raw.status, 200);
    t.sim.control.finishTask(upid, 'OK');
  });

  test('spawnTask startedAgoMs: the task started in the past, and its duration counts from then', async () => {
    const now = t.clock.now();
    const upid = t.sim.control.spawnTask({ node: 'pve1', type: 'vzdump', id: '100', durationMs: 100_000, startedAgoMs: 90_000 });
    assert.equal(parseUpid(upid).starttime, Math.floor((now - 90_000) / 1000));
    const record = t.sim.control.task(upid)!;
    assert.equal(record.startedAt, now - 90_000);
    assert.equal(record.endedAt, undefined);
    const active = await t.api('/nodes/pve1/tasks?source=active');
    const item = active.json.data.find((entry: { upid: string }) => entry.upid === upid);
    assert.equal(item.starttime, Math.floor((now - 90_000) / 1000));
    await t.run(t.clock.sleep(10_000));
    assert.equal(t.sim.control.task(upid)!.endedAt, now + 10_000);
    // Already past its end: it ends at once.
    const over = t.sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '101', durationMs: 1000, startedAgoMs: 5000 });
    t.sim.control.settle();
    assert.equal(t.sim.control.task(over)!.exitStatus, 'OK');
  });

  test('log: 1-based n, start/limit, limit=0 is everything, total in the envelope, no content, missing file', async () => {
    const lines = Array.from({ length: 120 }, (_, i) => `line ${i + 1}`);
    const upid = t.sim.control.spawnTask({ node: 'pve2', type: 'vzdump', durationMs: 1000, log: lines, exitStatus: 'WARNINGS: 2' });
    await t.run(t.clock.sleep(1000));
    const first = await t.api(`/nodes/pve2/tasks/${enc(upid)}/log`);
    assert.equal(first.json.total, 121);
    assert.equal(first.json.data.length, 50, 'default limit is 50');
    assert.deepEqual(first.json.data[0], { n: 1, t: 'line 1' });
    const window = await t.api(`/nodes/pve2/tasks/${enc(upid)}/log?start=100&limit=5`);
    assert.deepEqual(
      window.json.data.map((line: { n: number }) => line.n),
      [101, 102, 103, 104, 105],
    );
    const all = await t.api(`/nodes/pve2/tasks/${enc(upid)}/log?limit=0`);
    assert.equal(all.json.data.length, 121);
    assert.deepEqual(all.json.data.at(-1), { n: 121, t: 'TASK WARNINGS: 2' });
    const past = await t.api(`/nodes/pve2/tasks/${enc(upid)}/log?start=500`);
    assert.deepEqual(past.json, { data: [], total: 121 });

    const empty = t.sim.control.spawnTask({ node: 'pve2', type: 'qmstart', id: '101', durationMs: Infinity });
    const noContent = await t.api(`/nodes/pve2/tasks/${enc(empty)}/log`);
    assert.deepEqual(noContent.json, { data: [{ n: 1, t: 'no content' }], total: 1 });
    t.sim.control.finishTask(empty, 'OK');

    const elsewhere = await t.api(`/nodes/pve3/tasks/${enc(upid)}/log`);
    assert.equal(elsewhere.status, 200);
    assert.deepEqual(elsewhere.json, { data: [{ n: 1, t: 'unable to open file - No such file or directory' }], total: 1 });
  });

  test('log download streams text/plain (gzip above 1 KiB) and refuses start/limit', async () => {
    const upid = t.sim.control.spawnTask({ node: 'pve1', type: 'vzdump', durationMs: 0, log: ['INFO: x'.repeat(300)] });
    t.sim.control.settle();
    const download = await t.api(`/nodes/pve1/tasks/${enc(upid)}/log?download=1`);
    assert.equal(download.status, 200);
    assert.equal(download.headers['content-type'], 'text/plain');
    assert.equal(download.headers['content-encoding'], 'gzip');
    assert.match(String(download.headers['content-disposition']), /filename="task-pve1-vzdump-.*\.log"/);
    const { gunzipSync } = await import('node:zlib');
    assert.equal(gunzipSync(download.body).toString(), `${'INFO: x'.repeat(300)}\nTASK OK\n`);
    const mixed = await t.api(`/nodes/pve1/tasks/${enc(upid)}/log?download=1&limit=10`);
    assert.equal(mixed.status, 500);
  });
});

describe('simulator task lists', () => {
  let t: TestSim;
  const made = { ok: '', warn: '', error: '', unknown: '', running: '' };
  before(async () => {
    t = await startTestSim({ seed: 3 });
    const c = t.sim.control;
    made.ok = c.spawnTask({ node: 'pve1', type: 'qmstart', id: '100', durationMs: 1000 });
    await t.run(t.clock.sleep(2000));
    made.warn = c.spawnTask({ node: 'pve1', type: 'vzdump', id: '101', user: 'admin@pve', durationMs: 1000, exitStatus: 'WARNINGS: 1' });
    await t.run(t.clock.sleep(2000));
    made.error = c.spawnTask({ node: 'pve1', type: 'qmstart', id: '102', durationMs: 1000, exitStatus: 'VM 102 already running' });
    await t.run(t.clock.sleep(2000));
    made.unknown = c.spawnTask({ node: 'pve1', type: 'qmstop', id: '100', durationMs: 1000, exitStatus: 'unexpected status' });
    await t.run(t.clock.sleep(2000));
    made.running = c.spawnTask({ node: 'pve1', type: 'vzdump', durationMs: Infinity, user: 'root@pam!pvetasks' });
  });
  after(() => t.close());

  const upids = (reply: { json: { data: Array<{ upid: string }> } }) => reply.json.data.map((item) => item.upid);

  test('source defaults to archive (finished only, newest first); active and all add RUNNING rows', async () => {
    const archive = await t.api('/nodes/pve1/tasks');
    assert.deepEqual(upids(archive), [made.unknown, made.error, made.warn, made.ok]);
    assert.equal(archive.json.total, 4);
    const row = archive.json.data.find((item: { upid: string }) => item.upid === made.warn);
    assert.equal(row.status, 'WARNINGS: 1');
    assert.equal(typeof row.endtime, 'number');
    assert.equal(row.user, 'admin@pve');

    const active = await t.api('/nodes/pve1/tasks?source=active');
    assert.deepEqual(upids(active), [made.running]);
    assert.equal(active.json.data[0].status, 'RUNNING');
    // The active list keeps the token in `user`, unsplit, as PVE does.
    assert.equal(active.json.data[0].user, 'root@pam!pvetasks');
    assert.equal('tokenid' in active.json.data[0], false);

    const all = await t.api('/nodes/pve1/tasks?source=all');
    assert.deepEqual(upids(all), [made.running, made.unknown, made.error, made.warn, made.ok]);
  });

  test('limit=0 lists nothing but total still counts; start and limit page; total is omitted when 0', async () => {
    const none = await t.api('/nodes/pve1/tasks?source=all&limit=0');
    assert.deepEqual(none.json, { data: [], total: 5 });
    const page = await t.api('/nodes/pve1/tasks?start=1&limit=2');
    assert.deepEqual(upids(page), [made.error, made.warn]);
    assert.equal(page.json.total, 4);
    const empty = await t.api('/nodes/pve3/tasks');
    assert.deepEqual(empty.json, { data: [] });
  });

  test('filters: statusfilter (running counts as unknown), errors, typefilter, userfilter, vmid, since/until', async () => {
    const ok = await t.api('/nodes/pve1/tasks?source=all&statusfilter=ok');
    assert.deepEqual(upids(ok), [made.ok]);
    const unknown = await t.api('/nodes/pve1/tasks?source=all&statusfilter=unknown');
    assert.deepEqual(upids(unknown), [made.running, made.unknown]);
    const mixed = await t.api('/nodes/pve1/tasks?statusfilter=WARNING,error');
    assert.deepEqual(upids(mixed), [made.error, made.warn]);
    const bad = await t.api('/nodes/pve1/tasks?statusfilter=fine');
    assert.equal(bad.status, 400);
    const errors = await t.api('/nodes/pve1/tasks?source=all&errors=1&statusfilter=ok');
    assert.deepEqual(upids(errors), [made.running, made.unknown, made.error, made.warn], 'errors=1 wins over statusfilter');
    const type = await t.api('/nodes/pve1/tasks?typefilter=vzdump');
    assert.deepEqual(upids(type), [made.warn]);
    const user = await t.api('/nodes/pve1/tasks?userfilter=ADMIN');
    assert.deepEqual(upids(user), [made.warn]);
    const vmid = await t.api('/nodes/pve1/tasks?vmid=100');
    assert.deepEqual(upids(vmid), [made.unknown, made.ok]);
    const since = parseUpid(made.error).starttime;
    const window = await t.api(`/nodes/pve1/tasks?since=${since}&until=${since}`);
    assert.deepEqual(upids(window), [made.error]);
    const badVmid = await t.api('/nodes/pve1/tasks?vmid=42');
    assert.equal(badVmid.status, 400);
  });

  test('/cluster/tasks: running rows carry pid and no status; finished ones endtime, status and saved "1"', async () => {
    const reply = await t.api('/cluster/tasks');
    assert.equal('total' in reply.json, false);
    const running = reply.json.data.find((item: { upid: string }) => item.upid === made.running);
    assert.equal(running.saved, '0');
    assert.equal(typeof running.pid, 'number');
    assert.equal('status' in running, false);
    assert.equal('endtime' in running, false);
    assert.equal(running.user, 'root@pam');
    assert.equal(running.tokenid, 'pvetasks');
    const finished = reply.json.data.find((item: { upid: string }) => item.upid === made.error);
    assert.equal(finished.status, 'VM 102 already running');
    assert.equal(finished.saved, '1');
    assert.equal('pid' in finished, false);
    assert.equal('pstart' in finished, false);
  });

  test('/cluster/tasks lists at most 25 per node: with 25 running, none of the finished', async () => {
    const c = t.sim.control;
    const extra = Array.from({ length: 30 }, (_, i) =>
      c.spawnTask({ node: 'pve2', type: 'qmstart', id: String(200 + i), durationMs: i < 10 ? 0 : Infinity }),
    );
    const reply = await t.api('/cluster/tasks');
    const pve2 = reply.json.data.filter((item: { node: string }) => item.node === 'pve2');
    assert.equal(pve2.length, 20 + 5);
    assert.equal(pve2.filter((item: { status?: string }) => item.status === undefined).length, 20);
    const more = Array.from({ length: 5 }, (_, i) =>
      c.spawnTask({ node: 'pve2', type: 'qmstart', id: String(300 + i), durationMs: Infinity }),
    );
    const full = await t.api('/cluster/tasks');
    const rows = full.json.data.filter((item: { node: string }) => item.node === 'pve2');
    assert.equal(rows.length, 25);
    assert.ok(rows.every((item: { status?: string }) => item.status === undefined));
    for (const upid of [...extra, ...more]) c.finishTask(upid, 'OK');
  });

  test('a token without Sys.Audit sees none of its own tasks in /cluster/tasks, but sees them on its node', async () => {
    const token = t.sim.control.addToken('limited', { audit: false });
    const headers = { authorization: `PVEAPIToken=${token}` };
    const guest = t.sim.control.guestWithRole('runningQemu');
    const started = await t.api(`/nodes/${guest.node}/qemu/${guest.vmid}/status/start`, { method: 'POST', headers });
    const upid: string = started.json.data;
    assert.match(upid, /:root@pam!limited:$/);
    const cluster = await t.api('/cluster/tasks', { headers });
    assert.deepEqual(cluster.json.data, []);
    const mine = await t.api(`/nodes/${guest.node}/tasks?source=all`, { headers });
    assert.deepEqual(upids(mine), [upid]);
    const others = await t.api(`/nodes/pve1/tasks/${enc(made.ok)}/status`, { headers });
    assert.equal(others.status, 403);
    const withAudit = await t.api('/cluster/tasks');
    assert.ok(upids(withAudit).includes(upid));
  });

  test('DELETE stops a running task with "received interrupt"; a finished one is a no-op', async () => {
    const upid = t.sim.control.spawnTask({ node: 'pve3', type: 'qmshutdown', id: '105', durationMs: Infinity, log: ['shutting down'] });
    const stop = await t.api(`/nodes/pve3/tasks/${enc(upid)}`, { method: 'DELETE' });
    assert.equal(stop.status, 200);
    assert.deepEqual(stop.json, { data: null });
    const status = await t.api(`/nodes/pve3/tasks/${enc(upid)}/status`);
    assert.equal(status.json.data.exitstatus, 'received interrupt');
    assert.deepEqual(await t.log(upid), ['shutting down', 'TASK ERROR: received interrupt']);
    const again = await t.api(`/nodes/pve3/tasks/${enc(upid)}`, { method: 'DELETE' });
    assert.equal(again.status, 200);
    const missing = await t.api(`/nodes/pve1/tasks/${enc(upid)}`, { method: 'DELETE' });
    assert.equal(missing.status, 400);
  });

  test('control.tasks reports records with ms times for concurrency counting', () => {
    const records = t.sim.control.tasks({ node: 'pve1', type: 'vzdump' });
    const warn = records.find((record) => record.upid === made.warn)!;
    assert.equal(warn.exitStatus, 'WARNINGS: 1');
    assert.equal(warn.endedAt! - warn.startedAt, 1000);
    assert.ok(t.sim.control.tasks({ running: true }).some((record) => record.upid === made.running));
    assert.equal(nodeOf(made.running), 'pve1');
  });
});
