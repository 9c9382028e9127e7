import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTaskStore } from '../../src/tasks/store.js';
import { createDisplayOrder } from '../../src/ui/display-order.js';
import { createTaskLister } from '../../src/ui/visible.js';
import { addTask } from './helpers.js';

test('the first order is the store’s; between poll cycles rows stay where they are; the next cycle brings every move at once', () => {
  const display = createDisplayOrder();
  assert.deepEqual(display(['a', 'b', 'c', 'd'], 1), ['a', 'b', 'c', 'd']);
  // b ended (it sorts below the running ones now), then c: the list keeps its places.
  assert.deepEqual(display(['a', 'c', 'd', 'b'], 1), ['a', 'b', 'c', 'd']);
  assert.deepEqual(display(['a', 'd', 'c', 'b'], 1), ['a', 'b', 'c', 'd']);
  assert.deepEqual(display(['a', 'd', 'c', 'b'], 2), ['a', 'd', 'c', 'b']);
});

test('new rows show at once, after the row the store has before them; rows that are gone leave at once', () => {
  const display = createDisplayOrder();
  display(['a', 'b', 'c'], 1);
  // b moved to the end (held); n is new at the top, m new after c; a was removed.
  assert.deepEqual(display(['n', 'c', 'm', 'b'], 1), ['n', 'b', 'c', 'm']);
});

test('the same array while nothing changed, so that list selectors stay stable', () => {
  const display = createDisplayOrder();
  const order = ['a', 'b'];
  const first = display(order, 1);
  assert.equal(display(order, 1), first);
  const held = display(['b', 'a'], 1);
  assert.equal(held, first, 'a reorder between cycles keeps the shown array');
  assert.equal(display(['b', 'a'], 1), held);
});

test('the task lister: a task that ends keeps its row until the poll cycle ends, then moves down with the others', () => {
  const store = createTaskStore();
  const older = addTask(store, { vmid: 101, at: -60_000 });
  const newer = addTask(store, { vmid: 102, at: -30_000 });
  const done = addTask(store, { vmid: 103, at: -90_000, state: 'ok', exitStatus: 'OK', endedAfter: 5_000 });
  const list = createTaskLister();
  assert.deepEqual(list(store.getState(), 'mine', '').keys, [newer, older, done]);

  store.getState().update((tx) => tx.finish(newer, 'ok', { exitStatus: 'OK', endedAt: Date.now() }));
  assert.deepEqual(store.getState().order.mine, [older, newer, done], 'the store sorts at once');
  assert.deepEqual(list(store.getState(), 'mine', '').keys, [newer, older, done], 'the board keeps the row in place');

  store.getState().update((tx) => tx.setPoll({ cycles: store.getState().poll.cycles + 1 }));
  assert.deepEqual(list(store.getState(), 'mine', '').keys, [older, newer, done]);
});
