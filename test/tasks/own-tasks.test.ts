// A least-privilege ops token (VM privileges, no Sys.Audit on /): /cluster/tasks shows it none of its
// own tasks, so the cluster scope reads each node's own list, and what it may do is known.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPveClient, type PveClient } from '../../src/api/index.js';
import { holds } from '../../src/tasks/privileges.js';
import { createRuntime } from '../../src/tasks/runtime.js';
import { rowsOf } from '../../src/tasks/store.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe('an ops token without Sys.Audit on /', () => {
  let cluster: TestCluster;
  let token: string;
  let client: PveClient;
  before(async () => {
    cluster = await startTestCluster({ nodes: 3 });
    token = cluster.sim.control.addToken('ops', { privileges: 'ops' });
    client = createPveClient({ endpoint: cluster.sim.url, token, clock: cluster.clock });
  });
  after(async () => {
    await client.close();
    await cluster.close();
  });

  test('/cluster/tasks would show it nothing of its own: the simulator behaves as PVE does', async () => {
    const { sim, clock } = cluster;
    const authid = token.slice(0, token.indexOf('='));
    sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '100', user: authid, durationMs: 60 * SECOND });
    await clock.runUntil(Promise.resolve());
    const listed = (await clock.runUntil(client.GET('/cluster/tasks'))).data as Array<{ upid: string }>;
    assert.deepEqual(listed, []);
  });

  test('a task it started outside pvetasks shows in the cluster view within one interval, and a finished one with its true duration', async () => {
    const { sim, clock } = cluster;
    const authid = token.slice(0, token.indexOf('='));
    const finished = sim.control.spawnTask({ node: 'pve2', type: 'qmshutdown', id: '105', user: authid, durationMs: 3 * SECOND });
    await clock.advance(5 * MINUTE);
    const running = sim.control.spawnTask({ node: 'pve3', type: 'vzdump', id: '107', user: authid, durationMs: 10 * MINUTE });
    const someoneElse = sim.control.spawnTask({ node: 'pve3', type: 'qmstart', id: '108', user: 'alice@pve', durationMs: 10 * MINUTE });

    const runtime = createRuntime({ client, clock, scope: 'cluster', resourcesEveryMs: 0 });
    sim.control.resetCounters();
    await clock.runUntil(runtime.poller.pollOnce());

    const state = runtime.store.getState();
    assert.equal(state.access?.clusterTasks, false, 'no Sys.Audit on /');
    assert.equal(holds(state.access!.permissions, '/vms/105', 'VM.PowerMgmt'), true);
    assert.equal(holds(state.access!.permissions, '/', 'Sys.Audit'), false);
    const byUpid = new Map(rowsOf(state, 'cluster').map((row) => [row.upid, row]));
    assert.equal(byUpid.get(running)?.state, 'running');
    const ended = byUpid.get(finished)!;
    assert.equal(ended.state, 'ok');
    const took = ended.endedAt! - ended.startedAt!;
    assert.ok(took >= 2 * SECOND && took <= 4 * SECOND, `took ${took} ms as PVE recorded it, not the 5 minutes until it was seen`);
    assert.equal(byUpid.has(someoneElse), false, "another user's task is not visible to this token");

    // One request per node per cycle for the listing (and the permissions and node list once).
    const { byRoute } = sim.control.counters();
    const nodeLists = Object.entries(byRoute)
      .filter(([route]) => route.endsWith('/tasks'))
      .reduce((sum, [, count]) => sum + count, 0);
    assert.equal(nodeLists, 3, JSON.stringify(byRoute));
    await runtime.close();
  });
});

describe('a token with Sys.Audit on /', () => {
  test('the cluster view reads /cluster/tasks, not every node', async () => {
    const cluster = await startTestCluster({ nodes: 3 });
    const { sim, clock } = cluster;
    const runtime = createRuntime({ client: cluster.client, clock, scope: 'cluster', resourcesEveryMs: 0 });
    sim.control.resetCounters();
    await clock.runUntil(runtime.poller.pollOnce());
    assert.equal(runtime.store.getState().access?.clusterTasks, true);
    const { byRoute } = sim.control.counters();
    const nodeLists = Object.entries(byRoute).filter(([route]) => /\/nodes\/[^/]+\/tasks$/.test(route));
    assert.deepEqual(nodeLists, [], JSON.stringify(byRoute));
    assert.ok(Object.keys(byRoute).some((route) => route.includes('/cluster/tasks')));
    await runtime.close();
    await cluster.close();
  });
});
