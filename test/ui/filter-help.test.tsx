import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore } from '../../src/tasks/store.js';
import { bindingsFor, keysLabel } from '../../src/ui/keymap.js';
import { KEY, addTask, cleanup, guest, lineWith, linesOf, mountBoard, setGuests } from './helpers.js';

afterEach(() => cleanup());

function mixedStore() {
  const store = createTaskStore();
  addTask(store, { vmid: 100, node: 'pve1', at: -1000 });
  addTask(store, { vmid: 101, node: 'pve2', at: -2000 });
  addTask(store, { vmid: 102, node: 'pve2', state: 'ok', exitStatus: 'OK', at: -3000, endedAfter: 100 });
  addTask(store, { vmid: 103, node: 'pve2', state: 'failed', exitStatus: 'VM 103 already running', at: -4000, endedAfter: 100 });
  addTask(store, {
    vmid: 104,
    node: 'pve3',
    state: 'warnings',
    exitStatus: 'WARNINGS: 2',
    at: -5000,
    endedAfter: 100,
    type: 'vzdump',
    description: 'Backup VM 104',
  });
  addTask(store, { vmid: 105, node: 'pve2', mine: false, user: 'alice@pve', at: -6000 });
  return store;
}

test('/ filters the tasks: "N of M", the footer tallies the filtered rows, Enter keeps, Esc clears', async () => {
  const board = await mountBoard({ store: mixedStore() });
  await board.press('/');
  assert.match(linesOf(board.frame()).at(-1)!, /^\/_ +Enter: keep {2}Esc: clear/);
  await board.press('p', 'v', 'e', '2');
  assert.match(board.frame(), /filter "pve2": 3 of 5/);
  assert.match(board.frame(), /filtered: running 1 · queued 0 · ok 1 · warnings 0 · failed 1 · timed out 0/);
  assert.equal(lineWith(board.frame(), 'VM 100'), undefined);
  await board.press(KEY.enter);
  assert.match(board.frame(), /filter "pve2": 3 of 5/, 'Enter keeps the filter');
  assert.doesNotMatch(linesOf(board.frame()).at(-1)!, /^\//);
  await board.press('j');
  assert.match(
    linesOf(board.frame()).find((line) => line.startsWith('> '))!,
    /VM 102/,
    'keys move again once the filter is kept',
  );
  await board.press(KEY.esc);
  assert.doesNotMatch(board.frame(), /filter "/);
  assert.match(board.frame(), /running 2 · queued 0 · ok 1 · warnings 1 · failed 1/);
});

test('the filter matches outcome, type and user; words narrow further; q and j are typed, not commands', async () => {
  const board = await mountBoard({ store: mixedStore() });
  await board.press('/', 'already');
  assert.match(board.frame(), /filter "already": 1 of 5/);
  await board.press(KEY.esc, '/', 'vzdump');
  assert.match(board.frame(), /1 of 5/);
  await board.press(KEY.esc, 'c', '/', 'alice');
  assert.match(board.frame(), /filter "alice": 1 of 6/);
  await board.press(KEY.esc, '/', 'pve2 ok');
  assert.match(board.frame(), /filter "pve2 ok": 1 of 6/);
  await board.press(KEY.esc, '/', 'q', 'j');
  assert.match(board.frame(), /filter "qj": 0 of 6/);
  assert.match(board.frame(), /No task matches the filter/);
  assert.deepEqual(board.exits, []);
  await board.press(KEY.backspace, KEY.backspace);
  assert.doesNotMatch(board.frame(), /filter "/);
});

test('the guests filter shows N of M by vmid, name, node, type, status, tags', async () => {
  const store = createTaskStore();
  setGuests(store, [
    guest(100, { name: 'db01', node: 'pve1', tags: 'prod' }),
    guest(101, { name: 'web01', node: 'pve2', type: 'lxc' }),
    guest(102, { name: 'web02', node: 'pve2', status: 'running' }),
  ]);
  const board = await mountBoard({ store });
  await board.press(KEY.tab, '/', 'web');
  assert.match(board.frame(), /filter "web": 2 of 3/);
  await board.press(KEY.esc, '/', 'lxc');
  assert.match(board.frame(), /1 of 3/);
  await board.press(KEY.esc, '/', 'prod');
  assert.match(lineWith(board.frame(), 'db01')!, /^> /);
  await board.press(KEY.esc, '/', '102');
  assert.match(board.frame(), /1 of 3/);
  await board.press(KEY.enter, KEY.tab);
  assert.doesNotMatch(board.frame(), /filter "/, 'each view has its own filter');
});

test('? shows the help generated from the keymap; Esc, ? and q close it without quitting', async () => {
  const board = await mountBoard({ store: mixedStore(), size: { columns: 120, rows: 60 } });
  await board.press('?');
  const frame = board.frame();
  assert.match(frame, /Keys: Tasks view/);
  for (const binding of bindingsFor('tasks')) {
    assert.ok(frame.includes(keysLabel(binding, false)) && frame.includes(binding.description), `help lists ${binding.command}`);
  }
  assert.match(frame, /In a dialog/);
  assert.match(frame, /typed as text \(q, j, y and n too\)/);
  for (const close of [KEY.esc, '?', 'q']) {
    await board.press(close);
    assert.doesNotMatch(board.frame(), /Keys: Tasks view/);
    await board.press('?');
  }
  assert.deepEqual(board.exits, []);
  await board.press(KEY.esc, KEY.tab, '?');
  assert.match(board.frame(), /Keys: Guests view/);
  assert.match(board.frame(), /mark every visible guest/);
});

test('the help scrolls when it is taller than the screen', async () => {
  const board = await mountBoard({ store: mixedStore() });
  await board.press('?');
  assert.match(board.frame(), /\(1-18 of \d+, j\/k scroll\)/);
  await board.press('G');
  assert.match(board.frame(), /filter \(\/\)/i);
  assert.equal(linesOf(board.frame()).length, 23);
});

test('a task filter kept while the Guests view is open: the footer there tallies the whole scope, the filter comes back', async () => {
  const store = mixedStore();
  setGuests(store, [guest(100), guest(101)]);
  const board = await mountBoard({ store });
  await board.press('/', 'pve2', KEY.enter, KEY.tab);
  for (let i = 0; i < 5; i++) {
    addTask(store, { vmid: 200 + i, node: 'pve2', at: i * 1000 });
    await board.press();
  }
  assert.match(board.frame(), /\[Guests\]/);
  assert.match(board.frame(), /running 7 · queued 0/, 'the Guests view tallies the whole scope');
  await board.press(KEY.tab);
  assert.match(board.frame(), /filter "pve2": 8 of 10/);
  assert.match(board.frame(), /filtered: running 6/);
});
