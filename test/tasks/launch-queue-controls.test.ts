// The launch queue steered (issue 15): a per-node limit held on the server, pause and resume,
// cancelling everything queued, limits changed while it runs, a hung start freeing its slot.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRuntime, type Runtime } from '../../src/tasks/runtime.js';
import { rowsOf } from '../../src/tasks/store.js';
import { startTestCluster, storeReaches, type TestCluster } from '../helpers/cluster.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** Highest number of `tasks` running at one instant. */
function maxConcurrent(tasks: Array<{ startedAt: number; endedAt?: number }>, now: number): number {
  const edges = tasks.flatMap((task) => [
    { at: task.startedAt, delta: 1 },
    { at: task.endedAt ?? now, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let max = 0;
  for (const edge of edges) max = Math.max(max, (running += edge.delta));
  return max;
}

async function stoppedGuests(cluster: TestCluster, runtime: Runtime): Promise<Array<{ vmid: number; node: string }>> {
  await cluster.clock.runUntil(runtime.poller.pollOnce());
  return cluster.sim.control
    .guests()
    .filter(
      (guest) => guest.type === 'qemu' && guest.status === 'stopped' && !guest.template && guest.roles.length === 0 && !guest.hastate,
    );
}

test('--per-node 2 with --parallel 8: never more than 2 of our starts at once on a node (counted on the simulator)', async () => {
  const cluster = await startTestCluster({ nodes: 2, guests: 120, seed: 3 });
  const { sim, clock, client } = cluster;
  const runtime = createRuntime({ client, clock, parallel: 8, perNode: 2, scope: 'cluster' });
  const guests = await stoppedGuests(cluster, runtime);
  const onFirst = guests.filter((guest) => guest.node === 'pve1').slice(0, 6);
  assert.equal(onFirst.length, 6);
  runtime.poller.start();
  const keys = runtime.actions.launch({ action: 'start', vmids: onFirst.map((guest) => guest.vmid) });
  await clock.runUntil(
    storeReaches(runtime.store, (state) => keys.every((key) => state.row(key)!.state === 'ok')),
    { limitMs: 10 * MINUTE },
  );
  const ours = sim.control.tasks().filter((task) => task.type === 'qmstart' && onFirst.some((guest) => String(guest.vmid) === task.id));
  assert.equal(ours.length, 6);
  assert.equal(maxConcurrent(ours, clock.now()), 2);
  await clock.runUntil(runtime.close());
  await cluster.close();
});

test('pause holds the queue (nothing more is sent), resume lets it go; cancelling empties it; limits change live', async () => {
  const cluster = await startTestCluster({ nodes: 2, guests: 120, seed: 4 });
  const { sim, clock, client } = cluster;
  const runtime = createRuntime({ client, clock, parallel: 1 });
  const guests = (await stoppedGuests(cluster, runtime)).slice(0, 8);
  const starts = () => sim.control.tasks().filter((task) => task.type === 'qmstart').length;
  const startsBefore = starts();
  runtime.actions.setQueuePaused(true);
  const keys = runtime.actions.launch({ action: 'start', vmids: guests.map((guest) => guest.vmid) });
  assert.equal(runtime.store.getState().message?.text, 'queued start of 8 guests');
  runtime.poller.start();
  await clock.runUntil(clock.sleep(30 * SECOND));
  assert.equal(starts(), startsBefore, 'paused: nothing sent');
  assert.equal(runtime.store.getState().tallies.mine.queued, 8);

  runtime.actions.setQueuePaused(false);
  runtime.actions.setLaunchLimits({ parallel: 3 });
  assert.deepEqual(runtime.store.getState().queue, { paused: false, parallel: 3, perNode: 4 });
  await clock.runUntil(
    storeReaches(runtime.store, (state) => state.tallies.mine.ok >= 3),
    { limitMs: 5 * MINUTE },
  );
  runtime.actions.cancelQueued();
  const state = runtime.store.getState();
  assert.match(state.message!.text, /^cancelled \d+ queued launch/);
  assert.deepEqual(
    rowsOf(state, 'mine').filter((row) => row.state === 'queued' && row.sentAt === undefined),
    [],
    'nothing left waiting to be sent',
  );
  const sent = keys.filter((key) => state.row(key)).length;
  await clock.runUntil(
    storeReaches(runtime.store, (s) => s.tallies.mine.running + s.tallies.mine.queued === 0),
    { limitMs: 5 * MINUTE },
  );
  assert.equal(starts() - startsBefore, sent, 'the cancelled ones were never sent');
  assert.ok(sent >= 3 && sent < 8, `sent ${sent}`);
  await clock.runUntil(runtime.close());
  await cluster.close();
});

test("a start that hangs past its type's default deadline frees its slot; the task stays watched", async () => {
  const cluster = await startTestCluster({ nodes: 1, guests: 60, seed: 5 });
  const { sim, clock } = cluster;
  const user = sim.token.slice(0, sim.token.indexOf('='));
  let hangs = true;
  // The first start's task never ends (a guest stuck in its start-up): its POST answers a task that runs forever.
  const client = new Proxy(cluster.client, {
    get(target, property, receiver) {
      if (property !== 'POST') return Reflect.get(target, property, receiver);
      return (path: string, init: { params: { path: { node: string; vmid: number } } }) => {
        if (!hangs || !path.endsWith('/status/start')) return target.POST(path as never, init as never);
        hangs = false;
        const { node, vmid } = init.params.path;
        return Promise.resolve({ data: sim.control.spawnTask({ node, type: 'qmstart', id: String(vmid), user, durationMs: Infinity }) });
      };
    },
  });
  // --timeout 1h for the tasks, one slot.
  const runtime = createRuntime({ client, clock, parallel: 1, timeoutMs: 60 * MINUTE });
  const [first, second] = (await stoppedGuests(cluster, runtime)).slice(0, 2);
  const [hungKey, nextKey] = runtime.actions.launch({ action: 'start', vmids: [first!.vmid, second!.vmid] });
  runtime.poller.start();
  await clock.runUntil(
    storeReaches(runtime.store, (state) => state.row(nextKey!)!.upid !== undefined),
    { limitMs: 10 * MINUTE },
  );
  const hung = runtime.store.getState().row(hungKey!)!;
  const waited = runtime.store.getState().row(nextKey!)!.startedAt! - hung.startedAt!;
  assert.ok(
    waited >= 2 * MINUTE && waited < 3 * MINUTE,
    `the second start went ${waited / SECOND} s after the first, at its 2 min slot limit`,
  );
  assert.equal(hung.state, 'running', 'the hung task is still watched (its deadline is an hour)');
  await clock.runUntil(runtime.close());
  await cluster.close();
});
