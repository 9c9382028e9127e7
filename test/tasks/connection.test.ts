// The connection to the API on the domain side: the endpoint in use and the last failover reach the
// store; with every endpoint down there is one outage, for our connection, and no node or row is
// blamed; once an endpoint answers, the outage and every node banner clear within the first good cycle.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createPveClient, type PveClient } from '../../src/api/index.js';
import { createRuntime, type Runtime } from '../../src/tasks/runtime.js';
import type { ManualClock } from '../../src/util/clock.js';
import { startCluster, SECOND, MINUTE, type Simulator } from '../reliability/helpers.js';

interface Rig {
  sim: Simulator;
  clock: ManualClock;
  client: PveClient;
  runtime: Runtime;
  upids: string[];
}

let rig: Rig | undefined;

afterEach(async () => {
  if (!rig) return;
  await rig.runtime.close();
  await rig.client.close();
  await rig.sim.close();
  rig = undefined;
});

async function startRig({ allEndpoints = true } = {}): Promise<Rig> {
  const { sim, clock } = await startCluster();
  const client = createPveClient({ endpoints: allEndpoints ? sim.urls : [sim.url], token: sim.token, clock, timeoutMs: 10 * SECOND });
  const runtime = createRuntime({ client, clock, intervalMs: 2000, scope: 'cluster', watchAfterTimeout: true });
  // A long task on each node, watched as ours: the poller asks every node each cycle.
  const upids = ['pve1', 'pve2', 'pve3'].map((node, i) =>
    sim.control.spawnTask({ node, type: 'qmstart', id: String(9000 + i), durationMs: 30 * MINUTE, exitStatus: 'OK' }),
  );
  for (const upid of upids) runtime.tracker.track(upid, { timeoutMs: 60 * MINUTE });
  runtime.poller.start();
  rig = { sim, clock, client, runtime, upids };
  await pass(rig, 5 * SECOND);
  return rig;
}

async function pass(r: Rig, ms: number): Promise<void> {
  await r.clock.runUntil(r.clock.sleep(ms), { limitMs: ms + MINUTE });
}

function blamed(r: Rig): string[] {
  const state = r.runtime.store.getState();
  const nodes = Object.values(state.nodes)
    .filter((node) => node.error)
    .map((node) => `node ${node.name}`);
  const rows = r.upids.filter((upid) => state.row(state.keyOf(upid)!)?.pollError).map((upid) => `row ${upid}`);
  return [...nodes, ...rows];
}

const host = (url: string) => new URL(url).host;

test('the endpoint in use and the last failover reach the store as host:port', async () => {
  const r = await startRig();
  assert.deepEqual(r.runtime.store.getState().connection, { endpoint: host(r.sim.urls[0]!), endpoints: r.sim.urls.map(host) });
  await r.sim.control.addFault('listener-down=pve1');
  const at = r.clock.now();
  await pass(r, 5 * SECOND);
  const connection = r.runtime.store.getState().connection!;
  assert.equal(connection.endpoint, host(r.sim.urls[1]!));
  const { at: movedAt, ...failover } = connection.failover!;
  assert.deepEqual(failover, { from: host(r.sim.urls[0]!), to: host(r.sim.urls[1]!), reason: 'connection refused' });
  assert.ok(movedAt >= at && movedAt <= at + 2 * SECOND, 'at the next poll');
  assert.equal(connection.outage, undefined);
});

test('every endpoint refusing: one outage for the connection, no node or row blamed; back: all clear in the first good cycle', async () => {
  const r = await startRig();
  // pve3 is down first (its own outage, answered 595 by the others): that one is the node's.
  // Long enough for its backoff to reach the cap (a minute): the recovery must not wait for it.
  await r.sim.control.addFault('offline=pve3:refuse');
  await pass(r, 2 * MINUTE);
  assert.deepEqual(blamed(r), [`node pve3`, `row ${r.upids[2]}`]);

  const downAt = r.clock.now();
  for (const node of ['pve1', 'pve2']) await r.sim.control.addFault(`listener-down=${node}`);
  await pass(r, 10 * SECOND);
  const { connection } = r.runtime.store.getState();
  assert.ok(connection?.outage, 'an outage');
  assert.ok(connection.outage.since >= downAt && connection.outage.since <= downAt + 2 * SECOND, 'since the first unanswered request');
  assert.equal(connection.outage.reason, 'connection refused');
  assert.deepEqual(blamed(r), [`node pve3`, `row ${r.upids[2]}`], 'no node or row is blamed for our connection');

  await r.sim.control.clearFaults();
  const cycles = r.runtime.store.getState().poll.cycles;
  await r.clock.runUntil(
    new Promise<void>((resolve) => {
      const stop = r.runtime.store.subscribe((state) => {
        if (state.poll.cycles < cycles + 2) return;
        stop();
        resolve();
      });
    }),
    { limitMs: MINUTE },
  );
  assert.equal(r.runtime.store.getState().connection?.outage, undefined);
  assert.deepEqual(blamed(r), [], 'pve3 answered in the first good cycle, so nothing says unreachable');
});

test('every endpoint silent (timeouts): the outage dates from when the unanswered requests were sent', async () => {
  const r = await startRig({ allEndpoints: false });
  const downAt = r.clock.now();
  await r.sim.control.addFault('offline=pve1:timeout');
  await pass(r, 30 * SECOND);
  const outage = r.runtime.store.getState().connection?.outage;
  assert.ok(outage, 'an outage');
  assert.ok(outage.since - downAt < 3 * SECOND, `since ${(outage.since - downAt) / SECOND}s after the fault`);
  assert.equal(outage.reason, 'no answer (timeout)');
  assert.deepEqual(blamed(r), []);
  await r.sim.control.clearFaults();
  await pass(r, 15 * SECOND);
  assert.equal(r.runtime.store.getState().connection?.outage, undefined);
  assert.deepEqual(blamed(r), []);
});

test('a passing failure between answers is no outage', async () => {
  const r = await startRig({ allEndpoints: false });
  await r.sim.control.addFault('drop=0.2');
  let outages = 0;
  const stop = r.runtime.store.subscribe((state) => (outages += state.connection?.outage ? 1 : 0));
  await pass(r, 60 * SECOND);
  stop();
  assert.equal(outages, 0);
});

test("a node's banner and its rows' errors clear together, with the first good answer from that node", async () => {
  const r = await startRig();
  await r.sim.control.addFault('offline=pve3:refuse');
  await pass(r, 20 * SECOND);
  assert.deepEqual(blamed(r), [`node pve3`, `row ${r.upids[2]}`]);
  // Every state the store goes through from here: the banner never outlives the rows' errors, nor the reverse.
  const seen: string[][] = [];
  const stop = r.runtime.store.subscribe(() => seen.push(blamed(r)));
  await r.sim.control.clearFaults();
  const cleared = new Promise<void>((resolve) => {
    const stopWaiting = r.runtime.store.subscribe((state) => {
      if (state.nodes.pve3?.error) return;
      stopWaiting();
      resolve();
    });
  });
  await r.clock.runUntil(cleared, { limitMs: 2 * MINUTE });
  stop();
  assert.deepEqual(blamed(r), []);
  for (const state of seen) assert.ok(state.length === 0 || state.length === 2, `banner and row apart: ${state.join(', ')}`);
  assert.equal(r.runtime.store.getState().connection?.outage, undefined, 'a node down is no outage of ours');
});
