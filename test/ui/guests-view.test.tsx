import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore } from '../../src/tasks/store.js';
import { FakeActions, KEY, T0, addTask, cleanup, guest, lineWith, linesOf, mountBoard, setGuests, settle } from './helpers.js';

afterEach(() => cleanup());

function guestStore() {
  const store = createTaskStore();
  setGuests(store, [
    guest(100, { name: 'db01', node: 'pve1', status: 'running', hastate: 'started', tags: 'prod;db' }),
    guest(101, { name: 'web01', node: 'pve2', type: 'lxc' }),
    guest(102, { name: 'web02', node: 'pve2' }),
    guest(103, { name: 'tmpl-debian', node: 'pve3', template: true }),
    guest(104, { name: 'cache', node: 'pve3', status: 'running' }),
  ]);
  addTask(store, { vmid: 900, state: 'ok', exitStatus: 'OK' });
  const actions = new FakeActions(store);
  return { store, actions };
}

async function openGuests(options: { readOnly?: boolean } = {}) {
  const { store, actions } = guestStore();
  const board = await mountBoard({ store, actions, ...options });
  await board.press(KEY.tab);
  return { store, actions, board };
}

const cursorLine = (frame: string) => linesOf(frame).find((line) => line.startsWith('> '));

test('Tab shows the guests: vmid, name, node, type, status, lock and task, HA state, tags, template marker', async () => {
  const { board } = await openGuests();
  let frame = board.frame();
  assert.match(frame, /\[Guests\]/);
  assert.match(frame, /VMID +NAME +NODE +TYPE +STATUS +LOCK\/TASK +HA$/m, 'at 80 columns the tags go first');
  assert.match(lineWith(frame, 'db01')!, /^> +100 +db01 +pve1 +qemu +running +started$/);
  await board.resize(120, 24);
  frame = board.frame();
  assert.match(frame, /VMID +NAME +NODE +TYPE +STATUS +LOCK\/TASK +HA +TAGS/);
  assert.match(lineWith(frame, 'db01')!, /^> +100 +db01 +pve1 +qemu +running +started +prod db$/);
  assert.match(lineWith(frame, 'web01')!, /101 +web01 +pve2 +lxc +stopped/);
  assert.match(lineWith(frame, 'tmpl-debian')!, /qemu tpl/);
  assert.match(frame, /5 guests/);
  await board.press(KEY.tab);
  assert.match(board.frame(), /\[Tasks: mine\]/);
});

test('Space marks and moves on, * marks every visible guest, u clears the marks', async () => {
  const { board } = await openGuests();
  await board.press(' ', ' ');
  assert.match(lineWith(board.frame(), 'db01')!, /^ {2}\* 100/);
  assert.match(lineWith(board.frame(), 'web01')!, /^ {2}\* 101/);
  assert.match(cursorLine(board.frame())!, /102 +web02/);
  assert.match(board.frame(), /2 marked/);
  await board.press('k', ' ');
  assert.match(lineWith(board.frame(), 'web01')!, /^ {4}101/, 'Space again unmarks');
  await board.press('/', 'web', KEY.enter, '*', KEY.esc);
  assert.match(board.frame(), /3 marked/, 'db01 plus the two visible web guests');
  assert.match(lineWith(board.frame(), 'cache')!, /^ {4}104/, 'a guest hidden by the filter was not marked');
  await board.press('u');
  assert.doesNotMatch(board.frame(), /marked/);
});

test('mark three guests, s, confirm with Enter: one launch request, the tasks appear and end', async () => {
  const { store, actions, board } = await openGuests();
  // db01 stopped for this test: a running guest is skipped by default (tested below).
  setGuests(store, [
    { ...store.getState().guests[100]!, status: 'stopped' },
    ...[101, 102, 103, 104].map((vmid) => store.getState().guests[vmid]!),
  ]);
  await board.press(' ', ' ', ' ');
  await board.press('s');
  const dialog = board.frame();
  assert.match(dialog, /Start 3 guests on 2 nodes\?/);
  assert.match(dialog, /100 db01, 101 web01, 102 web02/);
  assert.match(dialog, /\[Y\/n\]/);
  assert.deepEqual(actions.callsOf('launch'), []);
  await board.press(KEY.enter);
  assert.deepEqual(actions.callsOf('launch'), [[{ action: 'start', vmids: [100, 101, 102] }]]);
  const frame = board.frame();
  assert.match(frame, /\[Tasks: mine\]/);
  assert.match(frame, /queued start of 3 guests/);
  assert.match(frame, /running 0 · queued 3/);
  for (const name of ['db01', 'web01', 'web02']) assert.match(lineWith(frame, name)!, /… Start VM \d+ .* queued$/);

  const [a, b, c] = actions.launchedKeys;
  store.getState().update((tx) => {
    tx.patch(a!, { state: 'running' });
    tx.finish(b!, 'ok', { exitStatus: 'OK', endedAt: T0 + 2000 });
    tx.finish(c!, 'failed', { exitStatus: "can't lock file '/var/lock/qemu-server/lock-102.conf' - got timeout", endedAt: T0 + 1000 });
  });
  await settle();
  assert.match(board.frame(), /running 1 · queued 0 · ok 2 · warnings 0 · failed 1/);
  store.getState().update((tx) => tx.finish(a!, 'ok', { exitStatus: 'OK', endedAt: T0 + 3000 }));
  await settle();
  assert.match(board.frame(), /running 0 · queued 0 · ok 3 · warnings 0 · failed 1/);
  assert.match(lineWith(board.frame(), 'web02')!, /✗ Start VM 102 web02 .* can't lock file/);
  await board.press(KEY.tab);
  assert.doesNotMatch(board.frame(), /marked/, 'marks are cleared once launched');
});

test('s without marks acts on the guest under the cursor; n, Esc and y/n answers behave', async () => {
  const { actions, board } = await openGuests();
  await board.press('j', 's');
  assert.match(board.frame(), /Start guest 101 \(web01\) on pve2\?/);
  await board.press('n');
  assert.doesNotMatch(board.frame(), /Start guest/);
  await board.press('s', KEY.esc);
  assert.doesNotMatch(board.frame(), /Start guest/);
  assert.deepEqual(actions.callsOf('launch'), []);
  assert.match(board.frame(), /\[Guests\]/, 'cancel leaves the view as it was');
  await board.press('s', 'y');
  assert.deepEqual(actions.callsOf('launch'), [[{ action: 'start', vmids: [101] }]]);
});

test('backup asks storage (loading first), mode and compression, then launches', async () => {
  const { actions, board } = await openGuests();
  actions.holdStorages = true;
  await board.press(' ', ' ', 'b');
  assert.match(board.frame(), /Back up 2 guests on 2 nodes\?/);
  assert.match(board.frame(), /Storage: +looking for storages/);
  assert.deepEqual(actions.callsOf('backupStorages'), [[[100, 101]]]);
  await board.press('y');
  assert.match(board.frame(), /still looking for backup storages/);
  assert.deepEqual(actions.callsOf('launch'), []);
  actions.releaseStorages();
  await settle();
  assert.match(board.frame(), /> Storage: +‹ local › +\(local, pbs-main\)/);
  assert.match(board.frame(), /Mode: +‹ snapshot ›/);
  assert.match(board.frame(), /Compression: +‹ zstd ›/);
  await board.press(KEY.right, KEY.tab, KEY.right, KEY.right, KEY.down, KEY.left);
  assert.match(board.frame(), /Storage: +‹ pbs-main ›/);
  assert.match(board.frame(), /Mode: +‹ stop ›/);
  assert.match(board.frame(), /> Compression: +‹ 0 ›/);
  await board.press('y');
  assert.deepEqual(actions.callsOf('launch'), [
    [{ action: 'backup', vmids: [100, 101], storage: 'pbs-main', mode: 'stop', compress: '0' }],
  ]);
});

test('backup: Enter takes the defaults; Esc cancels; a failed storage lookup refuses to launch', async () => {
  const { actions, board } = await openGuests();
  await board.press('b');
  await settle();
  await board.press(KEY.enter);
  assert.deepEqual(actions.callsOf('launch'), [[{ action: 'backup', vmids: [100], storage: 'local', mode: 'snapshot', compress: 'zstd' }]]);
  await board.press(KEY.tab, 'b', KEY.esc);
  assert.doesNotMatch(board.frame(), /Back up/);
  actions.storageError = new Error('pve2: 595 no route to host');
  await board.press('b');
  await settle();
  assert.match(board.frame(), /could not list storages: pve2: 595 no route to host/);
  await board.press('y');
  assert.match(board.frame(), /no backup storage to use/);
  assert.equal(actions.callsOf('launch').length, 1);
});

test('snapshot: default name from the clock, text fields take q, j, y and n, an invalid name is refused before any call', async () => {
  const { actions, board } = await openGuests();
  await board.press(' ', ' ', 'n');
  const d = new Date(T0);
  const pad = (n: number) => String(n).padStart(2, '0');
  const name = `pre-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}`;
  assert.match(board.frame(), /Snapshot 2 guests on 2 nodes\?/);
  assert.match(board.frame(), new RegExp(`> Name: +${name}_`));
  assert.match(board.frame(), /\[Y\/n\]/);

  await board.press('q', 'j', 'y', 'n');
  assert.match(board.frame(), new RegExp(`Name: +${name}qjyn_`), 'printable keys are text');
  assert.deepEqual(board.exits, []);
  for (let i = 0; i < name.length + 4; i++) await board.press(KEY.backspace);
  await board.press('1bad');
  await board.press(KEY.enter);
  assert.match(board.frame(), /! a snapshot name starts with a letter/);
  assert.deepEqual(
    actions.calls.filter((call) => call.method === 'launch'),
    [],
  );
  for (let i = 0; i < 4; i++) await board.press(KEY.backspace);
  await board.press('current', KEY.enter);
  assert.match(board.frame(), /'current' is reserved by PVE/);
  for (let i = 0; i < 7; i++) await board.press(KEY.backspace);
  await board.press('before-upgrade', KEY.tab, 'kernel 6.8, q and n');
  assert.match(board.frame(), /> Description: +kernel 6\.8, q and n_/);
  await board.press(KEY.enter);
  assert.deepEqual(actions.callsOf('launch'), [
    [{ action: 'snapshot', vmids: [100, 101], snapname: 'before-upgrade', description: 'kernel 6.8, q and n' }],
  ]);
});

test('snapshot: Esc cancels without a call', async () => {
  const { actions, board } = await openGuests();
  await board.press('n', 'abc', KEY.esc);
  assert.doesNotMatch(board.frame(), /Snapshot/);
  assert.deepEqual(actions.callsOf('launch'), []);
});

test('--read-only: s, b, n and x do nothing but say so; help and hints say actions are off', async () => {
  const { store, actions, board } = await openGuests({ readOnly: true });
  addTask(store, { vmid: 101, state: 'queued' });
  assert.match(linesOf(board.frame())[0]!, /READ-ONLY/);
  assert.doesNotMatch(linesOf(board.frame()).at(-1)!, /s start|b backup|n snapshot/);
  assert.match(linesOf(board.frame()).at(-1)!, /READ-ONLY/);
  for (const key of ['s', 'b', 'n']) {
    await board.press(' ', key);
    assert.doesNotMatch(board.frame(), /Start \d|Back up |Snapshot /, 'no dialog');
    assert.match(board.frame(), /read-only: \w+ is off/);
  }
  await board.press(KEY.tab, 'x');
  assert.match(board.frame(), /read-only: stop is off/);
  await board.press('?');
  assert.match(board.frame(), /read-only: actions are off/);
  assert.match(board.frame(), /stop the running task, or cancel a queued launch \(off\)/);
  assert.deepEqual(
    actions.methods().filter((m) => m !== 'focusTask'),
    [],
  );
});

test('a launch refused before it is queued says why, once, and leaves the view as it was', async () => {
  const { store, actions, board } = await openGuests();
  await board.press('j', 's');
  assert.match(board.frame(), /Start guest 101 \(web01\) on pve2\?/);
  // The guest list refreshes while the dialog is open: guest 101 is gone (deleted, or another cluster's).
  setGuests(
    store,
    [100, 102, 103, 104].map((vmid) => store.getState().guests[vmid]!),
  );
  await board.press('y');
  const frame = board.frame();
  assert.deepEqual(actions.callsOf('launch'), [[{ action: 'start', vmids: [101] }]]);
  assert.match(frame, /^! not launched: refused 101 \(does not exist in this cluster\)$/m);
  assert.doesNotMatch(frame, /queued start/);
  assert.equal(store.getState().tallies.mine.queued, 0, 'nothing was queued');
  assert.match(lineWith(frame, 'VM 101 - Start')!, /✗ .* does not exist/, 'the refused guest is listed with why');
});
