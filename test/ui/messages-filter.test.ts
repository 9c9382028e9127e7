// Small traps of issue 15: messages expire on the shared clock and never linger under the next dialog;
// `/` starts a new filter (the old one shows until the first key replaces it).
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore } from '../../src/tasks/store.js';
import { ERROR_MESSAGE_MS, INFO_MESSAGE_MS } from '../../src/ui/components/footer.js';
import { FakeActions, KEY, addTask, advance, cleanup, guest, linesOf, mountBoard, setGuests } from './helpers.js';

afterEach(() => cleanup());

const statusLine = (frame: string) => linesOf(frame).at(-1)!;

test('an info message goes after a few seconds of the shared clock, an error a little later; then the key hints are back', async () => {
  const store = createTaskStore();
  addTask(store, { vmid: 100 });
  const actions = new FakeActions(store);
  const board = await mountBoard({ store, actions });
  assert.ok(INFO_MESSAGE_MS < ERROR_MESSAGE_MS);
  actions.notify('queued start of 3 guests');
  await advance(board, 0);
  assert.equal(statusLine(board.frame()), 'queued start of 3 guests');
  await advance(board, INFO_MESSAGE_MS - 1000);
  assert.equal(statusLine(board.frame()), 'queued start of 3 guests', 'still there just before it expires');
  await advance(board, 1000);
  assert.match(statusLine(board.frame()), /^Tab view {2}Enter open/, 'gone: the hints show again');

  actions.notify('cannot stop it: permission denied', 'error');
  await advance(board, INFO_MESSAGE_MS + 1000);
  assert.equal(statusLine(board.frame()), '! cannot stop it: permission denied', 'an error stays longer');
  await advance(board, ERROR_MESSAGE_MS - INFO_MESSAGE_MS);
  assert.match(statusLine(board.frame()), /^Tab view/);
});

test('the next message replaces the last one at once', async () => {
  const store = createTaskStore();
  const actions = new FakeActions(store);
  const board = await mountBoard({ store, actions });
  actions.notify('first', 'error');
  actions.notify('second');
  await advance(board, 0);
  assert.equal(statusLine(board.frame()), 'second');
});

test('a message is cleared when a dialog opens: no stale "no guest to act on" under the next dialog', async () => {
  const store = createTaskStore();
  setGuests(store, [guest(100, { name: 'db01' })]);
  addTask(store, { vmid: 100, state: 'running' });
  const actions = new FakeActions(store);
  const board = await mountBoard({ store, actions });
  // No guest under the cursor: the filter hides them all.
  await board.press(KEY.tab, '/', 'nothing-matches', KEY.enter, 's');
  assert.match(statusLine(board.frame()), /^! no guest to act on/);
  await board.press(KEY.esc, KEY.tab, 'q');
  assert.match(board.frame(), /Quit\? Tasks started here: 1 running\./);
  assert.doesNotMatch(board.frame(), /no guest to act on/);
  await board.press('n');
  assert.doesNotMatch(board.frame(), /no guest to act on/, 'nor after the dialog closes');
  // A message that comes after the dialog opened shows as usual.
  await board.press('q');
  actions.notify('polling resumed');
  await advance(board, 0);
  assert.equal(statusLine(board.frame()), 'polling resumed');
});

test('/ starts a new filter: the old one shows until the first key replaces it; Enter keeps it; Backspace clears it', async () => {
  const store = createTaskStore();
  addTask(store, { vmid: 100, guestName: 'web01' });
  addTask(store, { vmid: 101, guestName: 'db01', at: -1000 });
  addTask(store, { vmid: 202, guestName: 'batch', at: -2000 });
  const board = await mountBoard({ store });
  await board.press('/', '202', KEY.enter);
  assert.match(board.frame(), /filter "202": 1 of 3/);
  await board.press('/');
  assert.match(statusLine(board.frame()), /^\/202 {3}\(typing replaces it\) {3}Enter: keep {2}Esc: clear$/);
  assert.match(board.frame(), /filter "202": 1 of 3/, 'the list keeps the old filter meanwhile');
  await board.press('b', 'a', 't', 'c', 'h');
  assert.match(board.frame(), /filter "batch": 1 of 3/, 'replaced, not appended ("202batch")');
  assert.match(statusLine(board.frame()), /^\/batch_/);
  await board.press(KEY.enter, '/', KEY.enter);
  assert.match(board.frame(), /filter "batch": 1 of 3/, 'Enter right away keeps the old filter');
  await board.press('/', KEY.backspace);
  assert.doesNotMatch(board.frame(), /filter "/, 'Backspace right away clears it');
  assert.match(statusLine(board.frame()), /^\/_/);
  await board.press('d', 'b');
  assert.match(board.frame(), /filter "db": 1 of 3/);
});

test('the guests filter starts anew the same way', async () => {
  const store = createTaskStore();
  setGuests(store, [guest(100, { name: 'db01' }), guest(101, { name: 'web01' }), guest(102, { name: 'web02' })]);
  const board = await mountBoard({ store });
  await board.press(KEY.tab, '/', 'db', KEY.enter, '/', 'web');
  assert.match(board.frame(), /filter "web": 2 of 3/);
});
