import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore, type TaskStore } from '../../src/tasks/store.js';
import { FakeActions, KEY, addTask, cleanup, lineWith, linesOf, mountBoard } from './helpers.js';

afterEach(() => cleanup());

function setLog(store: TaskStore, key: string, count: number) {
  const lines = Array.from({ length: count }, (_, i) => `INFO: log line ${i + 1}`);
  store.getState().update((tx) => tx.setFocusLog({ key, lines, read: count }));
}

async function openBackup() {
  const store = createTaskStore();
  const actions = new FakeActions(store);
  const key = addTask(store, { vmid: 100, type: 'vzdump', description: 'Backup VM 100', guestName: 'db01', at: -30_000, percent: 37 });
  addTask(store, { vmid: 101, state: 'ok', exitStatus: 'OK', at: -90_000, endedAfter: 1000 });
  const board = await mountBoard({ store, actions });
  await board.press(KEY.enter);
  return { store, actions, key, board };
}

test('Enter opens the task: UPID fields, status, progress; focusTask on open and on close', async () => {
  const { actions, key, board } = await openBackup();
  assert.deepEqual(actions.callsOf('focusTask'), [[key]]);
  const frame = board.frame();
  assert.match(frame, /\[Task detail\]/);
  assert.match(frame, /● Backup VM 100 db01/);
  assert.match(lineWith(frame, 'UPID')!, /UPID:pve1:[0-9A-F]{8}:00ABCDEF:[0-9A-F]{8}:vzdump:100:root@pam:/);
  assert.match(frame, /node pve1 · type vzdump · id 100 · user root@pam/);
  assert.match(frame, /running for 30s/);
  assert.match(lineWith(frame, 'Status')!, /● running/);
  assert.match(lineWith(frame, 'Progress')!, /\[█+░+\] +37%/);
  assert.match(frame, /no lines yet/);
  await board.press(KEY.esc);
  assert.deepEqual(actions.callsOf('focusTask'), [[key], [undefined]]);
  assert.match(board.frame(), /\[Tasks: mine\]/);
});

test('the log tail follows new lines; scrolling up stops following; f and G follow again', async () => {
  const { store, key, board } = await openBackup();
  setLog(store, key, 40);
  await board.press();
  const logShown = () =>
    linesOf(board.frame())
      .filter((line) => line.startsWith('INFO: log line'))
      .map((line) => Number(line.split(' ').pop()));
  // 24 rows: 19 body lines, 7 of them task fields, so 12 log lines.
  assert.deepEqual(
    logShown(),
    Array.from({ length: 12 }, (_, i) => 29 + i),
  );
  assert.match(board.frame(), /following \(f stops\) · lines 29-40 of 40/);

  setLog(store, key, 45);
  await board.press();
  assert.equal(logShown().at(-1), 45, 'follows the tail');

  await board.press('k');
  assert.equal(logShown().at(-1), 44);
  assert.match(board.frame(), /not following/);
  setLog(store, key, 60);
  await board.press();
  assert.equal(logShown().at(-1), 44, 'stays where the user scrolled to');
  await board.press(KEY.pageUp, 'g');
  assert.equal(logShown()[0], 1);
  await board.press('f');
  assert.equal(logShown().at(-1), 60);
  await board.press('f');
  assert.match(board.frame(), /not following/);
  await board.press(KEY.up, 'G');
  assert.match(board.frame(), /following \(f stops\)/);
  assert.equal(logShown().at(-1), 60);
});

test('x in the detail view stops the task after y/N', async () => {
  const { actions, key, board } = await openBackup();
  await board.press('x');
  assert.match(board.frame(), /Stop this task on pve1\?/);
  assert.match(board.frame(), /Backup VM 100 db01/);
  await board.press('n');
  assert.deepEqual(actions.callsOf('stopTask'), []);
  await board.press('x', 'y');
  assert.deepEqual(actions.callsOf('stopTask'), [[key]]);
  assert.match(board.frame(), /stopping the task/);
});

test('an ended task shows its outcome and duration; a task gone from the store says so', async () => {
  const store = createTaskStore();
  const key = addTask(store, { vmid: 103, state: 'failed', exitStatus: 'command failed: exit code 255', at: -90_000, endedAfter: 4000 });
  const board = await mountBoard({ store });
  await board.press(KEY.enter);
  assert.match(lineWith(board.frame(), 'Status')!, /✗ failed +command failed: exit code 255/);
  assert.match(board.frame(), /took 4s/);
  store.getState().update((tx) => tx.remove(key));
  await board.press();
  assert.match(board.frame(), /no longer listed/);
  assert.equal(linesOf(board.frame()).length, 23);
});

test('quitting from the detail view releases the focused task', async () => {
  const { actions, key, board } = await openBackup();
  board.unmount();
  assert.deepEqual(actions.callsOf('focusTask'), [[key], [undefined]]);
});
