// How the poller learns a task's end when nobody watched it end, a node that does not exist, and
// answers of the wrong shape: against the simulator on the ManualClock.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PveApiError, type PveClient } from '../../src/api/index.js';
import { createRuntime } from '../../src/tasks/runtime.js';
import { rowsOf } from '../../src/tasks/store.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe('ends seen late', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ nodes: 2 });
  });
  after(() => cluster.close());

  test('a 1 s task that ended 8 minutes before it is watched takes 1 s, as PVE recorded it', async () => {
    const { sim, clock, client } = cluster;
    const upid = sim.control.spawnTask({ node: 'pve2', type: 'qmstart', id: '101', durationMs: 1 * SECOND, exitStatus: 'OK' });
    await clock.advance(8 * MINUTE);
    const runtime = createRuntime({ client, clock, resourcesEveryMs: 0 });
    const key = runtime.tracker.track(upid);
    await clock.runUntil(runtime.tracker.waitForAll());
    const row = runtime.store.getState().row(key)!;
    assert.equal(row.state, 'ok');
    // PVE records seconds: the start is cut to its second, the end too.
    const took = row.endedAt! - row.startedAt!;
    assert.ok(took >= 0 && took <= 2 * SECOND, `took ${took} ms, not the 8 minutes until we looked`);
    await runtime.close();
  });

  test('tasks that left the active list get their end from one archive page per node, not a /status each', async () => {
    const { sim, clock, client } = cluster;
    const upids = [0, 1, 2, 3, 4].map((n) =>
      sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: String(110 + n), durationMs: (2 + n) * SECOND, exitStatus: 'OK' }),
    );
    const runtime = createRuntime({ client, clock, resourcesEveryMs: 0 });
    for (const upid of upids) runtime.tracker.track(upid);
    await clock.advance(10 * SECOND);
    sim.control.resetCounters();
    await clock.runUntil(runtime.poller.pollOnce());
    const { byRoute } = sim.control.counters();
    const statusReads = Object.entries(byRoute)
      .filter(([route]) => route.endsWith('/status'))
      .reduce((sum, [, count]) => sum + count, 0);
    assert.equal(statusReads, 0, JSON.stringify(byRoute));
    const rows = rowsOf(runtime.store.getState(), 'mine');
    assert.deepEqual(
      rows.map((row) => row.state),
      ['ok', 'ok', 'ok', 'ok', 'ok'],
    );
    for (const row of rows) {
      const nominal = (Number(row.taskId) - 110 + 2) * SECOND;
      assert.ok(Math.abs(row.endedAt! - row.startedAt! - nominal) <= SECOND, `${row.taskId}: ${row.endedAt! - row.startedAt!} ms`);
    }
    await runtime.close();
  });

  test("a UPID of a node that is not in the cluster ends unknown at once, with PVE's message", async () => {
    const { sim, clock, client } = cluster;
    const real = sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '120', durationMs: 60 * SECOND, exitStatus: 'OK' });
    const typo = real.replace('UPID:pve1:', 'UPID:pve9:');
    const runtime = createRuntime({ client, clock, resourcesEveryMs: 0 });
    const key = runtime.tracker.track(typo);
    const started = clock.now();
    await clock.runUntil(runtime.tracker.waitForAll());
    const row = runtime.store.getState().row(key)!;
    assert.equal(row.state, 'unknown');
    assert.match(row.message!, /node 'pve9' is not in this cluster: 500 hostname lookup 'pve9' failed/);
    assert.ok(clock.now() - started < 10 * SECOND, `ended after ${clock.now() - started} ms, not at the 2 min deadline`);
    await runtime.close();
  });

  test('a node of the cluster answering 500 is retried, not ended', async () => {
    const { sim, clock } = cluster;
    const upid = sim.control.spawnTask({ node: 'pve2', type: 'qmstart', id: '121', durationMs: 20 * SECOND, exitStatus: 'OK' });
    let failing = true;
    // pmxcfs busy on pve2: its task list answers 500 for a while.
    const client = new Proxy(cluster.client, {
      get(target, property, receiver) {
        if (property !== 'GET') return Reflect.get(target, property, receiver);
        return (path: string, init?: { params?: { path?: { node?: string } } }) => {
          if (failing && path === '/nodes/{node}/tasks' && init?.params?.path?.node === 'pve2') {
            return Promise.reject(new PveApiError({ kind: 'http', status: 500, reason: 'ipcc_send_rec[1] failed', message: '500' }));
          }
          return target.GET(path as '/version', init as never);
        };
      },
    });
    const runtime = createRuntime({ client, clock, resourcesEveryMs: 0 });
    const key = runtime.tracker.track(upid, { timeoutMs: 5 * MINUTE });
    await clock.runUntil(runtime.poller.pollOnce());
    const during = runtime.store.getState().row(key)!;
    assert.equal(during.state, 'running');
    assert.match(during.pollError?.message ?? '', /500 ipcc_send_rec/);
    failing = false;
    runtime.poller.start();
    await clock.runUntil(runtime.tracker.waitForAll());
    assert.equal(runtime.store.getState().row(key)!.state, 'ok');
    await runtime.close();
  });
});

/** The client, with `/cluster/tasks` answered by `items` instead of the server. */
function withClusterTasks(client: PveClient, items: () => unknown[]): PveClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'GET') return Reflect.get(target, property, receiver);
      return async (path: string, ...rest: unknown[]) => {
        const answer = await (target.GET as (...args: unknown[]) => Promise<{ data: unknown }>)(path, ...rest);
        return path === '/cluster/tasks' ? { ...answer, data: [...items(), ...(answer.data as unknown[])] } : answer;
      };
    },
  });
}

describe('answers of the wrong shape', () => {
  test('malformed /cluster/tasks items are skipped and counted; the cycle completes and the rest is read', async () => {
    const cluster = await startTestCluster({ nodes: 2 });
    const { sim, clock } = cluster;
    const good = sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '130', durationMs: 4 * SECOND, exitStatus: 'OK' });
    const hostile = [
      null,
      { upid: good.replace(':130:', ':131:'), status: 42 },
      { upid: good.replace(':130:', ':132:'), status: { nested: true } },
      { upid: 'not a upid' },
      'a string',
    ];
    const client = withClusterTasks(cluster.client, () => hostile);
    const runtime = createRuntime({ client, clock, scope: 'cluster', resourcesEveryMs: 0 });
    const key = runtime.tracker.track(good);
    await clock.runUntil(runtime.poller.pollOnce());
    const state = runtime.store.getState();
    assert.equal(state.poll.cycles, 1, 'the cycle completed');
    assert.ok(state.poll.lastSuccessAt !== undefined, 'the header stays live');
    assert.equal(state.message?.text, '5 malformed items in /cluster/tasks ignored');
    assert.equal(state.message?.level, 'error');
    await clock.runUntil(runtime.tracker.waitForAll());
    assert.equal(runtime.store.getState().row(key)!.state, 'ok');
    await runtime.close();
    await cluster.close();
  });
});
