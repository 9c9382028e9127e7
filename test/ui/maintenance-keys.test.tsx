// The maintenance keys of the Guests view, on the board with fake actions: S, K (its confirm defaults
// to No and says it is a hard power-off), R, m (a target node, local disks, PVE's check shown before
// anything is sent) and D (the plan of the node under the cursor, started only with y).
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore } from '../../src/tasks/store.js';
import { FakeActions, KEY, cleanup, guest, lineWith, linesOf, mountBoard, setGuests, settle } from './helpers.js';

afterEach(() => cleanup());

async function openGuests(options: { readOnly?: boolean } = {}) {
  const store = createTaskStore();
  setGuests(store, [
    guest(100, { name: 'db01', node: 'pve1', status: 'running', hastate: 'started' }),
    guest(101, { name: 'web01', node: 'pve1', type: 'lxc', status: 'running' }),
    guest(102, { name: 'web02', node: 'pve1', status: 'stopped' }),
    guest(103, { name: 'tmpl-debian', node: 'pve1', template: true }),
    guest(104, { name: 'cache', node: 'pve2', status: 'running' }),
  ]);
  const actions = new FakeActions(store);
  const board = await mountBoard({ store, actions, ...options });
  await board.press(KEY.tab);
  return { store, actions, board };
}

test('S, R: confirm (default yes) and launch the marked guests; the keys are in the help', async () => {
  const { actions, board } = await openGuests();
  await board.press(' ', ' ', 'S');
  assert.match(board.frame(), /Shut down 2 guests on 1 node\?/);
  assert.match(board.frame(), /\[Y\/n\]/);
  await board.press(KEY.enter);
  assert.deepEqual(actions.callsOf('launch'), [[{ action: 'shutdown', vmids: [100, 101] }]]);
  assert.match(board.frame(), /\[Tasks: mine\]/);
  await board.press(KEY.tab, 'g', 'R', 'y');
  assert.deepEqual(actions.callsOf('launch')[1], [{ action: 'reboot', vmids: [100] }]);
  await board.press(KEY.tab, '?');
  let help = board.frame();
  await board.press(KEY.pageDown);
  help += board.frame();
  for (const text of [
    'S +shut the marked guests down',
    'K +stop the marked guests hard',
    'R +reboot the marked guests',
    'm +migrate the marked',
    'D +drain the node',
  ])
    assert.match(help, new RegExp(text));
});

test('K: the hard stop says it is like pulling the plug and defaults to No: Enter sends nothing, y sends', async () => {
  const { actions, board } = await openGuests();
  await board.press('K');
  const dialog = board.frame();
  assert.match(dialog, /Stop guest 100 \(db01\) on pve1: hard power-off, like pulling the plug\?/);
  assert.match(dialog, /\[y\/N\]/);
  await board.press(KEY.enter);
  assert.deepEqual(actions.callsOf('launch'), [], 'Enter is no');
  assert.doesNotMatch(board.frame(), /pulling the plug/);
  await board.press('K', 'y');
  assert.deepEqual(actions.callsOf('launch'), [[{ action: 'stop', vmids: [100] }]]);
});

test("m: a target among the online nodes, then PVE's check in the dialog, then Enter migrates with those verdicts", async () => {
  const { actions, board } = await openGuests();
  actions.drainNodes = [
    { node: 'pve1', online: true },
    { node: 'pve2', online: true },
    { node: 'pve3', online: false },
  ];
  await board.press(' ', ' ', ' ', 'm');
  await settle();
  let frame = board.frame();
  assert.match(frame, /Migrate 3 guests on 1 node\?/);
  assert.match(lineWith(frame, 'Target:')!, /‹ pve2 › +\(pve1, pve2\)/, 'online nodes only, the first the guests are not on');
  assert.match(frame, /Enter: PVE's migration check first, nothing is sent yet/);
  await board.press(KEY.down, ' ');
  assert.match(lineWith(board.frame(), 'Local disks:')!, /mirror to the target/);
  await board.press(KEY.enter);
  await settle();
  frame = board.frame();
  assert.deepEqual(actions.callsOf('launch'), [], 'the first Enter only checks');
  assert.equal(actions.callsOf('checkMigration').length, 1);
  assert.match(
    lineWith(frame, 'to migrate')!,
    /│ {3}3 to migrate; CT 101 restarts: containers move by restart/,
    "the check's verdicts, in the dialog",
  );
  assert.match(frame, /y\/Enter: migrate/, 'the next Enter migrates');
  await board.press(KEY.enter);
  const [[request, options]] = actions.callsOf('launch') as [
    [{ action: string; targets: Record<number, string> }, { verdicts: unknown[] }],
  ];
  assert.equal(request.action, 'migrate');
  assert.deepEqual(request.targets, { 100: 'pve2', 101: 'pve2', 102: 'pve2' });
  assert.equal((request as { withLocalDisks?: boolean }).withLocalDisks, true);
  assert.equal(options.verdicts.length, 3);
  assert.match(board.frame(), /\[Tasks: mine\]/);
});

test('m: changing the target after the check asks again; Esc cancels without sending', async () => {
  const { actions, board } = await openGuests();
  actions.drainNodes = [
    { node: 'pve1', online: true },
    { node: 'pve2', online: true },
    { node: 'pve3', online: true },
  ];
  await board.press('m');
  await settle();
  await board.press(KEY.enter);
  await settle();
  assert.match(board.frame(), /1 to migrate/);
  await board.press(KEY.right);
  assert.match(lineWith(board.frame(), 'Target:')!, /‹ pve3 ›/);
  assert.match(board.frame(), /PVE's migration check first/, 'the check is asked again for the new target');
  await board.press(KEY.esc);
  assert.deepEqual(actions.callsOf('launch'), []);
});

test('D: the plan of the node under the cursor, the guests that stay first; Enter is no, y drains', async () => {
  const { actions, board } = await openGuests();
  await board.press('D');
  await settle();
  const frame = board.frame();
  assert.match(frame, /Drain pve1: migrate every guest off it\?/);
  assert.match(frame, /\[y\/N\]/);
  const lines = linesOf(frame);
  const stays = lines.findIndex((line) => /VM 103 \(tmpl-debian\).* stays: template/.test(line));
  const goes = lines.findIndex((line) => /VM 100 \(db01\) \[running, HA\] -> pve2/.test(line));
  assert.ok(stays > 0 && goes > stays, 'the template that stays is listed before the guests that go');
  assert.deepEqual(actions.callsOf('planDrain'), [[{ node: 'pve1' }]]);
  await board.press(KEY.enter);
  assert.deepEqual(actions.callsOf('launch'), [], 'Enter is no');
  await board.press('D');
  await settle();
  await board.press(' ');
  await settle();
  assert.deepEqual(actions.callsOf('planDrain')[2], [{ node: 'pve1', withLocalDisks: true }], 'toggling local disks plans again');
  await board.press('y');
  const [[request]] = actions.callsOf('launch') as [[{ action: string; vmids: number[] }]];
  assert.equal(request.action, 'migrate');
  assert.deepEqual([...request.vmids].sort(), [100, 101, 102, 103]);
});

test('--read-only: the maintenance keys are off', async () => {
  const { actions, board } = await openGuests({ readOnly: true });
  for (const key of ['S', 'K', 'R', 'm', 'D']) {
    await board.press(key);
    assert.doesNotMatch(board.frame(), /\[Y\/n\]|\[y\/N\]/, key);
  }
  assert.match(board.frame(), /read-only: drain is off/);
  assert.deepEqual(actions.callsOf('launch'), []);
});
