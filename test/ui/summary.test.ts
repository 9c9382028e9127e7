// The exit summary's compact form: one line per task, failures first, no box and no rule, within 80
// columns (the UPID whole where dropping other columns makes room, else shortened in its middle), a long
// list summed up so that it fits a 24-line screen, server text sanitized. A session whose bordered table
// fits the screen gets the table instead (summary-table.test.ts): here the screen is only as tall as the
// compact form needs, unless a test says otherwise.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import stringWidth from 'string-width';
import { createTaskStore, rowsOf } from '../../src/tasks/store.js';
import { formatUpid } from '../../src/tasks/upid.js';
import { renderSummary as renderAnySummary, type SummaryOptions } from '../../src/ui/summary.js';
import { T0, addSessionSample, addTask, upid } from './helpers.js';

const NOW = T0 + 90_000;

function rows() {
  const store = createTaskStore();
  addSessionSample(store);
  addTask(store, { vmid: 105, state: 'skipped', mine: true, message: 'already running', guestName: 'web05' });
  return rowsOf(store.getState(), 'mine');
}

const linesOf = (text: string) => text.trimEnd().split('\n');

/** The summary on a screen that holds the compact form (every task, the tally, the two lines after) but not the table. */
function renderSummary(rows: Parameters<typeof renderAnySummary>[0], options: SummaryOptions): string {
  return renderAnySummary(rows, { rows: rows.length + 3, ...options });
}

test('one line per task, failures first, no box or rule, within 80 columns with every UPID whole', () => {
  const text = renderSummary(rows(), { ascii: false, color: false, columns: 80, now: NOW });
  const lines = linesOf(text);
  assert.doesNotMatch(text, /[┌│─├└]|^-{3,}/m, 'no box, no rule');
  assert.deepEqual(
    lines.map((line) => line.split(/\s{2,}/)[0]),
    [
      '✗ failed',
      '◷ timed out',
      '● running',
      '! warnings',
      '✓ ok',
      '- skipped',
      '6 tasks: 1 ok, 1 warnings, 1 failed, 1 timed out, 1 skipped, 1 still running',
    ],
  );
  assert.match(lines[0]!, new RegExp(`^✗ failed {5}101 {4}${escape(upid('pve1', 101, T0 + 1000))}$`));
  assert.match(lines[4]!, new RegExp(`^✓ ok {9}db01 {3}${escape(upid('pve1', 100, T0))}$`));
  for (const line of lines) assert.ok(stringWidth(line) <= 80, `${stringWidth(line)}: ${line}`);
  // A launch skipped before any request has no UPID: it says what it was and why instead.
  const skipped = renderSummary(
    rows().filter((row) => row.state === 'skipped' || row.state === 'ok'),
    { ascii: false, color: false, columns: 80, now: NOW },
  );
  assert.match(skipped, /^✓ ok/m);
  const store = createTaskStore();
  const key = addTask(store, { vmid: 106, state: 'queued', guestName: 'app06' });
  store.getState().update((tx) => tx.patch(key, { state: 'skipped', message: 'already running', endedAt: T0 }));
  assert.match(
    renderSummary(rowsOf(store.getState(), 'mine'), { ascii: false, color: false, columns: 80, now: NOW }),
    /^- skipped {2}app06 {2}0s {2}Start VM 106 app06: skipped \(already running\)$/m,
  );
  // Where the task has its own column, the reason alone.
  assert.match(
    renderSummary(rowsOf(store.getState(), 'mine'), { ascii: false, color: false, columns: 200, now: NOW }),
    /^- skipped {2}app06 {2}Start VM 106 {2}0s {2}skipped \(already running\)$/m,
  );
});

test("a long reason in place of a UPID is cut to the UPIDs' width: it shortens no UPID", () => {
  const store = createTaskStore();
  addTask(store, { vmid: 100, state: 'failed', exitStatus: 'start failed', endedAfter: 1000 });
  const refused = addTask(store, { vmid: 101, state: 'queued' });
  store
    .getState()
    .update((tx) => tx.patch(refused, { state: 'unknown', endedAt: T0, message: `PVE answered '${'x'.repeat(200)}' instead of a UPID` }));
  const lines = linesOf(renderSummary(rowsOf(store.getState(), 'mine'), { ascii: false, color: false, columns: 80, now: NOW }));
  assert.ok(lines[0]!.endsWith(upid('pve1', 100, T0)), lines[0]);
  assert.match(lines[1]!, /^\? unknown {2}101 {2}0s {2}Start VM 101: PVE answered 'x+…$/);
  assert.ok(lines.every((line) => stringWidth(line) <= 80));
});

test('wider, the task and its time come back; wider still, what PVE said', () => {
  const wide = linesOf(renderSummary(rows(), { ascii: false, color: false, columns: 120, now: NOW }));
  assert.match(wide[0]!, /^✗ failed {5}101 {4}Start VM 101 {7}1s {2}UPID:\S+$/);
  assert.match(wide[2]!, /^● running {4}104 {4}Start VM 104 {3}1m 30s {2}UPID:/);
  const widest = linesOf(renderSummary(rows(), { ascii: false, color: false, columns: 200, now: NOW }));
  assert.match(widest[0]!, /qmstart:101:root@pam: {2}VM 101 already running$/);
  assert.match(widest[3]!, /vzdump:102:root@pam: {3}WARNINGS: 1$/);
});

test('a UPID too long for 80 columns even alone is shortened in its middle, and the guest and time come back', () => {
  const store = createTaskStore();
  const long = formatUpid({
    node: 'pve-rack12-node07',
    pid: 0x2a1f3,
    pstart: 0x3b4c2d1,
    starttime: T0 / 1000,
    type: 'qmstart',
    id: '4711',
    user: 'automation@pve!nightly-maintenance',
  });
  store.getState().update((tx) => {
    const key = tx.add({ upid: long, mine: true, firstSeenAt: T0, guestName: 'billing-db' });
    tx.finish(key, 'failed', { exitStatus: 'start failed', endedAt: T0 + 4000 });
  });
  const [line] = linesOf(renderSummary(rowsOf(store.getState(), 'mine'), { ascii: false, color: false, columns: 80, now: NOW }));
  assert.ok(long.length > 80);
  assert.equal(stringWidth(line!), 80);
  // Its start (node and pid) and its end (the user) stay.
  assert.match(line!, /^✗ failed {2}billing-db {2}4s {2}UPID:pve-rack12-node07:0002…n@pve!nightly-maintenance:$/);
  const ascii = linesOf(renderSummary(rowsOf(store.getState(), 'mine'), { ascii: true, color: false, columns: 80, now: NOW }))[0]!;
  assert.match(ascii, /^x failed {2}billing-db {2}4s {2}UPID:pve-rack12-node07:0002~n@pve!nightly-maintenance:$/);
});

test('200 tasks on a 24-line screen: every failure, then as many as fit, the rest summed up, the full list in the report', () => {
  const store = createTaskStore();
  for (let i = 0; i < 200; i++) {
    const state = i % 40 === 7 ? 'failed' : i === 3 ? 'warnings' : 'ok';
    addTask(store, {
      vmid: 1000 + i,
      at: i * 1000,
      state,
      exitStatus: state === 'failed' ? 'start failed' : 'OK',
      endedAfter: 3000,
      guestName: `vm-${i}`,
    });
  }
  const text = renderSummary(rowsOf(store.getState(), 'mine'), {
    ascii: false,
    color: false,
    columns: 80,
    rows: 24,
    now: NOW,
    reportPath: 'change-4711.md',
  });
  const lines = linesOf(text);
  assert.ok(lines.length <= 22, `${lines.length} lines leave room for the next line and the prompt on 24`);
  assert.deepEqual(
    lines.slice(0, 5).map((line) => line.split(/\s{2,}/)[1]),
    ['vm-7', 'vm-47', 'vm-87', 'vm-127', 'vm-167'],
    'the failures first, oldest first',
  );
  assert.match(lines[5]!, /^! warnings {2}vm-3 /);
  const shownOk = lines.filter((line) => line.startsWith('✓ ok')).length;
  assert.equal(lines.at(-3), `... and ${194 - shownOk} more ok`);
  assert.equal(lines.at(-2), '200 tasks: 194 ok, 1 warnings, 5 failed');
  assert.equal(lines.at(-1), 'The full list: change-4711.md');
  assert.equal(lines.length, 22, 'the screen is used');
  const noReport = linesOf(
    renderSummary(rowsOf(store.getState(), 'mine'), { ascii: false, color: false, columns: 80, rows: 24, now: NOW }),
  );
  assert.equal(noReport.at(-1), 'The full list: pvetasks --report FILE.md (or .json)');
  // More failures than lines: they are summed up too.
  const failing = createTaskStore();
  for (let i = 0; i < 60; i++)
    addTask(failing, { vmid: 2000 + i, at: i, state: i < 40 ? 'failed' : 'ok', exitStatus: 'x', endedAfter: 1000 });
  const summed = linesOf(
    renderSummary(rowsOf(failing.getState(), 'mine'), { ascii: false, color: false, columns: 80, rows: 24, now: NOW }),
  );
  assert.deepEqual(summed.slice(-4), [
    '... and 22 more failed',
    '... and 20 more ok',
    '60 tasks: 20 ok, 40 failed',
    'The full list: pvetasks --report FILE.md (or .json)',
  ]);
  assert.equal(summed.length, 22);
});

test('an empty session says so', () => {
  assert.equal(renderSummary([], { ascii: true, color: false, columns: 80 }), 'No task was started in this session.\n');
});

function hostileRows() {
  const store = createTaskStore();
  addTask(store, { vmid: 100, state: 'ok', exitStatus: 'OK', endedAfter: 12_000, guestName: '数据库服务器' });
  addTask(store, {
    vmid: 101,
    state: 'failed',
    exitStatus: 'VM 101 \u001b]52;c;ZWNobyBwd25lZAo=\u0007already\u001b[2J \u202erunning\u009b31m',
    endedAfter: 1000,
    guestName: 'web🚀01',
  });
  addTask(store, { vmid: 102, state: 'ok', exitStatus: 'OK', endedAfter: 1000, guestName: 'plain' });
  return rowsOf(store.getState(), 'mine');
}

test('CJK and emoji guest names align: the UPIDs start at one display column', () => {
  for (const columns of [80, 120, 200]) {
    const lines = linesOf(renderSummary(hostileRows(), { ascii: false, color: false, columns, now: NOW })).slice(0, 3);
    const starts = lines.map((line) => stringWidth(line.slice(0, line.indexOf('UPID:'))));
    assert.equal(new Set(starts).size, 1, `${columns} columns:\n${lines.join('\n')}`);
  }
});

test('server text in the summary is sanitized: no OSC, CSI, C1 or bidi control reaches the terminal', () => {
  for (const ascii of [false, true]) {
    const text = renderSummary(hostileRows(), { ascii, color: false, columns: 200, now: NOW });
    assert.doesNotMatch(text, /[\u001b\u0007\u0080-\u009f\u202e]/);
    assert.match(text, /VM 101 \^\[already\^\[ �running\^\[/);
  }
});

test('ASCII: nothing but ASCII; colour: the state in colour only when asked', () => {
  assert.doesNotMatch(renderSummary(rows(), { ascii: true, color: false, columns: 80, now: NOW }), /[^\x00-\x7e]/);
  assert.doesNotMatch(renderSummary(rows(), { ascii: false, color: false, columns: 80, now: NOW }), /\u001b/);
  const coloured = renderSummary(rows(), { ascii: false, color: true, columns: 80, now: NOW });
  assert.match(coloured, /^\u001b\[31m✗ failed {3}\u001b\[0m {2}101/m);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
