// No double launches (issue 15): the Guests view shows each guest's lock and the task in flight on it,
// and a launch dialog lists what it will skip or refuse, and why, before anything is sent.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore, type TaskStore } from '../../src/tasks/store.js';
import { FakeActions, KEY, addTask, cleanup, guest, lineWith, linesOf, mountBoard, rowOf, setGuests } from './helpers.js';

afterEach(() => cleanup());

function cluster(): TaskStore {
  const store = createTaskStore();
  setGuests(store, [
    guest(100, { name: 'db01', node: 'pve1', status: 'running' }),
    guest(101, { name: 'web01', node: 'pve2', lock: 'backup' }),
    guest(102, { name: 'web02', node: 'pve2' }),
    guest(103, { name: 'tmpl', node: 'pve3', template: true }),
    guest(104, { name: 'cache', node: 'pve3' }),
  ]);
  // Someone else's start of 104 is running; ours of 102 is still queued.
  addTask(store, { vmid: 104, node: 'pve3', state: 'running', mine: false, user: 'alice@pve' });
  return store;
}

test("the Guests view shows the lock (glyph and text) and the task in flight, ours or anyone's", async () => {
  const store = cluster();
  addTask(store, { vmid: 102, node: 'pve2', state: 'queued', description: 'Start VM 102' });
  const board = await mountBoard({ store });
  await board.press(KEY.tab);
  const frame = board.frame();
  assert.match(frame, /STATUS +LOCK\/TASK/);
  assert.match(lineWith(frame, 'web01')!, /stopped +🔒 backup/);
  assert.match(lineWith(frame, 'web02')!, /stopped +… Start VM 102/, 'our queued start is shown, not just "stopped"');
  assert.match(lineWith(frame, 'cache')!, /stopped +● Start VM 104/, "another user's running start too");
  assert.doesNotMatch(lineWith(frame, 'db01')!, /🔒|●/);
});

test('--ascii: the lock reads lock:NAME; without room for its column the status says locked', async () => {
  const board = await mountBoard({ store: cluster(), ascii: true });
  await board.press(KEY.tab);
  assert.match(lineWith(board.frame(), 'web01')!, /stopped +lock:backup/);
  assert.match(lineWith(board.frame(), 'cache')!, /\* Start VM 104/);
  await board.resize(45, 24);
  assert.doesNotMatch(board.frame(), /LOCK\/TASK/);
  assert.match(lineWith(board.frame(), 'web01')!, /pve2 +locked$/);
});

test('the start dialog lists the verdicts: how many go, each skipped guest with why; the rows say skipped', async () => {
  const store = cluster();
  const actions = new FakeActions(store);
  const board = await mountBoard({ store, actions });
  await board.press(KEY.tab, '*', 's');
  const frame = board.frame();
  assert.match(frame, /Start 5 guests on 3 nodes\?/);
  assert.match(frame, /│ 1 go, 4 skipped +│/);
  assert.match(frame, /- 100 db01: already running/);
  assert.match(frame, /- 101 web01: locked \(backup\)/);
  assert.match(frame, /- 103 tmpl: template/);
  assert.match(frame, /- 104 cache: task in flight: Start VM 104/);
  assert.match(frame, /\[ \] send to the 4 skipped guests too \(--no-skip\)/);
  assert.match(frame, /\[Y\/n\] +y\/Enter: yes +n\/Esc: no +Space: toggle/);
  await board.press('y');
  assert.deepEqual(actions.callsOf('launch'), [[{ action: 'start', vmids: [100, 101, 102, 103, 104] }]], 'without --no-skip');
  const after = board.frame();
  assert.match(after, /queued start of 1 guest; skipped 100 \(already running\)/);
  assert.match(lineWith(after, 'cache')!, /^ {2}- VM 104 - Start cache .* skipped \(task in flight: S/);
  assert.equal(store.getState().tallies.mine.skipped, 4);
  assert.equal(store.getState().tallies.mine.queued, 1);
});

test('a second launch of a guest whose start is in flight is skipped, with why', async () => {
  const store = cluster();
  const actions = new FakeActions(store);
  const board = await mountBoard({ store, actions });
  await board.press(KEY.tab, 'j', 'j', 's', 'y');
  assert.equal(store.getState().tallies.mine.queued, 1, 'the first start of web02 is queued');
  await board.press(KEY.tab);
  assert.match(lineWith(board.frame(), 'web02')!, /… Start VM 102/);
  await board.press('s');
  assert.match(board.frame(), /0 go, 1 skipped/);
  assert.match(board.frame(), /- 102 web02: task in flight: Start VM 102/);
  await board.press(KEY.enter);
  assert.equal(store.getState().tallies.mine.queued, 1, 'not queued twice');
  assert.match(board.frame(), /! not launched: skipped 102 \(task in flight: Start VM 102\)/);
  const skipped = store
    .getState()
    .order.mine.map((key) => rowOf(store, key))
    .find((row) => row.state === 'skipped')!;
  assert.equal(skipped.message, 'task in flight: Start VM 102');
});

test("Space sends to the skipped guests too (the board's --no-skip); --no-skip starts with it on", async () => {
  const store = cluster();
  const actions = new FakeActions(store);
  const board = await mountBoard({ store, actions });
  await board.press(KEY.tab, '*', 's', ' ');
  assert.match(board.frame(), /5 go, 4 that would be skipped sent anyway/);
  assert.match(board.frame(), /- 100 db01: sent anyway \(already running\)/);
  assert.match(board.frame(), /\[x\] send to the 4 skipped guests too/);
  await board.press('y');
  assert.deepEqual(actions.callsOf('launch'), [[{ action: 'start', vmids: [100, 101, 102, 103, 104] }, { noSkip: true }]]);

  const again = cluster();
  const noSkip = await mountBoard({ store: again, actions: new FakeActions(again), noSkip: true });
  await noSkip.press(KEY.tab, '*', 's');
  assert.match(noSkip.frame(), /\[x\] send to the 4 skipped guests too/);
});

test('a refused guest is listed first, named with the privilege; the snapshot and backup forms list verdicts too', async () => {
  const store = cluster();
  store.getState().update((tx) =>
    tx.setAccess({
      permissions: { '/vms': { 'VM.PowerMgmt': 1, 'VM.Snapshot': 1, 'VM.Backup': 1 }, '/vms/102': {} },
      clusterTasks: true,
    }),
  );
  const actions = new FakeActions(store);
  const board = await mountBoard({ store, actions });
  await board.press(KEY.tab, '*', 'n');
  const snapshot = board.frame();
  assert.match(snapshot, /Snapshot 5 guests/);
  // A snapshot of a running guest is fine; locked, template and busy guests are skipped.
  assert.match(snapshot, /1 go, 3 skipped, 1 refused/);
  const lines = linesOf(snapshot);
  const refused = lines.findIndex((line) => line.includes('- 102 web02: refused: needs VM.Snapshot on /vms/102'));
  const skipped = lines.findIndex((line) => line.includes('- 101 web01: locked (backup)'));
  assert.ok(refused > 0 && refused < skipped, 'refusals first');
  // The toggle is a field of the form: Tab reaches it, Space flips it; in the name field Space is text.
  await board.press(KEY.tab, KEY.tab, ' ');
  assert.match(board.frame(), /> \[x\] send to the 3 skipped guests too/);
  await board.press(KEY.esc, 'b');
  assert.match(board.frame(), /Back up 5 guests/);
  assert.match(board.frame(), /\d go/, 'verdicts once a storage is chosen');
});

test('many guests skipped: the list is windowed and the rest summed up by reason; the frame keeps rows - 1', async () => {
  const store = createTaskStore();
  setGuests(
    store,
    Array.from({ length: 40 }, (_, i) => guest(100 + i, { name: `vm${i}`, status: i < 30 ? 'running' : 'stopped', template: i >= 38 })),
  );
  const board = await mountBoard({ store });
  await board.press(KEY.tab, '*', 's');
  const frame = board.frame();
  assert.match(frame, /8 go, 32 skipped/);
  assert.match(frame, /\+\d+ more: \d+ already running, 2 template/);
  assert.ok(linesOf(frame).length <= 23);
  assert.match(linesOf(frame)[0]!, /pvetasks/, 'the header is still on top');
  for (const [columns, rows] of [
    [60, 20],
    [40, 14],
  ] as const) {
    await board.resize(columns, rows);
    const small = board.frame();
    assert.ok(linesOf(small).length <= rows - 1, `${columns}x${rows}`);
    assert.ok(
      linesOf(small).every((line) => [...line].length <= columns),
      small,
    );
    assert.match(small, /\[Y\/n\]/, `${columns}x${rows}: the answer keys still show`);
  }
});
