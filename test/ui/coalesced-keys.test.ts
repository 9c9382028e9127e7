// Keys that arrive in one read (typed fast over SSH, sent together by tmux) act one by one.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore } from '../../src/tasks/store.js';
import { keyOf, splitKeys } from '../../src/ui/split-keys.js';
import { FakeActions, addTask, cleanup, guest, linesOf, mountBoard, setGuests } from './helpers.js';

afterEach(() => cleanup());

const cursorLine = (frame: string) => linesOf(frame).find((line) => line.startsWith('> '));

test('jj in one read moves two rows; j then Enter in one read opens the task', async () => {
  const store = createTaskStore();
  for (let i = 0; i < 5; i++) addTask(store, { vmid: 100 + i, state: 'ok', exitStatus: 'OK', at: -i * 1000, endedAfter: 500 });
  const board = await mountBoard({ store });
  await board.press('jj');
  assert.match(cursorLine(board.frame())!, /Start VM 102/);
  await board.press('k\r');
  assert.match(board.frame(), /\[Task detail\]/);
  assert.match(board.frame(), /Start VM 101/);
});

test('Space, s and y + Enter in one read: the guests are marked and the start is confirmed', async () => {
  const store = createTaskStore();
  setGuests(store, [guest(100, { node: 'pve1' }), guest(101, { node: 'pve1' }), guest(102, { node: 'pve2' })]);
  const actions = new FakeActions(store);
  const board = await mountBoard({ store, actions });
  await board.press('\t', '   s');
  assert.match(board.frame(), /Start 3 guests on 2 nodes\?/);
  await board.press('y');
  assert.deepEqual(actions.callsOf('launch'), [[{ action: 'start', vmids: [100, 101, 102] }]]);
});

test('a paste into the filter is still text, Backspace (DEL) in it deletes', async () => {
  const store = createTaskStore();
  addTask(store, { vmid: 100, guestName: 'web01' });
  addTask(store, { vmid: 101, guestName: 'db01' });
  const board = await mountBoard({ store });
  await board.press('/', 'web0x\u007f1\r');
  assert.match(board.frame(), /1 of 2/);
  assert.ok(linesOf(board.frame()).some((line) => line.includes('web01')));
  assert.ok(!linesOf(board.frame()).some((line) => line.includes('db01')));
});

test('splitKeys keeps single keys and escape sequences whole, and reports each key as Ink would alone', () => {
  const [[, enter]] = [keyOf('\r')];
  assert.equal(enter.return, true);
  assert.deepEqual(keyOf('\u0003').slice(0, 1), ['c']);
  assert.equal(keyOf('\u0003')[1].ctrl, true);
  assert.equal(keyOf('G')[1].shift, true);
  assert.equal(keyOf('\u007f')[1].delete, true);
  const plain = keyOf('j')[1];
  assert.equal(splitKeys('j', plain).length, 1);
  assert.deepEqual(
    splitKeys('jk', plain).map(([input]) => input),
    ['j', 'k'],
  );
  const up = { ...plain, upArrow: true };
  assert.deepEqual(splitKeys('', up), [['', up]]);
});
