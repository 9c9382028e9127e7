import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatFaultSpec, parseFaultSpec } from '../../src/sim/index.js';
import { enc, rawRequest, startTestSim, type TestSim } from './helpers.js';

test('fault strings: grammar, scopes, round trip and errors', () => {
  assert.deepEqual(parseFaultSpec('latency=2000'), { kind: 'latency', ms: 2000 });
  assert.deepEqual(parseFaultSpec('error500=0.2@pve2'), { kind: 'error500', rate: 0.2, listener: 'pve2' });
  assert.deepEqual(parseFaultSpec('offline=pve2'), { kind: 'offline', node: 'pve2', mode: 'timeout' });
  assert.deepEqual(parseFaultSpec('offline=pve2:refuse'), { kind: 'offline', node: 'pve2', mode: 'refuse' });
  assert.deepEqual(parseFaultSpec('listener-down=pve3'), { kind: 'listener-down', node: 'pve3' });
  for (const text of ['slow=15000', 'drop=0.1', 'malformed=0.1@pve1', 'offline=pve2:timeout', 'latency=5@pve3']) {
    assert.equal(formatFaultSpec(parseFaultSpec(text)), text);
  }
  for (const bad of ['latency', 'latency=fast', 'error500=2', 'offline=pve2:maybe', 'bogus=1', 'drop=0.1@no_de', 'offline=pve2@pve1']) {
    assert.throws(() => parseFaultSpec(bad), /invalid fault/, bad);
  }
});

describe('simulator faults', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ seed: 21, proxyTimeoutMs: 30_000 });
  });
  after(() => t.close());
  const c = () => t.sim.control;

  test('latency holds every request on the clock; @node scopes it to one listener', async () => {
    await c().addFault('latency=2000@pve2');
    let started = t.clock.now();
    assert.equal((await t.run(t.api('/version', { listener: 1 }))).status, 200);
    assert.equal(t.clock.now() - started, 2000);
    started = t.clock.now();
    await t.run(t.api('/version', { listener: 0 }));
    assert.equal(t.clock.now() - started, 0);
    await c().clearFaults();
  });

  test('error500=1 answers 500 before anything happens; removing it restores service', async () => {
    await c().addFault({ kind: 'error500', rate: 1 });
    const guest = c().guestWithRole('stoppedQemu');
    const before = c().tasks().length;
    const reply = await t.api(`/nodes/${guest.node}/qemu/${guest.vmid}/status/start`, { method: 'POST' });
    assert.equal(reply.status, 500);
    assert.equal(reply.json.data, null);
    assert.equal(c().tasks().length, before, 'no task was started');
    await c().removeFault('error500=1');
    assert.equal((await t.api('/version')).status, 200);
  });

  test('a share of 500s follows the fault RNG: the same seed gives the same pattern', async () => {
    const pattern = async () => {
      const sim = await startTestSim({ seed: 77, faults: ['error500=0.5'] });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 30; i++) statuses.push((await sim.api('/version')).status);
        return statuses;
      } finally {
        await sim.close();
      }
    };
    const first = await pattern();
    assert.ok(first.includes(500) && first.includes(200));
    assert.deepEqual(await pattern(), first);
  });

  test('offline refuse: /nodes shows it offline, proxied calls are 595 at once, its own port refuses', async () => {
    await c().addFault('offline=pve2:refuse');
    const nodes = await t.api('/nodes');
    const pve2 = nodes.json.data.find((node: { node: string }) => node.node === 'pve2');
    assert.equal(pve2.status, 'offline');
    assert.equal('cpu' in pve2, false);
    const started = t.clock.now();
    const proxied = await t.run(t.api('/nodes/pve2/tasks'));
    assert.equal(proxied.status, 595);
    assert.equal(proxied.reason, 'Errors during connection establishment, proxy handshake: Connection refused');
    assert.equal(proxied.text, '');
    assert.equal(t.clock.now(), started);
    await assert.rejects(t.api('/version', { listener: 1 }), { code: 'ECONNREFUSED' });
    const resources = await t.api('/cluster/resources?type=vm');
    const onPve2 = resources.json.data.filter((item: { node: string }) => item.node === 'pve2');
    assert.ok(
      onPve2.length > 0 && onPve2.every((item: { status: string; name?: string }) => item.status === 'unknown' && item.name === undefined),
    );
    await c().clearFaults();
    assert.equal((await t.api('/version', { listener: 1 })).status, 200, 'the listener is back');
  });

  test('offline timeout: proxied calls wait proxyTimeoutMs then 595; its own port accepts and never answers', async () => {
    await c().addFault('offline=pve3:timeout');
    const started = t.clock.now();
    const proxied = await t.run(t.api('/nodes/pve3/qemu'));
    assert.equal(proxied.status, 595);
    assert.equal(t.clock.now() - started, 30_000);
    const hanging = t.api('/version', { listener: 2 });
    hanging.catch(() => {});
    const outcome = await t.run(Promise.race([hanging.then(() => 'answered'), t.clock.sleep(10_000).then(() => 'client timeout')]));
    assert.equal(outcome, 'client timeout');
    await c().clearFaults();
  });

  test('listener-down: that port refuses, the node stays online, calls proxied to it are 595 at once', async () => {
    await c().addFault('listener-down=pve3');
    await assert.rejects(t.api('/version', { listener: 2 }), { code: 'ECONNREFUSED' });
    const nodes = await t.api('/nodes');
    assert.equal(nodes.json.data.find((node: { node: string }) => node.node === 'pve3').status, 'online');
    const proxied = await t.api('/nodes/pve3/tasks');
    assert.equal(proxied.status, 595);
    assert.deepEqual(
      c()
        .nodes()
        .find((node) => node.node === 'pve3')?.listening,
      false,
    );
    await c().clearFaults();
  });

  test('drop cuts the connection mid-response; malformed sends broken JSON with status 200', async () => {
    await c().addFault('drop=1');
    await assert.rejects(t.api('/cluster/resources'));
    await c().clearFaults();
    await c().addFault('malformed=1@pve1');
    const reply = await t.api('/cluster/resources');
    assert.equal(reply.status, 200);
    assert.throws(() => JSON.parse(reply.text));
    assert.equal((await t.api('/cluster/resources', { listener: 1 })).json.data.length > 0, true);
    await c().clearFaults();
  });

  test('slow: the action takes effect but the answer comes later than a client timeout', async () => {
    await c().addFault('slow=15000');
    const guest = c().guestWithRole('stoppedLxc');
    const reply = t.api(`/nodes/${guest.node}/lxc/${guest.vmid}/status/start`, { method: 'POST' });
    reply.catch(() => {});
    const outcome = await t.run(Promise.race([reply.then(() => 'answered'), t.clock.sleep(10_000).then(() => 'client timeout')]));
    assert.equal(outcome, 'client timeout');
    assert.equal(c().tasks({ type: 'vzstart', id: String(guest.vmid) }).length, 1, 'the task started anyway');
    const late = await t.run(reply);
    assert.equal(late.status, 200);
    await c().clearFaults();
  });

  test('counters by route and by listener; reset', async () => {
    c().resetCounters();
    const upid = c().spawnTask({ node: 'pve1', type: 'qmstart', id: '100', durationMs: 1000 });
    await t.api(`/nodes/pve1/tasks/${enc(upid)}/status`, { listener: 0 });
    await t.api(`/nodes/pve1/tasks/${enc(upid)}/status`, { listener: 2 });
    await t.api('/cluster/tasks', { listener: 1 });
    await t.clock.track(rawRequest(`${t.sim.url}/api2/json/nope`));
    const counters = c().counters();
    assert.equal(counters.total, 4);
    assert.equal(counters.byRoute['GET /nodes/{node}/tasks/{upid}/status'], 2);
    assert.equal(counters.byRoute['GET /cluster/tasks'], 1);
    assert.equal(counters.byRoute['GET (unknown)'], 1);
    assert.deepEqual(counters.byListener, { pve1: 2, pve3: 1, pve2: 1 });
    c().resetCounters();
    assert.equal(c().counters().total, 0);
  });
});
