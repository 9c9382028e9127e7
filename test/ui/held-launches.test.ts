// The board opening on launches an earlier session queued and never sent: it asks before sending them.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore } from '../../src/tasks/store.js';
import { FakeActions, KEY, addTask, cleanup, lineWith, mountBoard } from './helpers.js';

afterEach(() => cleanup());

function sessionWithQueued(count: number) {
  const store = createTaskStore();
  for (let i = 0; i < count; i++) addTask(store, { vmid: 100 + i, state: 'queued', at: -60_000 });
  addTask(store, { vmid: 200, state: 'ok', exitStatus: 'OK', at: -120_000, endedAfter: 2000 });
  return { store, actions: new FakeActions(store) };
}

test('held launches: the board opens asking y/N; y resumes them', async () => {
  const { store, actions } = sessionWithQueued(3);
  const board = await mountBoard({ store, actions, heldLaunches: 3 });
  const frame = board.frame();
  assert.match(frame, /Resume 3 queued launches from the last session\?/);
  assert.match(frame, /y sends them as launch slots free up; n drops them\./);
  assert.match(frame, /\[y\/N\]/, 'No is the default: a stray Enter must not send them');
  // The queued rows stay visible above the dialog, in this session's scope.
  assert.match(frame, /\[Tasks: mine\]/);
  assert.match(lineWith(frame, 'Start VM 100')!, /queued$/);
  assert.deepEqual(actions.callsOf('resumeLaunches'), [], 'nothing is decided before the answer');
  await board.press('y');
  assert.deepEqual(actions.callsOf('resumeLaunches'), [[true]]);
  assert.doesNotMatch(board.frame(), /Resume 3/);
  assert.match(board.frame(), /resuming 3 queued launches of the last session/);
});

test('held launches: Enter takes the default, No: nothing is sent', async () => {
  const { store, actions } = sessionWithQueued(1);
  const board = await mountBoard({ store, actions, heldLaunches: 1 });
  assert.match(board.frame(), /Resume 1 queued launch from the last session\?/);
  await board.press(KEY.enter);
  assert.deepEqual(actions.callsOf('resumeLaunches'), [[false]]);
  assert.doesNotMatch(board.frame(), /Resume 1/);
  assert.match(board.frame(), /dropped 1 queued launch of the last session/);
});

test('held launches: n and Esc drop them, and say so', async () => {
  for (const key of ['n', KEY.esc]) {
    const { store, actions } = sessionWithQueued(2);
    const board = await mountBoard({ store, actions, heldLaunches: 2 });
    await board.press(key);
    assert.deepEqual(actions.callsOf('resumeLaunches'), [[false]], `key ${JSON.stringify(key)}`);
    assert.doesNotMatch(board.frame(), /Resume 2/);
    assert.match(board.frame(), /dropped 2 queued launches of the last session/);
    board.unmount();
    cleanup();
  }
});

test('held launches: the dialog takes the keys first; q and x do nothing until it is answered', async () => {
  const { store, actions } = sessionWithQueued(2);
  const board = await mountBoard({ store, actions, heldLaunches: 2 });
  await board.press('q', 'x', 'j');
  assert.deepEqual(board.exits, []);
  assert.deepEqual(actions.callsOf('cancelLaunch'), []);
  assert.match(board.frame(), /Resume 2 queued launches/);
});

test('held launches: no question without any; under --read-only nothing is sent or dropped', async () => {
  const { store, actions } = sessionWithQueued(2);
  const plain = await mountBoard({ store, actions, heldLaunches: 0 });
  assert.doesNotMatch(plain.frame(), /Resume/);
  plain.unmount();
  cleanup();

  const again = sessionWithQueued(2);
  const board = await mountBoard({ store: again.store, actions: again.actions, heldLaunches: 2, readOnly: true });
  assert.doesNotMatch(board.frame(), /Resume/);
  assert.match(board.frame(), /2 queued launches from the last session wait: not sent under --read-only/);
  await board.press('y', KEY.enter);
  assert.deepEqual(again.actions.callsOf('resumeLaunches'), []);
});
