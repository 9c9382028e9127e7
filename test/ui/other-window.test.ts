// Rows of another pvetasks window are marked in the list ([w1]) and the detail view, and take no action.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore } from '../../src/tasks/store.js';
import { type FakeActions, KEY, T0, addTask, cleanup, lineWith, mountBoard } from './helpers.js';

afterEach(() => cleanup());

test('a row of window 1: [w1] before its title, spelled out in the detail view; x says it is read-only', async () => {
  const store = createTaskStore();
  const theirs = addTask(store, { vmid: 101, mine: false, guestName: 'web01' });
  addTask(store, { vmid: 102, mine: false, at: -1000, guestName: 'db02' });
  store.getState().update((tx) => tx.patch(theirs, { window: 1, deadline: T0 + 120_000 }));
  const board = await mountBoard({ store, initialScope: 'cluster' });
  assert.match(lineWith(board.frame(), 'web01')!, /^> ● \[w1\] Start VM 101 web01 /);
  assert.match(lineWith(board.frame(), 'db02')!, /^ {2}● Start VM 102 db02 /, "another user's task has no mark");
  await board.press('x');
  assert.match(board.frame(), /this task belongs to pvetasks window w1: read-only here/);
  assert.doesNotMatch(board.frame(), /Stop this task/, 'no dialog');
  assert.deepEqual((board.actions as FakeActions).callsOf('stopTask'), []);
  await board.press(KEY.enter);
  assert.match(lineWith(board.frame(), 'web01')!, /^● \[window w1, read-only\] Start VM 101 web01$/);
});
