import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore } from '../../src/tasks/store.js';
import { FakeActions, KEY, addTask, advance, cleanup, lineWith, linesOf, mountBoard, T0 } from './helpers.js';

afterEach(() => cleanup());

function sampleStore() {
  const store = createTaskStore();
  const keys = {
    backup: addTask(store, { vmid: 100, type: 'vzdump', description: 'Backup VM 100', guestName: 'db01', at: -5000, percent: 42 }),
    ok: addTask(store, { vmid: 101, state: 'ok', exitStatus: 'OK', at: -60_000, endedAfter: 12_000, guestName: 'web01' }),
    warn: addTask(store, { vmid: 102, state: 'warnings', exitStatus: 'WARNINGS: 1', at: -70_000, endedAfter: 30_000 }),
    failed: addTask(store, {
      vmid: 103,
      state: 'failed',
      exitStatus: "can't lock file '/var/lock/qemu-server/lock-103.conf'",
      at: -80_000,
      endedAfter: 1000,
    }),
    timeout: addTask(store, { vmid: 104, state: 'timeout', at: -200_000 }),
    queued: addTask(store, { vmid: 105, state: 'queued', at: -1000 }),
    other: addTask(store, { vmid: 200, mine: false, user: 'alice@pve', at: -3000, node: 'pve2' }),
  };
  return { store, keys };
}

test('opens on mine when this session has rows, shows glyph, task, node, time, progress and outcome', async () => {
  const { store } = sampleStore();
  const board = await mountBoard({ store });
  const frame = board.frame();
  assert.match(frame, /\[Tasks: mine\]/);
  assert.doesNotMatch(frame, /Start VM 200/, 'rows of others are only in the cluster scope');
  assert.match(lineWith(frame, 'Backup VM 100')!, /^ {2}● Backup VM 100 db01 +pve1 +5s +\[█+░+\] +42%/);
  assert.match(lineWith(frame, 'Start VM 101')!, /✓ Start VM 101 web01 +pve1 +12s +OK$/);
  assert.match(lineWith(frame, 'Start VM 102')!, /! .* 30s +WARNINGS: 1$/);
  assert.match(lineWith(frame, 'Start VM 103')!, /✗ .* can't lock file/);
  assert.match(lineWith(frame, 'Start VM 104')!, /◷ .* timed out$/);
  assert.match(lineWith(frame, 'Start VM 105')!, /… Start VM 105 .* queued$/);
  assert.match(frame, /running 1 · queued 1 · ok 1 · warnings 1 · failed 1 · timed out 1/);
  const order = linesOf(frame)
    .filter((line) => / Start VM | Backup VM /.test(line))
    .map((line) => line.match(/VM (\d+)/)![1]);
  assert.deepEqual(order, ['105', '100', '101', '102', '103', '104'], 'active first, then newest first');
});

test('opens on cluster when this session has no rows; c switches scope', async () => {
  const store = createTaskStore();
  addTask(store, { vmid: 300, mine: false, user: 'bob@pam' });
  const board = await mountBoard({ store });
  assert.match(board.frame(), /\[Tasks: cluster\]/);
  assert.match(board.frame(), /Start VM 300/);
  await board.press('c');
  assert.match(board.frame(), /\[Tasks: mine\]/);
  assert.match(board.frame(), /No task started here yet/);
  assert.match(board.frame(), /running 0 · queued 0/);
});

test('the cursor row is marked with > and moves with j, k, G, g and the arrows', async () => {
  const { store } = sampleStore();
  const board = await mountBoard({ store });
  const cursorLine = () => linesOf(board.frame()).find((line) => line.startsWith('> '));
  assert.match(cursorLine()!, /VM 105/);
  await board.press('j', KEY.down);
  assert.match(cursorLine()!, /VM 101/);
  await board.press('G');
  assert.match(cursorLine()!, /VM 104/);
  await board.press('k');
  assert.match(cursorLine()!, /VM 103/);
  await board.press('g');
  assert.match(cursorLine()!, /VM 105/);
  assert.equal(linesOf(board.frame()).filter((line) => line.startsWith('> ')).length, 1);
});

test('elapsed times tick every second in the first minute and every 5 s after, from the shared clock', async () => {
  const store = createTaskStore();
  addTask(store, { vmid: 100, at: 0 });
  const board = await mountBoard({ store });
  const time = () => lineWith(board.frame(), 'Start VM 100')!.match(/(\d+m )?\d+s/)![0];
  assert.equal(time(), '0s');
  await advance(board, 1000);
  assert.equal(time(), '1s');
  await advance(board, 1000);
  assert.equal(time(), '2s');
  await advance(board, 59_000);
  assert.equal(time(), '1m 00s');
  await advance(board, 1000);
  assert.equal(time(), '1m 00s', 'after the first minute a second does not change it');
  await advance(board, 4000);
  assert.equal(time(), '1m 05s');
});

test('only the visible window of a long list is rendered, and PgDn/G reach the end', async () => {
  const store = createTaskStore();
  for (let i = 0; i < 300; i++) addTask(store, { vmid: 1000 + i, state: 'ok', exitStatus: 'OK', at: -i * 1000, endedAfter: 500 });
  const board = await mountBoard({ store });
  const shown = () => linesOf(board.frame()).filter((line) => /Start VM \d+/.test(line)).length;
  assert.equal(shown(), 18, '24 rows: header, view bar, heading, footer (2) and the rows-1 rule leave 18');
  assert.ok(board.renders.size <= 18, `rendered ${board.renders.size} rows`);
  await board.press(KEY.pageDown);
  assert.match(
    linesOf(board.frame()).find((line) => line.startsWith('> '))!,
    /VM 1018/,
  );
  await board.press('G');
  assert.match(
    linesOf(board.frame()).find((line) => line.startsWith('> '))!,
    /VM 1299/,
  );
  assert.ok(board.renders.size < 60, `rendered ${board.renders.size} distinct rows for 300`);
});

test('a one-row update re-renders only that row', async () => {
  const store = createTaskStore();
  const keys = Array.from({ length: 10 }, (_, i) => addTask(store, { vmid: 100 + i, at: -i * 1000 }));
  const board = await mountBoard({ store });
  const before = new Map(board.renders);
  store.getState().update((tx) => tx.patch(keys[3]!, { progress: { percent: 10 } }));
  await board.press();
  await new Promise((resolve) => setImmediate(resolve));
  const changed = [...board.renders].filter(([key, count]) => count !== before.get(key)).map(([key]) => key);
  assert.deepEqual(changed, [keys[3]]);
  assert.match(lineWith(board.frame(), 'Start VM 103')!, /10%/);
});

test('x on a queued row cancels the launch; on a running row it asks y/N before stopping', async () => {
  const store = createTaskStore();
  const actions = new FakeActions(store);
  const running = addTask(store, { vmid: 100, at: -5000 });
  const queued = addTask(store, { vmid: 101, state: 'queued' });
  const board = await mountBoard({ store, actions });
  assert.match(
    linesOf(board.frame()).find((line) => line.startsWith('> '))!,
    /VM 101/,
  );
  await board.press('x');
  assert.deepEqual(actions.callsOf('cancelLaunch'), [[queued]]);
  assert.equal(lineWith(board.frame(), '… Start VM 101'), undefined);
  assert.match(board.frame(), /cancelled the queued launch: Start VM 101/);

  await board.press('x');
  assert.match(board.frame(), /Stop this task on pve1\?/);
  assert.match(board.frame(), /\[y\/N\]/);
  await board.press(KEY.enter);
  assert.doesNotMatch(board.frame(), /Stop this task/, 'Enter takes the default: no');
  await board.press('x', 'n');
  assert.doesNotMatch(board.frame(), /Stop this task/);
  await board.press('x', KEY.esc);
  assert.doesNotMatch(board.frame(), /Stop this task/);
  assert.deepEqual(actions.callsOf('stopTask'), []);
  await board.press('x', 'y');
  assert.deepEqual(actions.callsOf('stopTask'), [[running]]);
});

test('x on an ended task says so and calls nothing', async () => {
  const store = createTaskStore();
  const actions = new FakeActions(store);
  addTask(store, { vmid: 100, state: 'ok', exitStatus: 'OK' });
  const board = await mountBoard({ store, actions });
  await board.press('x');
  assert.match(board.frame(), /is not running/);
  assert.deepEqual(actions.calls, []);
});

test('p pauses polling, r refreshes; the header shows PAUSED with a static spinner', async () => {
  const store = createTaskStore();
  const actions = new FakeActions(store);
  store.getState().update((tx) => {
    tx.setSession({ endpoint: 'https://pve1.example.com:8006', user: 'root@pam', demo: true, intervalMs: 2000, readOnly: false });
    tx.setPoll({ lastSuccessAt: T0 - 3000 });
  });
  const board = await mountBoard({ store, actions });
  const header = () => linesOf(board.frame())[0]!;
  assert.match(header(), /^. pve1\.example\.com:8006 · root@pam DEMO · live · poll 2s$/);
  const spin = header()[0];
  await advance(board, 1000);
  assert.equal(header()[0], spin, 'no poll cycle, no step');
  store.getState().update((tx) => tx.setPoll({ cycles: 1 }));
  await board.press();
  assert.notEqual(header()[0], spin, 'the spinner steps with each poll cycle');
  await board.press('p', 'r');
  assert.deepEqual(actions.callsOf('setPaused'), [[true]]);
  assert.equal(actions.callsOf('refreshNow').length, 1);
  store.getState().update((tx) => tx.setPoll({ paused: true }));
  await board.press();
  assert.match(header(), /PAUSED/);
  const still = header()[0];
  await advance(board, 3000);
  assert.equal(header()[0], still, 'static while paused');
  assert.match(header(), /updated 7s ago \(stale\)/);
  await board.press('p');
  assert.deepEqual(actions.callsOf('setPaused'), [[true], [false]]);
});

test('unreachable nodes and poll errors are shown in the header and on the row', async () => {
  const store = createTaskStore();
  const key = addTask(store, { vmid: 100, node: 'pve2' });
  store.getState().update((tx) => {
    tx.setNode('pve2', { online: false, error: { message: 'connect ECONNREFUSED', since: T0 - 40_000 } });
    tx.patch(key, { pollError: { message: 'connect ECONNREFUSED', since: T0 - 40_000 } });
  });
  const board = await mountBoard({ store });
  assert.match(linesOf(board.frame())[1]!, /! unreachable: pve2 since \d\d:\d\d:\d\d \(40s: connect ECONNREFUSED\)/);
  assert.match(lineWith(board.frame(), 'Start VM 100')!, /\? pve2 unreachable 40s$/);
  assert.equal(linesOf(board.frame()).length, 23);
});

test('q quits at once when nothing started here still runs; asks y/N while something does; Esc never quits', async () => {
  const idle = createTaskStore();
  addTask(idle, { vmid: 100, state: 'ok', exitStatus: 'OK' });
  const quiet = await mountBoard({ store: idle });
  await quiet.press(KEY.esc);
  assert.deepEqual(quiet.exits, []);
  await quiet.press('q');
  assert.deepEqual(quiet.exits, [{ reason: 'quit' }]);
  cleanup();

  const busy = createTaskStore();
  addTask(busy, { vmid: 100 });
  addTask(busy, { vmid: 101, state: 'queued' });
  const board = await mountBoard({ store: busy });
  await board.press('q');
  assert.match(board.frame(), /Quit\? Tasks started here: 1 running, 1 queued\./);
  assert.match(board.frame(), /keep running on the server/);
  await board.press(KEY.enter);
  assert.deepEqual(board.exits, [], 'Enter takes the default: no');
  await board.press('q', KEY.esc, KEY.esc);
  assert.deepEqual(board.exits, []);
  await board.press('q', 'y');
  assert.deepEqual(board.exits, [{ reason: 'quit' }]);
});

test('Ctrl-C quits at once from anywhere, even a dialog or the filter', async () => {
  const store = createTaskStore();
  addTask(store, { vmid: 100 });
  const board = await mountBoard({ store });
  await board.press('/', 'ab', KEY.ctrlC);
  assert.deepEqual(board.exits, [{ reason: 'interrupt' }]);
});

test('a running backup row shows its throughput and ETA (from the log), beside the bar or after it when the bar column is gone', async () => {
  const store = createTaskStore();
  const key = addTask(store, { vmid: 100, type: 'vzdump', description: 'Backup VM 100', guestName: 'db01' });
  store.getState().update((tx) => tx.patch(key, { progress: { percent: 42, bytesPerSecond: 120 * 1024 * 1024, etaSeconds: 200 } }));
  const board = await mountBoard({ store, size: { columns: 120, rows: 24 } });
  assert.match(lineWith(board.frame(), 'Backup VM 100')!, /\[[█░]+\] +42% 120\.0 MiB\/s, ETA 3m 20s$/);
  await board.resize(80, 24);
  assert.match(lineWith(board.frame(), 'Backup VM 100')!, / 42% 120\.0 MiB\/s, ETA 3m 20s$/, 'the percentage alone, then the speed');
  await board.press(KEY.enter);
  assert.match(lineWith(board.frame(), 'Progress')!, /42% .*120\.0 MiB\/s · ETA 3m 20s/);
});
