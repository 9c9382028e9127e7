// The store's state cannot hand out a mutable collection: rows are read one by one, by key. The
// `@ts-expect-error` lines are the test: `npm test` typechecks first, and they fail to compile as
// soon as the state exposes `rows` or `byUpid` again, whose identity would never change (a stale view).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTaskStore } from '../../src/tasks/store.js';

test('the state has no row record and no UPID index to select: rows come by key, changes by version', () => {
  const store = createTaskStore();
  const state = store.getState();
  // @ts-expect-error the row collection is not part of the state (it changes in place)
  assert.equal(state.rows, undefined);
  // @ts-expect-error neither is the UPID index
  assert.equal(state.byUpid, undefined);
  let key = '';
  store.getState().update((tx) => {
    key = tx.add({ mine: true, node: 'pve1', type: 'qmstart', firstSeenAt: 0 });
  });
  const after = store.getState();
  assert.notEqual(after, state);
  assert.equal(after.rowsChange.version, state.rowsChange.version + 1);
  assert.equal(after.row(key)?.state, 'queued');
  assert.notEqual(after.order.mine, state.order.mine, 'an order that changed is a new array');
});
