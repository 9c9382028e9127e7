// The store's state cannot hand out a mutable collection: rows are read one by one, by key. The
// `@ts-expect-error` lines are the test: `npm test` typechecks first, and they fail to compile as
// soon as the state exposes `rows` or `byUpid` again, whose identity would never change (a stale view).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activeRowsOf, createTaskStore, rowsOf } from '../../src/tasks/store.js';

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

test('the active rows of a scope are its running and queued rows, in its order, whatever the finished rows around them', () => {
  const store = createTaskStore();
  const keys: string[] = [];
  store.getState().update((tx) => {
    for (let i = 0; i < 40; i++) keys.push(tx.add({ mine: i % 3 !== 0, node: `pve${i % 3}`, type: 'qmstart', firstSeenAt: i * 1000 }));
  });
  // Rows end and start in a mixed order: some queued, some running, most finished, some timed out.
  store.getState().update((tx) => {
    keys.forEach((key, i) => {
      if (i % 4 === 0) return; // stays queued
      tx.patch(key, { state: 'running', startedAt: i * 1000 });
      if (i % 4 === 1) tx.finish(key, i % 8 === 1 ? 'ok' : 'failed', { endedAt: 50_000 + i });
      if (i % 4 === 2 && i % 8 === 2) tx.timeOut(key);
    });
  });
  const state = store.getState();
  for (const scope of ['mine', 'cluster'] as const) {
    const expected = rowsOf(state, scope).filter((row) => row.state === 'queued' || row.state === 'running');
    assert.ok(expected.length > 0 && expected.length < rowsOf(state, scope).length);
    assert.deepEqual(
      activeRowsOf(state, scope).map((row) => row.key),
      expected.map((row) => row.key),
      scope,
    );
  }
});
