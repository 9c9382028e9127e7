// The exit summary as a bordered ink-table: used when the whole table, the tally and the board's line
// after it fit the screen above the prompt on a UTF-8 terminal; one task more and it is the compact
// form. Asserted on the rendered text: box characters, one row per task in the compact form's order,
// never wider than the terminal, borders in line whatever the names, no escape code with colour off.
import './force-colour.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import stringWidth from 'string-width';
import { createTaskStore, rowsOf } from '../../src/tasks/store.js';
import { renderSummary } from '../../src/ui/summary.js';
import { T0, addSessionSample, addTask, upid } from './helpers.js';

const NOW = T0 + 90_000;
const BOX = /[┌┐└┘├┤┬┴┼─│]/;

function rows() {
  const store = createTaskStore();
  addSessionSample(store);
  return rowsOf(store.getState(), 'mine');
}

const linesOf = (text: string) => text.trimEnd().split('\n');
/** The body rows of a bordered table: the lines between borders that hold cells. */
const bodyRows = (lines: string[]) => lines.filter((line) => line.startsWith('│')).slice(1);
const cellsOf = (line: string) =>
  line
    .split('│')
    .slice(1, -1)
    .map((cell) => cell.trim());
/** The display columns of a line's border characters. */
function borderColumns(line: string, borders: RegExp): number[] {
  const found: number[] = [];
  let column = 0;
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(line)) {
    if (borders.test(segment)) found.push(column);
    column += stringWidth(segment);
  }
  return found;
}

test('a short session on 80x24: a bordered table, one row per task, failures first, within 80 columns, then the tally', () => {
  const text = renderSummary(rows(), { ascii: false, color: false, columns: 80, rows: 24, now: NOW });
  const lines = linesOf(text);
  assert.match(lines[0]!, /^┌─+┬/);
  assert.deepEqual(cellsOf(lines[1]!), ['STATE', 'TASK', 'NODE', 'TIME', 'OUTCOME'], 'no room for the UPID at 80 columns');
  assert.match(lines.at(-2)!, /^└─+┴.*┘$/);
  assert.equal(lines.at(-1), '5 tasks: 1 ok, 1 warnings, 1 failed, 1 timed out, 1 still running');
  assert.deepEqual(bodyRows(lines).map(cellsOf), [
    ['✗ failed', 'Start VM 101', 'pve1', '1s', 'VM 101 already running'],
    ['◷ timed out', 'Start VM 103', 'pve1', '1m 30s', 'timed out'],
    ['● running', 'Start VM 104', 'pve1', '1m 30s', 'still running'],
    ['! warnings', 'Backup VM 102', 'pve1', '1m 05s', 'WARNINGS: 1'],
    ['✓ ok', 'Start VM 100 db01', 'pve1', '12s', 'OK'],
  ]);
  // ink-table draws a rule between rows: 2 lines per task, 3 for the borders and headings.
  assert.equal(lines.length, 5 * 2 + 3 + 1);
  for (const line of lines.slice(0, -1)) assert.ok(stringWidth(line) <= 80, `${stringWidth(line)}: ${line}`);
  assert.doesNotMatch(text, /\u001b/, 'colour off: no escape code, though FORCE_COLOR=1 has Ink colour on');
});

test('wide enough, every task has its UPID whole in its row', () => {
  const session = rows();
  const lines = linesOf(renderSummary(session, { ascii: false, color: false, columns: 160, rows: 24, now: NOW }));
  assert.equal(cellsOf(lines[1]!).at(-1), 'UPID');
  const body = bodyRows(lines).map(cellsOf);
  assert.equal(body.length, session.length);
  for (const [vmid, at] of [
    [101, 1000],
    [103, 0],
    [104, 0],
    [100, 0],
  ] as const) {
    assert.ok(
      body.some((cells) => cells[1]!.startsWith(`Start VM ${vmid}`) && cells.at(-1) === upid('pve1', vmid, T0 + at)),
      `${vmid}:\n${lines.join('\n')}`,
    );
  }
  assert.ok(body.some((cells) => cells.at(-1) === upid('pve1', 102, T0, 'vzdump')));
  assert.ok(lines.every((line) => stringWidth(line) <= 160));
});

test('narrower, the state stays whole: the UPID, the node, the time and then PVE words go, the task is cut', () => {
  for (const columns of [40, 50, 60, 70, 100, 120]) {
    const lines = linesOf(renderSummary(rows(), { ascii: false, color: false, columns, rows: 24, now: NOW }));
    assert.match(lines[0]!, /^┌/, `${columns} columns`);
    const widths = new Set(lines.slice(0, -1).map((line) => stringWidth(line)));
    assert.equal(widths.size, 1, `every line of the table is as wide:\n${lines.join('\n')}`);
    assert.ok([...widths][0]! <= columns);
    const states = bodyRows(lines).map((line) => cellsOf(line)[0]);
    assert.deepEqual(states, ['✗ failed', '◷ timed out', '● running', '! warnings', '✓ ok'], `${columns} columns`);
  }
  assert.deepEqual(cellsOf(linesOf(renderSummary(rows(), { ascii: false, color: false, columns: 40, rows: 24, now: NOW }))[1]!), [
    'STATE',
    'TASK',
  ]);
  // Too narrow for the state and the task: the compact form, which can be narrower.
  assert.doesNotMatch(renderSummary(rows(), { ascii: false, color: false, columns: 28, rows: 24, now: NOW }), BOX);
});

test('one task more than the screen holds: the compact form', () => {
  const session = (count: number, running: boolean) => {
    const store = createTaskStore();
    for (let i = 0; i < count; i++) addTask(store, { vmid: 200 + i, at: i, state: 'ok', exitStatus: 'OK', endedAfter: 1000 });
    if (running) addTask(store, { vmid: 300 });
    return rowsOf(store.getState(), 'mine');
  };
  // 24 lines: 9 tasks take 3 + 18 lines of table and the tally, and the prompt has the last one.
  const nine = renderSummary(session(9, false), { ascii: false, color: false, columns: 80, rows: 24, now: NOW });
  assert.match(nine, /^┌/);
  assert.equal(linesOf(nine).length, 22);
  const ten = renderSummary(session(10, false), { ascii: false, color: false, columns: 80, rows: 24, now: NOW });
  assert.doesNotMatch(ten, BOX);
  assert.match(linesOf(ten)[0]!, /^✓ ok {2}200 {2}1s {2}UPID:/);
  // 25 lines hold ten, unless one still runs: the board says next that it keeps running, which takes a line too.
  assert.match(renderSummary(session(10, false), { ascii: false, color: false, columns: 80, rows: 25, now: NOW }), /^┌/);
  assert.doesNotMatch(renderSummary(session(9, true), { ascii: false, color: false, columns: 80, rows: 25, now: NOW }), BOX);
  assert.match(renderSummary(session(8, true), { ascii: false, color: false, columns: 80, rows: 25, now: NOW }), /^┌/);
});

test('--ascii: the compact form, nothing but ASCII, however short the session', () => {
  const text = renderSummary(rows(), { ascii: true, color: false, columns: 80, rows: 24, now: NOW });
  assert.doesNotMatch(text, /[^\x00-\x7e]/);
  assert.match(linesOf(text)[0]!, /^x failed {5}101 {3}UPID:/);
});

function hostileRows() {
  const store = createTaskStore();
  addTask(store, { vmid: 100, state: 'ok', exitStatus: 'OK', endedAfter: 12_000, guestName: '数据库服务器-数据库服务器-数据库服务器' });
  addTask(store, {
    vmid: 101,
    state: 'failed',
    exitStatus: 'VM 101 \u001b]52;c;ZWNobyBwd25lZAo=\u0007already\u001b[2J \u202erunning\u009b31m\r\nFAILED\ttoo',
    endedAfter: 1000,
    guestName: 'web🚀01👩‍👩‍👧',
  });
  addTask(store, { vmid: 102, state: 'ok', exitStatus: 'OK', endedAfter: 1000, guestName: 'plain' });
  return rowsOf(store.getState(), 'mine');
}

test('CJK, emoji and control characters in names and messages: the borders stay in line, nothing reaches the terminal', () => {
  for (const columns of [60, 80, 120, 200]) {
    const text = renderSummary(hostileRows(), { ascii: false, color: false, columns, rows: 24, now: NOW });
    assert.doesNotMatch(text, /[\u001b\u0007\u0080-\u009f\u202e\r\t]/);
    const lines = linesOf(text).slice(0, -1);
    assert.match(lines[0]!, /^┌/);
    const top = borderColumns(lines[0]!, /[┌┬┐]/);
    for (const line of lines) {
      assert.deepEqual(borderColumns(line, /[┌┬┐│├┼┤└┴┘]/), top, `${columns} columns:\n${lines.join('\n')}`);
      assert.ok(stringWidth(line) <= columns);
    }
    assert.equal(bodyRows(lines).length, 3, 'one line per task: no name or message broke a row in two');
  }
  const wide = renderSummary(hostileRows(), { ascii: false, color: false, columns: 200, rows: 24, now: NOW });
  assert.match(wide, /│ VM 101 \^\[already\^\[ �running\^\[ FAILED too +│/);
});

test('colour on: the state in its colour; colour off: not one escape code', () => {
  const coloured = renderSummary(rows(), { ascii: false, color: true, columns: 80, rows: 24, now: NOW });
  assert.match(coloured, /\u001b\[31m ✗ failed +\u001b\[39m/);
  assert.match(coloured, /\u001b\[32m ✓ ok +\u001b\[39m/);
  assert.match(coloured, /^┌/);
  assert.doesNotMatch(renderSummary(rows(), { ascii: false, color: false, columns: 80, rows: 24, now: NOW }), /\u001b/);
});
