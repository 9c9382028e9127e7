import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTaskTracker } from '../../src/tasks/runtime.js';
import { isFinal, rowsOf, type TaskRow } from '../../src/tasks/store.js';
import { startTestCluster, storeReaches, type TestCluster } from '../helpers/cluster.js';

const SECOND = 1000;

/** Requests to task routes since the last reset (guest lists and the like excluded). */
function taskRequests(cluster: TestCluster): number {
  const { byRoute } = cluster.sim.control.counters();
  return Object.entries(byRoute)
    .filter(([route]) => route.includes('/tasks'))
    .reduce((sum, [, count]) => sum + count, 0);
}

describe('200 running tasks on 4 nodes', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ nodes: 4 });
  });
  after(() => cluster.close());

  test('cost at most one request per node with running tasks plus one per task that ended, and every end is reported', async () => {
    const { sim, clock, client } = cluster;
    const layout: Array<[string, number]> = [
      ['pve1', 120],
      ['pve2', 30],
      ['pve3', 30],
      ['pve4', 20],
    ];
    const statuses = ['OK', 'WARNINGS: 2', 'backup storage full', 'OK', 'unexpected status'];
    const expected = new Map<string, string>();
    let n = 0;
    for (const [node, count] of layout) {
      for (let i = 0; i < count; i++, n++) {
        const exitStatus = statuses[n % statuses.length]!;
        const upid = sim.control.spawnTask({
          node,
          type: 'qmstart',
          id: String(1000 + n),
          durationMs: (5 + ((n * 37) % 90)) * SECOND,
          exitStatus,
        });
        expected.set(upid, exitStatus);
      }
    }
    const tracker = createTaskTracker({ client, clock, intervalMs: 2 * SECOND, resourcesEveryMs: 0 });
    const finished: TaskRow[] = [];
    tracker.subscribe((event) => {
      if (event.type === 'finished') finished.push(event.row);
    });
    for (const upid of expected.keys()) tracker.track(upid, { timeoutMs: 10 * 60 * SECOND });

    let cycles = 0;
    while (finished.length < expected.size) {
      assert.ok(++cycles < 200, 'tasks should all end within 200 cycles');
      const rows = rowsOf(tracker.store.getState(), 'cluster');
      const nodesWithRunning = new Set(rows.filter((row) => row.state === 'running').map((row) => row.node)).size;
      const finishedBefore = finished.length;
      sim.control.resetCounters();
      await clock.runUntil(tracker.poller.pollOnce());
      const endedThisCycle = finished.length - finishedBefore;
      const requests = taskRequests(cluster);
      assert.ok(
        requests <= nodesWithRunning + endedThisCycle,
        `cycle ${cycles}: ${requests} requests for ${nodesWithRunning} nodes and ${endedThisCycle} ended tasks`,
      );
      await clock.advance(2 * SECOND);
    }
    const classOf: Record<string, string> = {
      OK: 'ok',
      'WARNINGS: 2': 'warnings',
      'backup storage full': 'failed',
      'unexpected status': 'unknown',
    };
    for (const row of finished) {
      const exitStatus = expected.get(row.upid!)!;
      assert.equal(row.state, classOf[exitStatus], `${row.upid} ended ${exitStatus}`);
      assert.equal(row.exitStatus, exitStatus);
    }
    assert.equal(new Set(finished.map((row) => row.key)).size, expected.size, 'each task is reported exactly once');
    const summary = tracker.summary();
    assert.deepEqual(
      { ok: summary.ok, warnings: summary.warnings, failed: summary.failed, unknown: summary.unknown, running: summary.running },
      { ok: 80, warnings: 40, failed: 40, unknown: 40, running: 0 },
    );
    await tracker.close();
  });
});

describe('outcomes', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ nodes: 2 });
  });
  after(() => cluster.close());

  test('a timed-out task counts as timed out; the board records its late outcome, commands stop watching', async () => {
    const { sim, clock, client } = cluster;
    const upid = sim.control.spawnTask({ node: 'pve2', type: 'vzdump', id: '101', durationMs: 30 * SECOND, exitStatus: 'OK' });
    const board = createTaskTracker({ client, clock, intervalMs: 2 * SECOND, resourcesEveryMs: 0, watchAfterTimeout: true });
    const command = createTaskTracker({ client, clock, intervalMs: 2 * SECOND, resourcesEveryMs: 0 });
    const boardKey = board.track(upid, { timeoutMs: 10 * SECOND });
    const commandKey = command.track(upid, { timeoutMs: 10 * SECOND });
    const [commandRows] = await clock.runUntil(Promise.all([command.waitForAll(), board.waitForAll()]));
    assert.equal(commandRows[0]!.state, 'timeout');
    assert.equal(board.store.getState().row(boardKey)!.state, 'timeout');
    // The task goes on; the board keeps polling it and notes how it really ended.
    await clock.runUntil(storeReaches(board.store, (state) => state.row(boardKey)!.lateOutcome !== undefined));
    const late = board.store.getState().row(boardKey)!;
    assert.equal(late.state, 'timeout');
    assert.equal(late.lateOutcome, 'ok');
    assert.equal(late.lateExitStatus, 'OK');
    assert.equal(board.store.getState().tallies.mine.timeout, 1);
    assert.equal(board.store.getState().tallies.mine.ok, 0);
    assert.equal(command.store.getState().row(commandKey)!.lateOutcome, undefined);
    await board.close();
    await command.close();
  });

  test('a task PVE does not know on its node ends unknown', async () => {
    const { sim, clock, client } = cluster;
    const real = sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '100', durationMs: 1 * SECOND, exitStatus: 'OK' });
    const elsewhere = real.replace('UPID:pve1:', 'UPID:pve2:');
    const tracker = createTaskTracker({ client, clock, intervalMs: 2 * SECOND, resourcesEveryMs: 0 });
    const key = tracker.track(elsewhere);
    const [row] = await clock.runUntil(tracker.waitForAll());
    assert.equal(row!.key, key);
    assert.equal(row!.state, 'unknown');
    await tracker.close();
  });
});

describe('failures', () => {
  test('a node offline (refusing at once, then answering slowly) keeps its rows, says since when, and recovers', async () => {
    const cluster = await startTestCluster({ nodes: 3 });
    const { sim, clock, client } = cluster;
    const onPve2 = sim.control.spawnTask({ node: 'pve2', type: 'qmstart', id: '200', durationMs: 60 * SECOND, exitStatus: 'OK' });
    const onPve3 = sim.control.spawnTask({ node: 'pve3', type: 'qmstart', id: '300', durationMs: 20 * SECOND, exitStatus: 'OK' });
    const tracker = createTaskTracker({ client, clock, intervalMs: 2 * SECOND, resourcesEveryMs: 0, requestTimeoutMs: 10 * SECOND });
    const keyPve2 = tracker.track(onPve2, { timeoutMs: 600 * SECOND });
    const keyPve3 = tracker.track(onPve3, { timeoutMs: 600 * SECOND });
    const { store } = tracker;

    const offlineSince = clock.now();
    await sim.control.addFault({ kind: 'offline', node: 'pve2', mode: 'refuse' });
    await clock.runUntil(tracker.poller.pollOnce());
    let row = store.getState().row(keyPve2)!;
    assert.equal(row.state, 'running', 'an unreachable node is not an outcome');
    assert.match(row.pollError!.message, /595/);
    assert.equal(row.pollError!.since, offlineSince);
    assert.equal(store.getState().nodes.pve2!.online, false);
    assert.equal(store.getState().row(keyPve3)!.pollError, undefined);

    // Now the node answers only after the proxy's timeout: the loop carries on for pve3 meanwhile.
    await sim.control.clearFaults();
    await sim.control.addFault({ kind: 'offline', node: 'pve2', mode: 'timeout' });
    tracker.poller.start();
    await clock.runUntil(storeReaches(store, (state) => isFinal(state.row(keyPve3)!.state)));
    assert.equal(store.getState().row(keyPve3)!.state, 'ok');
    assert.ok(clock.now() - offlineSince < 30 * SECOND, 'pve3 was followed while pve2 hung');
    row = store.getState().row(keyPve2)!;
    assert.equal(row.state, 'running');
    assert.equal(row.pollError!.since, offlineSince, 'the outage is dated from its start');

    await sim.control.clearFaults();
    await clock.runUntil(storeReaches(store, (state) => isFinal(state.row(keyPve2)!.state)));
    row = store.getState().row(keyPve2)!;
    assert.equal(row.state, 'ok');
    assert.equal(row.pollError, undefined);
    assert.equal(store.getState().nodes.pve2!.online, true);
    await tracker.close();
    await cluster.close();
  });

  test('a ticket that expires mid-run is renewed and polling carries on', async () => {
    const base = await startTestCluster({ nodes: 2 });
    await base.client.close();
    const { sim, clock } = base;
    const { createPveClient } = await import('../../src/api/index.js');
    const client = createPveClient({ endpoint: sim.url, username: sim.username, password: sim.password, clock });
    const upid = sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '100', durationMs: 20 * SECOND, exitStatus: 'OK' });
    const tracker = createTaskTracker({ client, clock, intervalMs: 2 * SECOND, resourcesEveryMs: 0 });
    tracker.track(upid);
    await clock.runUntil(tracker.poller.pollOnce());
    sim.control.expireTickets();
    const [row] = await clock.runUntil(tracker.waitForAll());
    assert.equal(row!.state, 'ok');
    await tracker.close();
    await client.close();
    await sim.close();
  });
});

describe('scopes and overlap', () => {
  test("in the cluster scope other users' tasks join the registry, without deadlines, and end like ours", async () => {
    const cluster = await startTestCluster({ nodes: 2 });
    const { sim, clock, client } = cluster;
    const theirs = sim.control.spawnTask({
      node: 'pve2',
      type: 'vzdump',
      id: '',
      user: 'backup@pve',
      durationMs: 30 * SECOND,
      exitStatus: 'WARNINGS: 1',
    });
    const ours = sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '100', durationMs: 5 * SECOND, exitStatus: 'OK' });
    const tracker = createTaskTracker({ client, clock, intervalMs: 2 * SECOND, resourcesEveryMs: 0, scope: 'cluster' });
    tracker.track(ours);
    await clock.runUntil(tracker.poller.pollOnce());
    const { keyOf, row, tallies } = tracker.store.getState();
    const foreign = row(keyOf(theirs)!)!;
    assert.equal(foreign.mine, false);
    assert.equal(foreign.deadline, undefined);
    assert.equal(foreign.description, 'Backup Job');
    assert.equal(tallies.mine.total, 1);
    assert.ok(tallies.cluster.total >= 2);
    tracker.poller.start();
    await clock.runUntil(storeReaches(tracker.store, (state) => state.row(keyOf(theirs)!)!.state === 'warnings'));
    assert.equal(tracker.store.getState().row(keyOf(theirs)!)!.exitStatus, 'WARNINGS: 1');
    await tracker.close();
    await cluster.close();
  });

  test('a node that answers slowly never has two polls in flight', async () => {
    const cluster = await startTestCluster({ nodes: 3 });
    const { sim, clock, client } = cluster;
    const onPve2 = sim.control.spawnTask({ node: 'pve2', type: 'qmstart', id: '200', durationMs: 600 * SECOND, exitStatus: 'OK' });
    const onPve3 = sim.control.spawnTask({ node: 'pve3', type: 'qmstart', id: '300', durationMs: 600 * SECOND, exitStatus: 'OK' });
    // Count requests in flight per target node, on the client side.
    const inFlight = new Map<string, number>();
    const most = new Map<string, number>();
    const get = client.GET.bind(client);
    client.GET = (async (...args: Parameters<typeof get>) => {
      const node = (args[1] as { params?: { path?: { node?: string } } } | undefined)?.params?.path?.node ?? '-';
      inFlight.set(node, (inFlight.get(node) ?? 0) + 1);
      most.set(node, Math.max(most.get(node) ?? 0, inFlight.get(node)!));
      try {
        return await get(...args);
      } finally {
        inFlight.set(node, inFlight.get(node)! - 1);
      }
    }) as typeof client.GET;
    const tracker = createTaskTracker({ client, clock, intervalMs: 2 * SECOND, resourcesEveryMs: 0, requestTimeoutMs: 10 * SECOND });
    tracker.track(onPve2, { timeoutMs: 3_600 * SECOND });
    tracker.track(onPve3, { timeoutMs: 3_600 * SECOND });
    await sim.control.addFault({ kind: 'slow', ms: 25 * SECOND, listener: 'pve1' });
    tracker.poller.start();
    const started = clock.now();
    await clock.runUntil(storeReaches(tracker.store, () => clock.now() - started >= 120 * SECOND));
    await tracker.close();
    await cluster.close();
    assert.equal(most.get('pve2'), 1, 'one poll at a time for pve2');
    assert.equal(most.get('pve3'), 1, 'one poll at a time for pve3');
  });
});

describe('waking the loops', () => {
  test('refresh (r) and resume poll at once, whichever loop went to sleep last', async () => {
    const cluster = await startTestCluster({ nodes: 2 });
    const { sim, clock, client } = cluster;
    const upid = sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '100', durationMs: 600 * SECOND, exitStatus: 'OK' });
    const tracker = createTaskTracker({ client, clock, intervalMs: 2 * SECOND, resourcesEveryMs: 0 });
    tracker.track(upid, { timeoutMs: 3_600 * SECOND });
    const cycles = () => tracker.store.getState().poll.cycles;
    try {
      tracker.poller.start();
      await clock.idle();
      // One second on, the focus loop (it follows the task in the detail view) has gone back to sleep
      // after the main loop did; a refresh must still wake the main loop.
      await clock.advance(SECOND);
      await clock.idle();
      const at = clock.now();
      const before = cycles();
      tracker.poller.refreshNow();
      await clock.idle();
      assert.equal(clock.now(), at, 'no clock time passed');
      assert.equal(cycles(), before + 1, 'refreshNow polled at once');

      tracker.poller.setPaused(true);
      await clock.advance(SECOND);
      await clock.idle();
      const paused = cycles();
      tracker.poller.setPaused(false);
      await clock.idle();
      assert.equal(cycles(), paused + 1, 'resuming polled at once');
    } finally {
      await tracker.close();
      await cluster.close();
    }
  });
});
