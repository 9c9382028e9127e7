import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTaskStore, type TaskRow } from '../../src/tasks/store.js';
import { describeTargets, outcomeText, progressText, elapsedText } from '../../src/ui/format.js';
import { bindingOf, commandFor, KEYMAP, keymapMarkdown } from '../../src/ui/keymap.js';
import { frameLayout, guestColumns, taskColumns, windowTop } from '../../src/ui/layout.js';
import { defaultSnapshotName, snapshotNameError } from '../../src/tasks/snapshot-name.js';
import { colorEnabled, createTheme, shouldUseAscii } from '../../src/ui/theme.js';
import { rowTime } from '../../src/ui/ticker.js';
import { addTask, T0 } from './helpers.js';

const noKey = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

test('snapshot names follow PVE: letter first, letters/digits/-/_, 2 to 40, not reserved', () => {
  for (const ok of ['pre-20261127-0800', 'ab', 'Before_Upgrade', 'x1', 'a'.repeat(40)]) assert.equal(snapshotNameError(ok), undefined, ok);
  for (const bad of [
    '',
    'a',
    '1abc',
    '-abc',
    'has space',
    'dot.name',
    'a'.repeat(41),
    'current',
    'vzdump',
    'pending',
    'Current',
    'ümlaut',
  ]) {
    assert.ok(snapshotNameError(bad), `'${bad}' should be refused`);
  }
});

test('the default snapshot name is pre-YYYYMMDD-HHMM in local time', () => {
  const d = new Date(T0);
  const pad = (n: number) => String(n).padStart(2, '0');
  const expected = `pre-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}`;
  assert.equal(defaultSnapshotName(T0), expected);
  assert.equal(snapshotNameError(expected), undefined);
});

test('ASCII is chosen when the locale is not UTF-8; LC_ALL wins over LC_CTYPE over LANG', () => {
  assert.equal(shouldUseAscii({ LANG: 'en_US.UTF-8' }), false);
  assert.equal(shouldUseAscii({ LANG: 'de_DE.utf8' }), false);
  assert.equal(shouldUseAscii({ LANG: 'C' }), true);
  assert.equal(shouldUseAscii({}), true);
  assert.equal(shouldUseAscii({ LANG: 'en_US.UTF-8', LC_ALL: 'POSIX' }), true);
  assert.equal(shouldUseAscii({ LANG: 'C', LC_CTYPE: 'C.UTF-8' }), false);
});

test('colour is off with NO_COLOR, --no-color, FORCE_COLOR=0 or without a TTY', () => {
  assert.equal(colorEnabled({ env: {}, isTTY: true }), true);
  assert.equal(colorEnabled({ env: { NO_COLOR: '1' }, isTTY: true }), false);
  assert.equal(colorEnabled({ env: { NO_COLOR: '' }, isTTY: true }), true, 'an empty NO_COLOR does not count');
  assert.equal(colorEnabled({ env: {}, flag: false, isTTY: true }), false);
  assert.equal(colorEnabled({ env: { FORCE_COLOR: '0' }, isTTY: true }), false);
  assert.equal(colorEnabled({ env: {}, isTTY: false }), false);
});

test('outcome text: OK, warnings, the error, timed out, the late outcome, queued, unreachable node', () => {
  const store = createTaskStore();
  const row = (spec: Parameters<typeof addTask>[1]) => {
    const key = addTask(store, spec);
    return store.getState().row(key) as TaskRow;
  };
  const now = T0 + 60_000;
  assert.equal(outcomeText(row({ vmid: 100, state: 'ok', exitStatus: 'OK' }), now), 'OK');
  assert.equal(outcomeText(row({ vmid: 101, state: 'warnings', exitStatus: 'WARNINGS: 1' }), now), 'WARNINGS: 1');
  assert.equal(outcomeText(row({ vmid: 102, state: 'failed', exitStatus: 'VM 102 already running' }), now), 'VM 102 already running');
  assert.equal(outcomeText(row({ vmid: 103, state: 'timeout' }), now), 'timed out');
  assert.equal(outcomeText(row({ vmid: 104, state: 'queued' }), now), 'queued');
  const late = addTask(store, { vmid: 105, state: 'timeout' });
  store.getState().update((tx) => tx.finish(late, 'ok', { exitStatus: 'OK' }));
  assert.equal(outcomeText(store.getState().row(late)!, now), 'timed out, then OK');
  const cut = addTask(store, { vmid: 106, node: 'pve2' });
  store.getState().update((tx) => tx.patch(cut, { pollError: { message: 'ECONNREFUSED', since: T0 + 20_000 } }));
  assert.equal(outcomeText(store.getState().row(cut)!, now), '? pve2 unreachable 40s');
  assert.equal(elapsedText(store.getState().row(cut)!, now), '1m 00s');
});

test('progress bar with percent, ASCII twin, nothing when unknown', () => {
  assert.equal(progressText(50, 16, createTheme({ color: false, ascii: true })), '[#####----]  50%');
  assert.equal(progressText(100, 16, createTheme({ color: false, ascii: false })), '[█████████] 100%');
  assert.equal(progressText(undefined, 16, createTheme({ color: false, ascii: true })), '');
});

test('a running row ticks every second in its first minute, every 5 s after; an ended row never', () => {
  const store = createTaskStore();
  const key = addTask(store, { vmid: 100 });
  const row = store.getState().row(key)!;
  assert.notEqual(rowTime(row, T0 + 1000), rowTime(row, T0 + 2000));
  assert.equal(rowTime(row, T0 + 61_000), rowTime(row, T0 + 64_000));
  assert.notEqual(rowTime(row, T0 + 64_000), rowTime(row, T0 + 66_000));
  const endedKey = addTask(store, { vmid: 101, state: 'ok', endedAfter: 5000 });
  const ended = store.getState().row(endedKey)!;
  assert.equal(rowTime(ended, T0 + 1000), rowTime(ended, T0 + 9000));
});

test('columns drop by priority as the terminal narrows; too narrow gives no layout', () => {
  const ids = (width: number) => taskColumns(width)?.map((c) => c.id);
  assert.deepEqual(ids(200), ['glyph', 'title', 'node', 'user', 'start', 'elapsed', 'progress', 'outcome']);
  assert.deepEqual(ids(100), ['glyph', 'title', 'node', 'start', 'elapsed', 'progress', 'outcome']);
  assert.deepEqual(ids(80), ['glyph', 'title', 'node', 'elapsed', 'outcome']);
  assert.deepEqual(ids(60), ['glyph', 'title', 'elapsed', 'outcome']);
  assert.deepEqual(ids(40), ['glyph', 'title', 'outcome']);
  assert.equal(ids(30), undefined);
  for (const width of [40, 57, 80, 119, 200]) {
    const total = 2 + taskColumns(width)!.reduce((sum, c) => sum + c.width + 1, -1);
    assert.equal(total, width, `task columns fill ${width}`);
  }
  assert.deepEqual(
    guestColumns(80)?.map((c) => c.id),
    ['mark', 'vmid', 'name', 'node', 'type', 'status', 'task', 'ha'],
  );
  assert.deepEqual(
    guestColumns(120)?.map((c) => c.id),
    ['mark', 'vmid', 'name', 'node', 'type', 'status', 'task', 'ha', 'tags'],
  );
  assert.deepEqual(
    guestColumns(60)?.map((c) => c.id),
    ['mark', 'vmid', 'name', 'node', 'status', 'task'],
    'the lock and the task in flight stay longer than the type and HA columns',
  );
  assert.deepEqual(
    guestColumns(45)?.map((c) => c.id),
    ['mark', 'vmid', 'name', 'node', 'status'],
  );
});

test('frame layout keeps the frame at rows - 1 and says when the terminal is too small', () => {
  assert.deepEqual(frameLayout({ columns: 80, rows: 24 }, 1), { tooSmall: false, height: 23, headerLines: 1, body: 19 });
  assert.equal(frameLayout({ columns: 200, rows: 60 }, 2).body, 54);
  assert.equal(frameLayout({ columns: 39, rows: 24 }, 1).tooSmall, true);
  assert.equal(frameLayout({ columns: 80, rows: 13 }, 1).tooSmall, true);
});

test('the window follows the cursor and moves as little as possible', () => {
  assert.equal(windowTop(100, 0, 10, 0), 0);
  assert.equal(windowTop(100, 15, 10, 0), 6);
  assert.equal(windowTop(100, 8, 10, 6), 6);
  assert.equal(windowTop(100, 3, 10, 6), 3);
  assert.equal(windowTop(100, 99, 10, 0), 90);
  assert.equal(windowTop(5, 4, 10, 3), 0);
});

test('the keymap has the keys of DESIGN.md and dispatches by context', () => {
  const expected: Record<string, string[]> = {
    up: ['↑', 'k'],
    down: ['↓', 'j'],
    pageUp: ['PgUp'],
    pageDown: ['PgDn'],
    top: ['g', 'Home'],
    bottom: ['G', 'End'],
    switchView: ['Tab'],
    open: ['Enter'],
    back: ['Esc'],
    filter: ['/'],
    mark: ['Space'],
    markAll: ['*'],
    clearMarks: ['u'],
    start: ['s'],
    backup: ['b'],
    snapshot: ['n'],
    stop: ['x'],
    follow: ['f'],
    scope: ['c'],
    pause: ['p'],
    refresh: ['r'],
    help: ['?'],
    quit: ['q'],
    confirm: ['y'],
    cancel: ['n', 'Esc'],
    accept: ['Enter'],
  };
  const markdown = keymapMarkdown();
  for (const [command, keys] of Object.entries(expected)) {
    const binding = KEYMAP.find((b) => b.command === command);
    assert.ok(binding, command);
    for (const key of keys) assert.ok(markdown.includes(`\`${key}\``), `${key} in the README table`);
  }
  assert.equal(
    markdown.split('\n').filter((line) => line.startsWith('| ')).length,
    KEYMAP.length + 2,
    'a heading, a rule and one line per binding',
  );
  assert.equal(commandFor('tasks', 'q', noKey)?.command, 'quit');
  assert.equal(commandFor('help', 'q', noKey)?.command, 'closeHelp');
  assert.equal(commandFor('guests', 'n', noKey)?.command, 'snapshot');
  assert.equal(commandFor('dialog', 'n', noKey)?.command, 'cancel');
  assert.equal(commandFor('tasks', '', { ...noKey, escape: true, meta: true })?.command, 'back');
  assert.equal(commandFor('tasks', 'c', { ...noKey, ctrl: true })?.command, 'interrupt');
  assert.equal(commandFor('tasks', 's', noKey), undefined, 's only applies in the Guests view');
  assert.ok(['start', 'backup', 'snapshot', 'stop'].every((c) => bindingOf(c as 'start').action));
});

test("a dialog's targets: the guest or the count, the nodes, and the clusters when the board watches several", () => {
  const guest = (vmid: number, node: string, name?: string) => ({
    vmid,
    node,
    type: 'qemu' as const,
    status: 'stopped',
    template: false,
    ...(name ? { name } : {}),
  });
  assert.equal(describeTargets([guest(101, 'pve1', 'web01')]), 'guest 101 (web01) on pve1');
  assert.equal(describeTargets([guest(101, 'pve1', 'web01')], ['bravo']), 'guest 101 (web01) on pve1 in bravo');
  assert.equal(
    describeTargets([guest(101, 'pve1'), guest(102, 'pve2'), guest(103, 'pve1')], ['alpha', 'bravo']),
    '3 guests on 2 nodes in alpha and bravo',
  );
  assert.equal(describeTargets([guest(101, 'pve1'), guest(102, 'pve1')], ['a', 'b', 'c']), '2 guests on 1 node in 3 clusters');
});
