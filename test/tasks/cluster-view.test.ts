// The view over several clusters' stores (cluster-view.ts) and the action router (cluster-actions.ts):
// keys, merged orders, identities kept while nothing changed, sums, guests by cluster, routing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RuntimeActions } from '../../src/tasks/actions.js';
import { routeActions, watchWhenKnown } from '../../src/tasks/cluster-actions.js';
import { activeTaskOn, clusterOfGuest, combineStores, guestId } from '../../src/tasks/cluster-view.js';
import { createTaskStore, rowsOf, type TaskStore } from '../../src/tasks/store.js';
import { formatUpid } from '../../src/tasks/upid.js';
import { ManualClock } from '../../src/util/clock.js';
import { T0, addTask, guest, setGuests } from '../ui/helpers.js';

function two() {
  const alpha = createTaskStore();
  const bravo = createTaskStore();
  const clock = new ManualClock();
  const view = combineStores(
    [
      { name: 'alpha', store: alpha },
      { name: 'bravo', store: bravo },
    ],
    clock,
  );
  return { alpha, bravo, view, clock };
}

test('one cluster: the view is its store, untouched', () => {
  const store = createTaskStore();
  const view = combineStores([{ name: 'alpha', store }], new ManualClock());
  assert.equal(view.store, store);
});

test('rows of both clusters, keys prefixed, merged in the stores’ order (running first, then newest)', () => {
  const { alpha, bravo, view } = two();
  const a1 = addTask(alpha, { vmid: 101, at: -60_000, state: 'ok', endedAfter: 5_000 });
  const b1 = addTask(bravo, { vmid: 201, at: -30_000, state: 'ok', endedAfter: 5_000 });
  const a2 = addTask(alpha, { vmid: 102, at: -90_000 });
  const b2 = addTask(bravo, { vmid: 202, at: -10_000, state: 'failed', exitStatus: 'boom', endedAfter: 1_000 });
  const state = view.store.getState();
  assert.deepEqual(state.order.cluster, [`alpha/${a2}`, `bravo/${b2}`, `bravo/${b1}`, `alpha/${a1}`]);
  assert.equal(state.row(`bravo/${b2}`)?.vmids[0], 202);
  assert.equal(state.row(`bravo/${b2}`)?.key, `bravo/${b2}`);
  assert.equal(state.row(`alpha/${b2}`), undefined);
  assert.equal(state.tallies.cluster.total, 4);
  assert.equal(state.tallies.cluster.failed, 1);
  assert.equal(state.tallies.cluster.running, 1);
  assert.deepEqual(
    rowsOf(state, 'mine').map((row) => row.vmids[0]),
    [102, 202, 201, 101],
  );
});

test('a row update keeps the order array and every other row object; the changed row is a new object', () => {
  const { alpha, bravo, view } = two();
  const a1 = addTask(alpha, { vmid: 101, percent: 10 });
  const b1 = addTask(bravo, { vmid: 201, percent: 10 });
  const before = view.store.getState();
  const order = before.order.cluster;
  const rowA = before.row(`alpha/${a1}`);
  const rowB = before.row(`bravo/${b1}`);
  assert.equal(before.row(`alpha/${a1}`), rowA, 'the same copy on every read');
  alpha.getState().update((tx) => tx.patch(a1, { progress: { percent: 50 } }));
  const after = view.store.getState();
  assert.equal(after.order.cluster, order, 'the merged order is not rebuilt');
  assert.equal(after.row(`bravo/${b1}`), rowB);
  assert.notEqual(after.row(`alpha/${a1}`), rowA);
  assert.equal(after.row(`alpha/${a1}`)?.progress?.percent, 50);
  assert.ok(after.rowsChange.before.has(`alpha/${a1}`));
});

test('guests keyed by cluster and VMID: the same VMID in both clusters stays apart; tasks on a guest from its own cluster', () => {
  const { alpha, bravo, view } = two();
  setGuests(alpha, [guest(101, { name: 'web-a' })]);
  setGuests(bravo, [guest(101, { name: 'web-b' }), guest(102)]);
  addTask(bravo, { vmid: 101 });
  const state = view.store.getState();
  assert.deepEqual(state.guestOrder, [guestId(0, 101), guestId(1, 101), guestId(1, 102)]);
  assert.equal(state.guests[guestId(1, 101)]?.name, 'web-b');
  assert.equal(clusterOfGuest(state, guestId(1, 101)), 'bravo');
  assert.equal(activeTaskOn(state, guestId(0, 101)), undefined);
  assert.equal(activeTaskOn(state, guestId(1, 101))?.vmids[0], 101);
});

test('the router: a launch over guests of two clusters reaches each with its own VMIDs; keys come back prefixed', () => {
  const { alpha, bravo, view } = two();
  const calls: Array<[string, unknown]> = [];
  const fake = (name: string, store: TaskStore): RuntimeActions =>
    ({
      launch(request: { vmids: readonly number[] }) {
        calls.push([name, request.vmids]);
        return request.vmids.map((vmid) => addTask(store, { vmid, state: 'queued' }));
      },
      stopTask(key: string) {
        calls.push([`${name} stop`, key]);
        return Promise.resolve();
      },
      setPaused(paused: boolean) {
        calls.push([`${name} pause`, paused]);
      },
    }) as unknown as RuntimeActions;
  const actions = routeActions(
    [
      { name: 'alpha', store: alpha, actions: fake('alpha', alpha) },
      { name: 'bravo', store: bravo, actions: fake('bravo', bravo) },
    ],
    view.notify,
  );
  const keys = actions.launch({ action: 'start', vmids: [guestId(1, 101), guestId(0, 101), guestId(1, 105)] });
  assert.deepEqual(calls, [
    ['bravo', [101, 105]],
    ['alpha', [101]],
  ]);
  assert.equal(keys.length, 3);
  for (const key of keys) assert.ok(view.store.getState().row(key), `${key} is a row of the view`);
  calls.length = 0;
  void actions.stopTask(keys[2]!);
  actions.setPaused(true);
  assert.deepEqual(calls, [
    ['alpha stop', keys[2]!.slice('alpha/'.length)],
    ['alpha pause', true],
    ['bravo pause', true],
  ]);
  actions.notify('hello');
  assert.equal(view.store.getState().message?.text, 'hello');
});

test('--watch over several clusters: a UPID waits until a cluster has its node, then goes to that cluster', () => {
  const { alpha, bravo, view } = two();
  const watched: string[] = [];
  const fake = (name: string) => ({ watchTask: (upid: string) => (watched.push(`${name} ${upid}`), 'k') }) as unknown as RuntimeActions;
  const actions = routeActions(
    [
      { name: 'alpha', store: alpha, actions: fake('alpha') },
      { name: 'bravo', store: bravo, actions: fake('bravo') },
    ],
    view.notify,
  );
  const onBravo = formatUpid({ node: 'bravo-pve2', pid: 1, pstart: 2, starttime: 3, type: 'qmstart', id: '120', user: 'root@pam' });
  watchWhenKnown(view.store, actions, [onBravo]);
  assert.deepEqual(watched, [], 'no cluster knows the node yet');
  alpha.getState().update((tx) => tx.setNode('alpha-pve1', { online: true }));
  assert.deepEqual(watched, []);
  bravo.getState().update((tx) => tx.setNode('bravo-pve2', { online: true }));
  assert.deepEqual(watched, [`bravo ${onBravo}`]);
  bravo.getState().update((tx) => tx.setNode('bravo-pve1', { online: true }));
  assert.equal(watched.length, 1, 'watched once');
});

test('orders kept by moving the touched rows agree with a full merge, write after write', () => {
  const stores = [createTaskStore(), createTaskStore(), createTaskStore()];
  const clock = new ManualClock();
  const names = ['alpha', 'bravo', 'charlie'];
  const view = combineStores(
    stores.map((store, i) => ({ name: names[i]!, store })),
    clock,
  );
  // A small deterministic generator: the same writes on every run.
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const keys: string[][] = [[], [], []];
  for (let step = 0; step < 400; step++) {
    const i = next(3);
    const store = stores[i]!;
    const own = keys[i]!;
    const what = own.length < 5 ? 0 : next(5);
    if (what <= 1)
      own.push(
        addTask(store, { vmid: 100 + next(50), at: -next(600) * 1000, mine: next(2) === 0, state: next(3) === 0 ? 'ok' : 'running' }),
      );
    else if (what === 2) store.getState().update((tx) => tx.finish(own[next(own.length)]!, 'ok', { exitStatus: 'OK', endedAt: T0 }));
    else if (what === 3) store.getState().update((tx) => tx.remove(own.splice(next(own.length), 1)[0]!));
    else store.getState().update((tx) => tx.patch(own[next(own.length)]!, { progress: { percent: next(100) } }));
    const fresh = combineStores(
      stores.map((each, n) => ({ name: names[n]!, store: each })),
      clock,
    );
    assert.deepEqual(view.store.getState().order, fresh.store.getState().order, `after step ${step}`);
    fresh.close();
  }
});
