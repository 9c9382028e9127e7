import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawRequest, startTestSim, type TestSim } from './helpers.js';

describe('simulator HTTP and parameter rules', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ seed: 4 });
  });
  after(() => t.close());

  test('success shape: {data}; headers as pveproxy sends them', async () => {
    const reply = await t.api('/version');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.server, 'pve-api-daemon/3.0');
    assert.match(String(reply.headers['content-type']), /^application\/json/);
    assert.deepEqual(Object.keys(reply.json), ['data']);
  });

  test('a "true" boolean in the query or a form body is rejected with PVE\'s message; JSON true is fine', async () => {
    const query = await t.api('/nodes/pve1/tasks?errors=true');
    assert.equal(query.status, 400);
    assert.equal(query.reason, 'Parameter verification failed.');
    assert.deepEqual(query.json, {
      data: null,
      errors: { errors: "type check ('boolean') failed - got 'true'" },
      message: 'Parameter verification failed.\n',
    });
    const guest = t.sim.control.guestWithRole('runningQemu');
    const path = `/nodes/${guest.node}/qemu/${guest.vmid}/snapshot`;
    const form = await t.api(path, { method: 'POST', form: { snapname: 'abc', vmstate: 'true' } });
    assert.equal(form.status, 400);
    assert.deepEqual(form.json.errors, { vmstate: "type check ('boolean') failed - got 'true'" });
    const json = await t.api(path, { method: 'POST', json: { snapname: 'abc', vmstate: true } });
    assert.equal(json.status, 200);
  });

  test('unknown parameters are refused everywhere, /cluster/tasks included; _dc is ignored', async () => {
    const reply = await t.api('/cluster/tasks?foo=1');
    assert.equal(reply.status, 400);
    assert.deepEqual(reply.json.errors, { foo: 'property is not defined in schema and the schema does not allow additional properties' });
    assert.equal((await t.api('/cluster/tasks?_dc=123')).status, 200);
    const enumError = await t.api('/cluster/resources?type=vms');
    assert.deepEqual(enumError.json.errors, { type: "value 'vms' does not have a value in the enumeration 'vm, storage, node, sdn'" });
    const minimum = await t.api('/nodes/pve1/tasks?limit=-1');
    assert.deepEqual(minimum.json.errors, { limit: 'value must have a minimum value of 0' });
    const integer = await t.api('/nodes/pve1/tasks?start=x');
    assert.deepEqual(integer.json.errors, { start: "type check ('integer') failed - got 'x'" });
  });

  test('query parameters are merged over the body; path parameters may repeat only with the same value', async () => {
    const guest = t.sim.control.guestWithRole('runningQemu');
    const path = `/nodes/${guest.node}/qemu/${guest.vmid}/snapshot`;
    const merged = await t.api(`${path}?snapname=fromquery`, { method: 'POST', form: { snapname: 'frombody' } });
    assert.equal(merged.status, 200);
    await t.waitTask(merged.json.data);
    const names = t.sim.control.snapshots(guest.node, 'qemu', guest.vmid).map((s) => s.name);
    assert.ok(names.includes('fromquery') && !names.includes('frombody'));
    const same = await t.api(`${path}?node=${guest.node}`, { method: 'POST', form: { snapname: 'same1', vmid: guest.vmid } });
    assert.equal(same.status, 200);
    const conflict = await t.api(path, { method: 'POST', form: { snapname: 'conf1', vmid: guest.vmid + 1 } });
    assert.equal(conflict.status, 400);
    assert.deepEqual(conflict.json.errors, { vmid: 'duplicate parameter (already defined in URI) with conflicting values!' });
  });

  test('501 for unknown paths, HEAD, and a GET or DELETE with a body', async () => {
    const unknown = await t.api('/nodes/pve1/nothing');
    assert.equal(unknown.status, 501);
    assert.equal(unknown.reason, "Method 'GET /nodes/pve1/nothing' not implemented");
    const head = await t.api('/version', { method: 'HEAD' });
    assert.equal(head.status, 501);
    assert.equal(head.reason, "method 'HEAD' not available");
    const getBody = await t.api('/version', { body: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(getBody.status, 501);
    assert.equal(getBody.reason, "Unexpected content for method 'GET'");
    const upid = t.sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '100', durationMs: Infinity });
    const deleteBody = await t.api(`/nodes/pve1/tasks/${encodeURIComponent(upid)}`, { method: 'DELETE', json: { foo: 1 } });
    assert.equal(deleteBody.status, 501);
    t.sim.control.finishTask(upid, 'OK');
  });

  test('500 reasons carry the first line of the message; unknown node names fail the hostname lookup', async () => {
    const reply = await t.api('/nodes/pve9/tasks');
    assert.equal(reply.status, 500);
    assert.match(reply.reason, /^hostname lookup 'pve9' failed/);
    assert.equal(reply.json.data, null);
    assert.match(reply.json.message, /\n$/);
  });

  test('every node answers for the whole cluster: calls for another node are proxied', async () => {
    const guest = t.sim.control.guestWithRole('stoppedLxc');
    for (let listener = 0; listener < 3; listener++) {
      const reply = await t.api(`/nodes/${guest.node}/lxc`, { listener });
      assert.ok(reply.json.data.some((item: { vmid: number }) => item.vmid === guest.vmid));
    }
    const status = await t.api('/cluster/status', { listener: 1 });
    const local = status.json.data.filter((item: { local?: number }) => item.local === 1);
    assert.deepEqual(
      local.map((item: { name: string }) => item.name),
      ['pve2'],
    );
    assert.equal(status.json.data[0].type, 'cluster');
    assert.equal(status.json.data[0].quorate, 1);
  });

  test('paths outside /api2/json are not the API', async () => {
    const reply = await t.clock.track(rawRequest(`${t.sim.url}/index.html`));
    assert.equal(reply.status, 501);
  });
});
