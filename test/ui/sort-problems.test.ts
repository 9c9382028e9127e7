// Sort keys (> and <) and the one-key "problems only" filter (!) of the Tasks view, and the footer's
// tally fitted to the width: the least useful counts go first, never failed and timed out.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore, emptyTally, type TaskStore } from '../../src/tasks/store.js';
import { fitTally } from '../../src/ui/format.js';
import { isProblem, sortTaskKeys } from '../../src/ui/visible.js';
import { KEY, addTask, cleanup, linesOf, mountBoard, rowOf } from './helpers.js';

afterEach(() => cleanup());

function mixed(): TaskStore {
  const store = createTaskStore();
  addTask(store, { vmid: 105, node: 'pve10', at: -1000, state: 'running', guestName: 'e' });
  addTask(store, { vmid: 101, node: 'pve2', at: -2000, state: 'ok', exitStatus: 'OK', endedAfter: 30_000, guestName: 'a' });
  addTask(store, { vmid: 103, node: 'pve1', at: -3000, state: 'failed', exitStatus: 'boom', endedAfter: 2_000, guestName: 'c' });
  addTask(store, { vmid: 102, node: 'pve2', at: -4000, state: 'timeout', guestName: 'b' });
  addTask(store, {
    vmid: 104,
    node: 'pve1',
    at: -5000,
    state: 'unknown',
    exitStatus: 'unexpected status',
    endedAfter: 100,
    guestName: 'd',
  });
  addTask(store, { vmid: 100, node: 'pve3', at: -6000, state: 'ok', exitStatus: 'OK', endedAfter: 90_000, guestName: 'f' });
  addTask(store, { vmid: 106, node: 'pve1', at: -7000, state: 'skipped', message: 'already running', guestName: 'g' });
  return store;
}

const vmidsOf = (store: TaskStore, keys: readonly string[]) => keys.map((key) => rowOf(store, key).vmids[0]);

test('sortTaskKeys: start is the store order; state puts problems first; guest, node (numeric) and duration; ties stay in start order', () => {
  const store = mixed();
  const state = store.getState();
  const order = state.order.mine;
  assert.deepEqual(vmidsOf(store, sortTaskKeys(order, state, 'start')), [105, 101, 103, 102, 104, 100, 106]);
  assert.deepEqual(vmidsOf(store, sortTaskKeys(order, state, 'state')), [103, 102, 104, 105, 101, 100, 106]);
  assert.deepEqual(vmidsOf(store, sortTaskKeys(order, state, 'guest')), [100, 101, 102, 103, 104, 105, 106]);
  assert.deepEqual(
    vmidsOf(store, sortTaskKeys(order, state, 'node')),
    [103, 104, 106, 101, 102, 100, 105],
    'pve2 before pve10; on one node the newest first',
  );
  // Running (and timed out, still running) first, the longest running first; then the longest ended; then what never ran.
  assert.deepEqual(vmidsOf(store, sortTaskKeys(order, state, 'duration')), [102, 105, 100, 101, 103, 104, 106]);
  assert.deepEqual(
    order.filter((key) => isProblem(rowOf(store, key))).map((key) => rowOf(store, key).vmids[0]),
    [103, 102, 104],
  );
});

test('> and < cycle the sort, shown in the view bar; the cursor stays on its task', async () => {
  const board = await mountBoard({ store: mixed(), size: { columns: 100, rows: 24 } });
  const cursor = () => linesOf(board.frame()).find((line) => line.startsWith('> '))!;
  await board.press('j');
  assert.match(cursor(), /Start VM 101/);
  await board.press('>');
  assert.match(linesOf(board.frame())[1]!, /sort: state {2}7 tasks$/);
  assert.match(cursor(), /Start VM 101/, 'the cursor follows its task');
  const rows = linesOf(board.frame()).filter((line) => /Start VM \d+/.test(line));
  assert.match(rows[0]!, /VM 103/);
  await board.press('>', '>', '>');
  assert.match(linesOf(board.frame())[1]!, /sort: duration/);
  await board.press('>');
  assert.doesNotMatch(linesOf(board.frame())[1]!, /sort:/, 'back to the start order, which needs no word');
  await board.press('<');
  assert.match(linesOf(board.frame())[1]!, /sort: duration/);
});

test('! shows only the problems (failed, timed out, unknown); the tally counts them; ! or Esc shows all again', async () => {
  const board = await mountBoard({ store: mixed() });
  await board.press('!');
  const frame = board.frame();
  assert.match(linesOf(frame)[1]!, /problems only: 3 of 7$/);
  const rows = linesOf(frame).filter((line) => /Start VM \d+/.test(line));
  assert.deepEqual(
    rows.map((line) => /VM (\d+)/.exec(line)![1]),
    ['103', '102', '104'],
  );
  // Every count would not fit 80 columns: the zeros go, the failed and timed-out counts stay.
  assert.equal(linesOf(frame).at(-2), 'filtered: failed 1 · timed out 1 · unknown 1');
  await board.press('/', 'pve1', KEY.enter);
  assert.match(linesOf(board.frame())[1]!, /problems only, filter "pve1": 2 of 7$/);
  await board.press(KEY.esc);
  assert.match(linesOf(board.frame())[1]!, /7 tasks$/);
  await board.press('!', '!');
  assert.match(linesOf(board.frame())[1]!, /7 tasks$/);
  const none = createTaskStore();
  addTask(none, { vmid: 100, state: 'ok', exitStatus: 'OK', endedAfter: 10 });
  const calm = await mountBoard({ store: none });
  await calm.press('!');
  assert.match(calm.frame(), /No failed, timed-out or unknown task here \(! shows them all\)/);
});

test('fitTally: every count when it fits; then no zeros, short labels, and the least useful dropped; never failed and timed out', () => {
  const tally = { ...emptyTally(), total: 60, running: 12, queued: 30, ok: 8, warnings: 0, failed: 3, timeout: 0, unknown: 2, skipped: 5 };
  const text = (width: number, label = '') =>
    `${label}${fitTally(tally, width, label, ' · ')
      .map((part) => `${part.label} ${part.count}`)
      .join(' · ')}`;
  assert.equal(text(200), 'running 12 · queued 30 · ok 8 · warnings 0 · failed 3 · timed out 0 · unknown 2 · skipped 5');
  assert.equal(text(80), 'running 12 · queued 30 · ok 8 · failed 3 · timed out 0 · unknown 2 · skipped 5');
  assert.equal(text(80, 'filtered: '), 'filtered: run 12 · q 30 · ok 8 · failed 3 · timed out 0 · unk 2 · skip 5');
  assert.equal(text(60, 'filtered: '), 'filtered: run 12 · q 30 · failed 3 · timed out 0 · unk 2');
  assert.equal(text(40, 'filtered: '), 'filtered: failed 3 · timed out 0 · unk 2');
  assert.equal(text(30, 'filtered: '), 'filtered: failed 3 · timed out 0', 'failed and timed out are never dropped');
  // 40 columns is the board's least width (below it says the terminal is too small).
  for (const width of [40, 60, 80]) {
    for (const label of ['', 'filtered: ']) assert.ok(text(width, label).length <= width, `${width} ${label}: ${text(width, label)}`);
  }
});

test('the footer tally fits 60 and 80 columns with a filter on and unknown and skipped present, failed and timed out kept', async () => {
  const store = mixed();
  for (let i = 0; i < 12; i++) addTask(store, { vmid: 200 + i, at: -10_000 - i, state: i % 2 ? 'running' : 'queued' });
  const board = await mountBoard({ store });
  await board.press('/', 'VM', KEY.enter);
  for (const columns of [60, 80]) {
    await board.resize(columns, 24);
    const tally = linesOf(board.frame()).at(-2)!;
    assert.ok([...tally].length <= columns, `${columns}: ${tally}`);
    assert.match(tally, /^filtered: /);
    assert.match(tally, /failed 1/, `${columns}: ${tally}`);
    assert.match(tally, /timed out 1/, `${columns}: ${tally}`);
    for (const line of linesOf(board.frame())) assert.ok([...line].length <= columns, line);
  }
  assert.match(linesOf(board.frame()).at(-2)!, /unk 1/, 'at 80 columns the unknown count still fits');
});
