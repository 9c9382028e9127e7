import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore, type TaskStore } from '../../src/tasks/store.js';
import { KEY, T0, addTask, cleanup, guest, linesOf, mountBoard, setGuests, settle, type Mounted } from './helpers.js';

afterEach(() => cleanup());

function busyStore(): TaskStore {
  const store = createTaskStore();
  const guests = Array.from({ length: 120 }, (_, i) =>
    guest(100 + i, {
      name: `guest-with-a-long-name-${i}`,
      tags: 'prod;db;critical',
      hastate: i % 3 ? undefined : 'started',
      ...(i % 11 === 0 ? { lock: 'backup' } : {}),
    }),
  );
  setGuests(store, guests);
  for (let i = 0; i < 150; i++) {
    const state = i % 5 === 0 ? 'running' : i % 7 === 0 ? 'failed' : 'ok';
    addTask(store, {
      vmid: 100 + (i % 120),
      node: `pve${(i % 3) + 1}`,
      at: -i * 7000,
      state,
      exitStatus: state === 'failed' ? `command 'qm start ${100 + i}' failed: a very long error message from PVE that goes on` : 'OK',
      endedAfter: state === 'running' ? undefined : 3000,
      guestName: `guest-with-a-long-name-${i}`,
      percent: state === 'running' ? i % 100 : undefined,
      mine: i % 2 === 0,
    });
  }
  // Launches waiting in the queue (for the queue's word in the view bar and X's question).
  for (let i = 0; i < 3; i++) {
    store.getState().update((tx) =>
      tx.add({
        mine: true,
        // Older than every running task: the first row (whose log is loaded) stays a running one.
        firstSeenAt: T0 - 10_000_000 - i,
        node: 'pve1',
        type: 'qmstart',
        vmids: [200 + i],
        description: `Start VM ${200 + i}`,
        launch: { action: 'start', node: 'pve1', guests: [{ vmid: 200 + i, type: 'qemu' }], params: {} },
      }),
    );
  }
  const key = store.getState().order.mine[0]!;
  store.getState().update((tx) => {
    tx.setSession({
      endpoint: 'https://pve-a-very-long-hostname.datacenter.example.com:8006',
      user: 'automation@pve!pvetasks',
      demo: true,
      intervalMs: 2000,
      readOnly: false,
    });
    tx.setPoll({ paused: true, lastSuccessAt: T0 - 1000 });
    tx.setNode('pve2', { online: false, error: { message: 'connect ETIMEDOUT 10.0.0.2:8006', since: T0 - 90_000 } });
    tx.setFocusLog({ key, lines: Array.from({ length: 500 }, (_, i) => `INFO: ${'x'.repeat(i % 250)} ${i}`), read: 500 });
    tx.setMessage({ text: 'a notice from the domain that is rather long '.repeat(4), level: 'error', at: T0 });
  });
  return store;
}

/** Every screen an operator can reach: list views, detail, help, each dialog, the filter field. */
const SCREENS: Array<[string, string[], RegExp]> = [
  ['tasks', [], /\[Tasks: mine\]/],
  ['tasks, cluster scope, at the end', ['c', 'G'], /\[Tasks: cluster\]/],
  ['detail', [KEY.enter], /\[Task detail\]/],
  ['detail, wrapped', [KEY.enter, 'w'], /wrapped/],
  ['detail, scrolled sideways', [KEY.enter, KEY.right, KEY.right], /cols 33\+/],
  ['detail, stop dialog', [KEY.enter, 'x'], /Stop this task/],
  ['help', ['?'], /Keys: Tasks view/],
  ['filter', ['/', 'pve'], /filter "pve"/],
  ['quit dialog', ['q'], /Quit\?/],
  ['guests', [KEY.tab], /\[Guests\]/],
  ['start dialog', [KEY.tab, '*', 's'], /Start 120 guests on 3 nodes/],
  ['backup dialog', [KEY.tab, ' ', 'b'], /Back up guest 100/],
  ['snapshot dialog', [KEY.tab, ' ', 'n', '1'], /Snapshot guest 100/],
  ['start dialog, skipped guests sent too', [KEY.tab, '*', 's', ' '], /\[x\] send to the/],
  ['sorted, problems only', ['>', '!'], /problems only: \d+ of \d+/],
  ['cancel the queue', ['X'], /Cancel 3 queued launches/],
  ['launch limits', ['L'], /Launch limits/],
  ['watch a UPID', ['a', 'UPID:pve1:'], /Watch a task started elsewhere/],
];

async function eachScreen(board: Mounted, check: (name: string) => void) {
  for (const [name, keys, shows] of SCREENS) {
    await board.press(...keys);
    assert.match(board.frame(), shows, name);
    check(name);
    await board.press(KEY.esc);
    if (board.frame().includes('Back up')) await board.press(KEY.esc);
    // Back to the Tasks view, no dialog, no filter, the start order.
    await board.press(KEY.esc, KEY.esc, KEY.esc);
    while (/\[Tasks: .*sort: /.test(board.frame())) await board.press('>');
    if (board.frame().includes('[Guests]')) await board.press('u', 'g', KEY.tab);
    if (board.frame().includes('[Tasks: cluster]')) await board.press('c');
    await board.press('g');
  }
}

for (const [columns, rows] of [
  [80, 24],
  [200, 60],
] as const) {
  test(`at ${columns}x${rows} no frame is taller than rows - 1 or wider than the terminal, in every view`, async () => {
    const board = await mountBoard({ store: busyStore(), size: { columns, rows } });
    const first = board.frames.length;
    await eachScreen(board, (name) => {
      const lines = linesOf(board.frame());
      assert.ok(lines.length <= rows - 1, `${name}: ${lines.length} lines`);
      for (const line of lines) assert.ok([...line].length <= columns, `${name}: line of ${[...line].length}: ${line}`);
    });
    for (const frame of board.frames.slice(first)) assert.ok(linesOf(frame).length <= rows - 1);
    assert.deepEqual(board.exits, []);
  });
}

test('resize: the layout follows the terminal size, columns drop as it narrows, a notice when too small', async () => {
  const board = await mountBoard({ store: busyStore(), size: { columns: 200, rows: 60 } });
  const heading = () => linesOf(board.frame()).find((line) => line.includes('TASK'))!;
  assert.match(heading(), /TASK +NODE +USER +STARTED +TIME +PROGRESS +OUTCOME/);
  assert.equal(linesOf(board.frame()).length, 59);
  await board.resize(100, 30);
  assert.match(heading(), /TASK +NODE +STARTED +TIME +PROGRESS +OUTCOME/);
  assert.doesNotMatch(heading(), /USER/);
  assert.equal(linesOf(board.frame()).length, 29);
  await board.resize(80, 24);
  assert.doesNotMatch(heading(), /PROGRESS|STARTED/);
  assert.equal(linesOf(board.frame()).length, 23);
  await board.resize(30, 10);
  assert.match(board.frame(), /Terminal too small: 30x10/);
  assert.ok(linesOf(board.frame()).length <= 9);
  await board.resize(120, 40);
  assert.match(heading(), /USER/);
  assert.equal(linesOf(board.frame()).length, 39);
});

test('without rows on stdout the board assumes 24 (ink-testing-library has none)', async () => {
  const board = await mountBoard({ store: busyStore(), size: { columns: 100, rows: 0 } });
  assert.equal(linesOf(board.frame()).length, 23);
});

test('ASCII mode: not one character outside ASCII on any screen', async () => {
  const board = await mountBoard({ store: busyStore(), ascii: true });
  await eachScreen(board, (name) => {
    const odd = [...board.frame()].filter((char) => char.charCodeAt(0) > 0x7e);
    assert.deepEqual(odd, [], `${name}: ${odd.join('')}`);
  });
  await board.press('c');
  const running = linesOf(board.frame()).find((line) => / \* Start VM/.test(line));
  assert.ok(running, 'the running glyph has an ASCII twin');
  await board.press('G');
  assert.match(board.frame(), /\+ Start VM/);
  assert.match(board.frame(), /x Start VM/);
  assert.match(board.frame(), / \| /, 'separators are ASCII');
});

test('no-colour mode writes no escape codes on any screen', async () => {
  const board = await mountBoard({ store: busyStore(), color: false });
  await eachScreen(board, (name) => assert.doesNotMatch(board.frame(), /\u001b\[/, name));
});

test('without Sys.Audit on / the header says the cluster scope holds the own tasks only', async () => {
  const store = createTaskStore();
  store.getState().update((tx) => {
    tx.setSession({ endpoint: 'https://pve1:8006', user: 'ops@pve!ops', cluster: 'prod', demo: false, intervalMs: 2000, readOnly: false });
    tx.setAccess({ permissions: { '/vms': { 'VM.PowerMgmt': 1 } }, clusterTasks: false });
  });
  const board = await mountBoard({ store, size: { columns: 120, rows: 24 } });
  assert.match(board.frame().split('\n')[0]!, /own tasks: no Sys\.Audit on \//);
  store.getState().update((tx) => tx.setAccess({ permissions: { '/': { 'Sys.Audit': 1 } }, clusterTasks: true }));
  await settle();
  assert.doesNotMatch(board.frame(), /own tasks/);
});
