// Endpoint failover: GETs move on after any connection failure; writes only when refused before sending.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { setup, type Setup } from './support.js';

describe('endpoint failover', () => {
  let t: Setup;
  before(async () => {
    t = await setup();
  });
  afterEach(() => t.sim.control.clearFaults());
  after(() => t.close());

  const client = (timeoutMs = 5_000) => t.client({ endpoint: undefined, endpoints: [t.sim.urls[0]!, t.sim.urls[1]!], timeoutMs });
  const byListener = (node: string) => t.sim.control.counters().byListener[node] ?? 0;
  const route = (key: string) => t.sim.control.counters().byRoute[key] ?? 0;

  test('the first endpoint refuses connections: GETs carry on through the second, and stay there', async () => {
    const api = client();
    await t.run(api.GET('/version'));
    assert.equal(api.endpoint, t.sim.urls[0]);
    await t.sim.control.addFault('listener-down=pve1');
    const resources = await t.run(api.GET('/cluster/resources'));
    assert.ok(resources.data.length > 0);
    assert.equal(api.endpoint, t.sim.urls[1]);
    const second = byListener('pve2');
    await t.run(api.GET('/cluster/tasks'));
    assert.equal(byListener('pve2'), second + 1, 'the next GET goes straight to the second endpoint');
  });

  test('the first endpoint black-holes requests: a GET times out there, then is answered by the second', async () => {
    const api = client(5_000);
    await t.sim.control.addFault('offline=pve1:timeout');
    const startedAt = t.clock.now();
    const nodes = await t.run(api.GET('/nodes'));
    assert.equal(t.clock.now() - startedAt, 5_000, 'one timeout on the first endpoint');
    assert.equal(nodes.data.find((node) => node.node === 'pve1')?.status, 'offline');
    assert.equal(api.endpoint, t.sim.urls[1]);
    // Polling goes on through the second endpoint without waiting for the first again.
    const at = t.clock.now();
    for (let poll = 0; poll < 3; poll++) await t.run(api.GET('/cluster/tasks'));
    assert.equal(t.clock.now(), at);
  });

  test('a POST moves on only when the first endpoint refused the connection (nothing was sent)', async () => {
    const api = client();
    // A backup on pve2 (pve1's pveproxy is down, so calls proxied there would fail too).
    const guest = t.sim.control.guests({ node: 'pve2' })[0]!;
    await t.sim.control.addFault('listener-down=pve1');
    const key = 'POST /nodes/{node}/vzdump';
    const before = route(key);
    const started = await t.run(
      api.POST('/nodes/{node}/vzdump', { params: { path: { node: 'pve2' } }, body: { vmid: String(guest.vmid) } }),
    );
    assert.match(started.data, /^UPID:pve2:/);
    assert.equal(route(key), before + 1);
    assert.equal(api.endpoint, t.sim.urls[1]);
  });

  test('a POST that got no answer is not sent again, to any endpoint', async () => {
    const api = client(5_000);
    const guest = t.sim.control.guestWithRole('runningQemu');
    await t.sim.control.addFault('offline=pve1:timeout');
    const key = 'POST /nodes/{node}/qemu/{vmid}/status/shutdown';
    const before = route(key);
    const second = byListener('pve2');
    const error = await t.failure(
      api.POST('/nodes/{node}/qemu/{vmid}/status/shutdown', { params: { path: { node: guest.node, vmid: guest.vmid } } }),
    );
    assert.equal(error.kind, 'timeout');
    assert.equal(error.endpoint, t.sim.urls[0]);
    assert.equal(route(key), before + 1, 'the one request the black hole swallowed');
    assert.equal(byListener('pve2'), second, 'nothing went to the second endpoint');
  });

  test('a 595 is about the target node: no failover', async () => {
    const api = client();
    await t.sim.control.addFault('offline=pve3:refuse');
    const second = byListener('pve2');
    const error = await t.failure(api.GET('/nodes/{node}/tasks', { params: { path: { node: 'pve3' }, query: { source: 'active' } } }));
    assert.equal(error.status, 595);
    assert.equal(api.endpoint, t.sim.urls[0]);
    assert.equal(byListener('pve2'), second);
  });

  test('every endpoint down: one error naming the last failure and the others', async () => {
    const api = client();
    await t.sim.control.addFault('listener-down=pve1');
    await t.sim.control.addFault('listener-down=pve2');
    const error = await t.failure(api.GET('/version'));
    assert.equal(error.kind, 'connection');
    assert.equal(error.status, 0);
    assert.ok(error.notSent);
    assert.match(
      error.message,
      new RegExp(`^GET /version: connection refused by ${t.sim.urls[1]}; also failed: ${t.sim.urls[0]} \\(connection\\)$`),
    );
  });

  test('the connection state: the endpoint in use, the last failover (when, from, to, why), told to listeners', async () => {
    const api = client();
    const seen: string[] = [];
    const stop = api.watchConnection((state) => seen.push(state.endpoint));
    await t.run(api.GET('/version'));
    assert.equal(api.connection.endpoint, t.sim.urls[0]);
    assert.equal(api.connection.lastFailover, undefined, 'no failover yet');
    const connection = () => api.connection; // read afresh: TypeScript would keep the narrowing above
    assert.equal(api.connection.answeredAt, t.clock.now());
    assert.deepEqual(seen, []);
    await t.sim.control.addFault('listener-down=pve1');
    const at = t.clock.now();
    await t.run(api.GET('/cluster/resources'));
    const { lastFailover } = connection();
    assert.equal(connection().endpoint, t.sim.urls[1]);
    assert.equal(lastFailover?.at, at);
    assert.equal(lastFailover?.from, t.sim.urls[0]);
    assert.equal(lastFailover?.to, t.sim.urls[1]);
    assert.equal(lastFailover?.error.reason, 'ECONNREFUSED');
    assert.deepEqual(seen, [t.sim.urls[1]]);
    // Staying on the second endpoint is no new failover.
    await t.run(api.GET('/cluster/tasks'));
    assert.equal(seen.length, 1);
    stop();
  });

  test('no endpoint answers: unreachable since the request was sent, until the first answer of any kind', async () => {
    const api = client(5_000);
    await t.run(api.GET('/version'));
    await t.sim.control.addFault('offline=pve1:timeout');
    await t.sim.control.addFault('listener-down=pve2');
    const sentAt = t.clock.now();
    await t.failure(api.GET('/version'));
    assert.ok(t.clock.now() > sentAt, 'the first endpoint took its timeout');
    assert.equal(api.connection.unreachable?.since, sentAt);
    assert.equal(api.connection.unreachable?.error.kind, 'connection');
    // Another failed request keeps the outage's start.
    await t.failure(api.GET('/nodes'));
    assert.equal(api.connection.unreachable?.since, sentAt);
    await t.sim.control.clearFaults();
    await t.sim.control.addFault('offline=pve3:refuse');
    // A 595 is an answer: our endpoint is back, whatever it says about pve3.
    const error = await t.failure(api.GET('/nodes/{node}/tasks', { params: { path: { node: 'pve3' } } }));
    assert.equal(error.status, 595);
    assert.equal(api.connection.unreachable, undefined);
  });

  test('a single endpoint that refuses is unreachable too; a write that got no answer counts as well', async () => {
    const api = t.client({ timeoutMs: 5_000 });
    await t.sim.control.addFault('listener-down=pve1');
    await t.failure(api.GET('/version'));
    assert.ok(api.connection.unreachable);
    await t.sim.control.clearFaults();
    await t.run(api.GET('/version'));
    assert.equal(api.connection.unreachable, undefined);
    await t.sim.control.addFault('offline=pve1:timeout');
    const guest = t.sim.control.guestWithRole('runningQemu');
    await t.failure(api.POST('/nodes/{node}/qemu/{vmid}/status/shutdown', { params: { path: { node: guest.node, vmid: guest.vmid } } }));
    const after = api.connection;
    assert.equal(after.unreachable?.error.kind, 'timeout');
    assert.equal(api.connection.lastFailover, undefined, 'one endpoint: nowhere to move');
  });
});
