// Keys that arrive in one read (typed fast over SSH, sent together by tmux) act one by one.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore } from '../../src/tasks/store.js';
import type { Key } from 'ink';
import { keyOf, keysOf } from '../../src/ui/split-keys.js';
import { FakeActions, addTask, cleanup, guest, linesOf, mountBoard, setGuests, settle } from './helpers.js';

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

test('keysOf: a run of plain keys is one key each, as Ink reports each alone; escape sequences stay whole', () => {
  const [[, enter]] = [keyOf('\r')];
  assert.equal(enter.return, true);
  assert.deepEqual(keyOf('\u0003').slice(0, 1), ['c']);
  assert.equal(keyOf('\u0003')[1].ctrl, true);
  assert.equal(keyOf('G')[1].shift, true);
  assert.equal(keyOf('\u007f')[1].delete, true);
  assert.deepEqual(
    keysOf('jk').map(([input]) => input),
    ['j', 'k'],
  );
  const named = (raw: string) => keysOf(raw).map(([input, key]) => [input, Object.keys(key).filter((name) => key[name as keyof Key])]);
  assert.deepEqual(named('\u001b[A'), [['', ['upArrow']]]);
  assert.deepEqual(named('\u001bOB'), [['', ['downArrow']]], 'SS3 arrows (application cursor mode)');
  assert.deepEqual(named('\u001b[5~'), [['', ['pageUp']]]);
  assert.deepEqual(named('\u001b[6~'), [['', ['pageDown']]]);
  assert.deepEqual(named('\u001b[H'), [['', ['home']]]);
  assert.deepEqual(named('\u001b[4~'), [['', ['end']]]);
  assert.deepEqual(named('\u001b[Z'), [['', ['shift', 'tab']]]);
  assert.deepEqual(named('\u001b[1;5C'), [['', ['rightArrow', 'ctrl']]]);
  assert.deepEqual(named('\u001b[15~'), [], 'F5: nothing the board uses');
  assert.deepEqual(named('\u001b[[A'), [], 'F1 of the Linux console is not an arrow');
});

test('keysOf: Esc and a key in the same read are Esc, then the key (never Alt+key)', () => {
  const named = (raw: string) => keysOf(raw).map(([input, key]) => (key.escape ? 'Esc' : key.return ? 'Enter' : key.tab ? 'Tab' : input));
  // Ink's useInput reads the first as Alt+j and loses the Esc of the others altogether.
  assert.deepEqual(named('\u001bj'), ['Esc', 'j']);
  assert.deepEqual(named('\u001b/'), ['Esc', '/']);
  assert.deepEqual(named('\u001b?'), ['Esc', '?']);
  assert.deepEqual(named('\u001b\t'), ['Esc', 'Tab']);
  assert.deepEqual(named('\u001b\r'), ['Esc', 'Enter']);
  assert.deepEqual(named('\u001b\u001b'), ['Esc', 'Esc']);
  assert.deepEqual(named('\u001bjk'), ['Esc', 'j', 'k']);
  assert.deepEqual(named('\u001b'), ['Esc']);
  const arrow = keysOf('\u001b\u001b[A');
  assert.equal(arrow.length, 2, 'Esc, then the arrow');
  assert.equal(arrow[0]![1].escape, true);
  assert.equal(arrow[1]![1].upArrow, true);
  assert.ok(
    keysOf('\u001bq').every(([, key]) => !key.meta),
    'no key is ever reported with Alt',
  );
});

test('Esc + j in one read while typing a filter: the filter is cleared, then j moves the cursor', async () => {
  const store = createTaskStore();
  for (let i = 0; i < 3; i++) addTask(store, { vmid: 100 + i, state: 'ok', exitStatus: 'OK', at: -i * 1000, endedAfter: 500 });
  const board = await mountBoard({ store });
  await board.press('/', 'VM');
  assert.match(board.frame(), /filter "VM": 3 of 3/);
  board.stdin.write('\u001bj');
  await settle();
  assert.doesNotMatch(board.frame(), /filter "/, 'Esc cleared the filter');
  assert.match(cursorLine(board.frame())!, /Start VM 101/, 'j moved the cursor, not typed into the filter');
});

test('Esc + / in one read in the detail view: back to the list, then a new filter is typed', async () => {
  const store = createTaskStore();
  addTask(store, { vmid: 100 });
  addTask(store, { vmid: 101, at: -1000 });
  const board = await mountBoard({ store });
  await board.press('\r');
  assert.match(board.frame(), /\[Task detail\]/);
  board.stdin.write('\u001b/');
  await settle();
  assert.match(board.frame(), /\[Tasks: mine\]/);
  await board.press('101');
  assert.match(board.frame(), /filter "101": 1 of 2/);
});
