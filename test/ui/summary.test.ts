import assert from 'node:assert/strict';
import { test } from 'node:test';
import stringWidth from 'string-width';
import { createTaskStore } from '../../src/tasks/store.js';
import { renderSummary } from '../../src/ui/summary.js';
import { T0, addTask } from './helpers.js';

function rows() {
  const store = createTaskStore();
  addTask(store, { vmid: 100, state: 'ok', exitStatus: 'OK', endedAfter: 12_000, guestName: 'db01' });
  addTask(store, { vmid: 101, state: 'failed', exitStatus: 'VM 101 already running', endedAfter: 1000 });
  addTask(store, {
    vmid: 102,
    state: 'warnings',
    exitStatus: 'WARNINGS: 1',
    endedAfter: 65_000,
    type: 'vzdump',
    description: 'Backup VM 102',
  });
  addTask(store, { vmid: 103, state: 'timeout' });
  addTask(store, { vmid: 104 });
  const state = store.getState();
  return state.order.mine.map((key) => state.row(key)!);
}

test('ASCII summary: plain aligned columns, each task with its outcome, then the tally', () => {
  const text = renderSummary(rows(), { ascii: true, color: false, columns: 80, now: T0 + 90_000 });
  assert.doesNotMatch(text, /[^\x00-\x7e]/);
  const lines = text.trimEnd().split('\n');
  assert.match(lines[0]!, /^state +task +node +time +outcome$/);
  assert.ok(lines.some((line) => /^\+ ok +Start VM 100 db01 +pve1 +12s +OK$/.test(line)));
  assert.ok(lines.some((line) => /^x failed +Start VM 101 +pve1 +1s +VM 101 already running$/.test(line)));
  assert.ok(lines.some((line) => /^! warnings +Backup VM 102 +pve1 +1m 05s +WARNINGS: 1$/.test(line)));
  assert.ok(lines.some((line) => /^T timed out +Start VM 103 .* timed out$/.test(line)));
  assert.ok(lines.some((line) => /^\* running +Start VM 104 +pve1 +1m 30s +still running$/.test(line)));
  assert.equal(lines.at(-1), '5 tasks: 1 ok, 1 warnings, 1 failed, 1 timed out, 1 still running on the server');
  for (const line of lines) assert.ok(line.length <= 80, line);
});

test('TTY summary: an ink-table that fits the terminal, no colour codes when colour is off', () => {
  const wide = renderSummary(rows(), { ascii: false, color: false, columns: 100 });
  assert.match(wide, /┌─/);
  assert.match(wide, /│ ✓ ok +│ Start VM 100 db01 +│ pve1 │ 12s +│ OK +│/);
  assert.match(wide, /│ ✗ failed +│ Start VM 101 +│ pve1 │ 1s +│ VM 101 already running │/);
  assert.doesNotMatch(wide, /\u001b\[/);
  const narrow = renderSummary(rows(), { ascii: false, color: false, columns: 60 });
  const table = narrow.trimEnd().split('\n').slice(0, -1);
  for (const line of table) assert.ok([...line].length <= 60, `${[...line].length}: ${line}`);
  assert.match(narrow, /│ VM 101… │/);
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
  const state = store.getState();
  return state.order.mine.map((key) => state.row(key)!);
}

test('CJK and emoji guest names align in both forms; a wide character is never cut in half', () => {
  for (const columns of [120, 60, 47]) {
    const table = renderSummary(hostileRows(), { ascii: false, color: false, columns, now: T0 + 90_000 })
      .trimEnd()
      .split('\n')
      .slice(0, -1);
    const widths = new Set(table.map((line) => stringWidth(line)));
    assert.equal(widths.size, 1, `every line of the bordered table is as wide (${columns} columns):\n${table.join('\n')}`);
    // The borders line up: each │ of a row sits at the display column of the top border's ┬.
    const crossings = (line: string) =>
      [...line].reduce<number[]>((at, char, i, all) => {
        if ('│┌┬┐├┼┤└┴┘'.includes(char)) at.push(stringWidth(all.slice(0, i).join('')));
        return at;
      }, []);
    for (const line of table) assert.deepEqual(crossings(line), crossings(table[0]!), line);
  }
  const plain = renderSummary(hostileRows(), { ascii: true, color: false, columns: 120, now: T0 + 90_000 }).split('\n');
  const nodeColumn = (line: string) => stringWidth(line.slice(0, line.indexOf('pve1')));
  const body = plain.filter((line) => line.includes('pve1'));
  assert.equal(body.length, 3);
  assert.equal(new Set(body.map(nodeColumn)).size, 1, plain.join('\n'));
  const narrow = renderSummary(hostileRows(), { ascii: false, color: false, columns: 60, now: T0 + 90_000 });
  assert.match(narrow, /│ Start VM 100 数据库… │/);
});

test('server text in the summary is sanitized in both forms: no OSC, CSI, C1 or bidi control reaches the terminal', () => {
  for (const ascii of [false, true]) {
    const text = renderSummary(hostileRows(), { ascii, color: false, columns: 200, now: T0 + 90_000 });
    assert.doesNotMatch(text, /[\u001b\u0007\u0080-\u009f\u202e]/);
    assert.match(text, /VM 101 \^\[already\^\[ �running\^\[/);
  }
});
