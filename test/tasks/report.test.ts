// The report for a change ticket: what it says of the session (cluster, user, time window, counts)
// and of each task (UPID, guests, node, type, outcome, exit status, start, end, duration, and each
// guest of a backup job), in Markdown and in JSON; hostile server text stays inert in both.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byAttention, markdownCell, renderReport, reportFormatOf, reportOf, type ReportInput } from '../../src/tasks/report.js';
import { createTaskStore, rowsOf } from '../../src/tasks/store.js';
import { formatUpid } from '../../src/tasks/upid.js';
import { MANUAL_CLOCK_EPOCH } from '../../src/util/clock.js';

const T0 = MANUAL_CLOCK_EPOCH; // 2026-11-27T08:00:00Z
const upid = (vmid: number | '', type: string, node = 'pve1') =>
  formatUpid({
    node,
    pid: 0x2a1f3 + Number(vmid || 0),
    pstart: 0x3b4c2d1,
    starttime: T0 / 1000,
    type,
    id: String(vmid),
    user: 'ops@pve!ci',
  });

function input(): ReportInput {
  const store = createTaskStore();
  store.getState().update((tx) => {
    const ok = tx.add({ upid: upid(101, 'qmstart'), mine: true, firstSeenAt: T0, guestName: 'web01' });
    tx.finish(ok, 'ok', { exitStatus: 'OK', endedAt: T0 + 3200 });
    const failed = tx.add({ upid: upid(102, 'qmstart', 'pve2'), mine: true, firstSeenAt: T0, guestName: 'db02' });
    tx.finish(failed, 'failed', { exitStatus: 'start failed: QEMU exited with code 1', endedAt: T0 + 4000 });
    const job = tx.add({ upid: upid('', 'vzdump', 'pve3'), mine: true, firstSeenAt: T0, vmids: [104, 105], description: 'Backup Job' });
    tx.finish(job, 'failed', {
      exitStatus: 'job errors',
      endedAt: T0 + 125_000,
      guestResults: {
        104: { outcome: 'ok', durationSeconds: 61 },
        105: { outcome: 'failed', message: 'no space left on device', durationSeconds: 12 },
      },
    });
    tx.add({
      mine: true,
      firstSeenAt: T0,
      node: 'pve1',
      type: 'qmstart',
      vmids: [106],
      state: 'skipped',
      endedAt: T0,
      message: 'already running',
    });
    tx.add({ upid: upid(107, 'qmstart'), mine: true, firstSeenAt: T0 + 1000 });
  });
  return {
    command: 'start',
    cluster: 'prod',
    user: 'ops@pve!ci',
    rows: rowsOf(store.getState(), 'mine'),
    guestNames: { 104: 'mail04', 105: 'files05' },
    writtenAt: T0 + 300_000,
  };
}

test('the format comes from the extension', () => {
  assert.equal(reportFormatOf('change.md'), 'markdown');
  assert.equal(reportFormatOf('CHANGE.MARKDOWN'), 'markdown');
  assert.equal(reportFormatOf('out/change-4711.json'), 'json');
  for (const name of ['change.txt', 'change', 'change.md.bak', 'md', '.json.x']) assert.equal(reportFormatOf(name), undefined, name);
});

test('JSON: the session and every task, failures first, each guest of a backup job with its own result', () => {
  const report = JSON.parse(renderReport(input(), 'json'));
  assert.equal(report.report, 'pvetasks');
  assert.equal(report.cluster, 'prod');
  assert.equal(report.user, 'ops@pve!ci');
  assert.equal(report.command, 'start');
  assert.equal(report.from, '2026-11-27T08:00:00Z');
  assert.equal(report.to, '2026-11-27T08:05:00Z', 'a task still running counts up to when the report was written');
  assert.equal(report.written, '2026-11-27T08:05:00Z');
  assert.deepEqual(
    report.tasks.map((task: { outcome: string; vmids: number[] }) => [task.outcome, task.vmids]),
    [
      ['failed', [102]],
      ['failed', [104, 105]],
      ['running', [107]],
      ['ok', [101]],
      ['skipped', [106]],
    ],
  );
  assert.deepEqual(report.tasks[0], {
    cluster: 'prod',
    upid: upid(102, 'qmstart', 'pve2'),
    node: 'pve2',
    type: 'qmstart',
    description: 'VM 102 - Start',
    vmids: [102],
    guest: 'db02',
    user: 'ops@pve!ci',
    outcome: 'failed',
    late_outcome: null,
    exitstatus: 'start failed: QEMU exited with code 1',
    message: null,
    start: '2026-11-27T08:00:00Z',
    end: '2026-11-27T08:00:04Z',
    duration_s: 4,
    guests: [],
  });
  assert.deepEqual(report.tasks[1].guests, [
    { vmid: 104, name: 'mail04', outcome: 'ok', message: null, duration_s: 61 },
    { vmid: 105, name: 'files05', outcome: 'failed', message: 'no space left on device', duration_s: 12 },
  ]);
  assert.equal(report.tasks[4].upid, null, 'skipped before any request');
  assert.equal(report.tasks[4].message, 'already running');
  assert.deepEqual(report.counts, { total: 5, queued: 0, running: 1, ok: 1, warnings: 0, failed: 2, timeout: 0, unknown: 0, skipped: 1 });
});

test("a run over several clusters names each task's cluster: a field in JSON, a column in Markdown", () => {
  const clusterOf = (row: ReturnType<typeof input>['rows'][number]) => (row.node === 'pve2' ? 'bravo' : 'alpha');
  const several = { ...input(), cluster: 'alpha, bravo', clusterOf };
  const report = JSON.parse(renderReport(several, 'json'));
  assert.equal(report.cluster, 'alpha, bravo');
  assert.deepEqual(
    report.tasks.map((task: { cluster: string; node: string }) => [task.cluster, task.node]),
    report.tasks.map((task: { node: string }) => [task.node === 'pve2' ? 'bravo' : 'alpha', task.node]),
  );
  const markdown = renderReport(several, 'markdown').split('\n');
  assert.ok(markdown.some((line) => line.startsWith('| Cluster | Outcome |')));
  assert.ok(markdown.some((line) => line.startsWith('| bravo | failed |')));
  // One cluster: no column.
  assert.ok(!renderReport(input(), 'markdown').includes('| Cluster |'));
});

test('Markdown: a header with the session, a table of tasks, a table per backup job', () => {
  const text = renderReport(input(), 'markdown');
  const lines = text.split('\n');
  assert.equal(lines[0], '# Tasks run with pvetasks on prod');
  assert.ok(lines.includes('- Cluster: prod'));
  assert.ok(lines.includes('- User: ops@pve\\!ci'));
  assert.ok(lines.includes('- From 2026-11-27T08:00:00Z to 2026-11-27T08:05:00Z (UTC)'));
  assert.ok(lines.includes('- 5 tasks: 1 ok, 2 failed, 1 skipped, 1 still running'));
  assert.ok(lines.includes('| Outcome | Guest | Task | Node | Type | Exit status | Message | Start | End | Duration | UPID |'));
  assert.ok(
    lines.includes(
      `| failed | 102 db02 | VM 102 - Start | pve2 | qmstart | start failed: QEMU exited with code 1 | - | 2026-11-27T08:00:00Z | 2026-11-27T08:00:04Z | 4s | \`${upid(102, 'qmstart', 'pve2')}\` |`,
    ),
  );
  assert.ok(lines.includes('### Backup Job on pve3: failed'));
  assert.ok(lines.includes('| 104 mail04 | ok | 1m 01s | - |'));
  assert.ok(lines.includes('| 105 files05 | failed | 12s | no space left on device |'));
  // Every table row has as many cells as its heading.
  const cells = (line: string) => line.replace(/\\\|/g, '').split('|').length;
  const table = lines.filter((line) => line.startsWith('| ') && line.includes('qmstart'));
  for (const line of table) assert.equal(cells(line), 13, line);
});

test('hostile text: no control or bidi character in either form, and Markdown cells cannot open markup', () => {
  const hostile = input();
  const store = createTaskStore();
  store.getState().update((tx) => {
    const key = tx.add({
      upid: upid(110, 'qmstart'),
      mine: true,
      firstSeenAt: T0,
      guestName: 'evil|name`](javascript:alert(1))<img src=x onerror=alert(1)>*_~#',
    });
    tx.finish(key, 'failed', {
      exitStatus: 'boom \u001b]52;c;ZWNobyBwd25lZAo=\u0007\u001b[2J\u202eright-to-left\n| forged | row |',
      endedAt: T0 + 1000,
    });
  });
  const rows = [...hostile.rows, ...rowsOf(store.getState(), 'mine')];
  const text = {
    markdown: renderReport({ ...hostile, rows, cluster: 'prod\u001b[31m' }, 'markdown'),
    json: renderReport({ ...hostile, rows }, 'json'),
  };
  for (const [format, body] of Object.entries(text)) {
    assert.doesNotMatch(body, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/, format);
  }
  const line = text.markdown.split('\n').find((candidate) => candidate.includes('evil'))!;
  assert.ok(line.includes('evil\\|name\\`\\](javascript:alert(1))\\<img src=x onerror=alert(1)\\>\\*\\_\\~\\#'), line);
  assert.ok(line.includes('boom ^\\[right-to-left \\| forged \\| row \\|'), line);
  assert.equal(line.replace(/\\\|/g, '').split('|').length, 13, 'no forged cell');
  assert.ok(!text.markdown.split('\n').some((candidate) => candidate.startsWith('| forged')), 'no forged row');
  assert.match(text.markdown, /^# Tasks run with pvetasks on prod\^\\\[$/m);
  const json = JSON.parse(text.json);
  assert.equal(json.tasks.find((task: { vmids: number[] }) => task.vmids[0] === 110).exitstatus, 'boom ^[right-to-left | forged | row |');
});

test('markdown cells: empty is a dash, markup characters are escaped', () => {
  assert.equal(markdownCell(undefined), '-');
  assert.equal(markdownCell(''), '-');
  assert.equal(markdownCell(12), '12');
  assert.equal(markdownCell('a_b*c'), 'a\\_b\\*c');
});

test('the one order for people: failed, unknown, timed out, running, queued, warnings, ok, skipped; oldest first within', () => {
  const store = createTaskStore();
  store.getState().update((tx) => {
    const add = (vmid: number, state: 'ok' | 'warnings' | 'failed' | 'unknown', at: number) => {
      const key = tx.add({
        upid: formatUpid({
          node: 'pve1',
          pid: vmid,
          pstart: 1,
          starttime: (T0 + at) / 1000,
          type: 'qmstart',
          id: String(vmid),
          user: 'u@pve',
        }),
        mine: true,
        firstSeenAt: T0,
      });
      tx.finish(key, state, { exitStatus: 'x', endedAt: T0 + at + 1000 });
    };
    add(1, 'ok', 0);
    add(2, 'failed', 5000);
    add(3, 'failed', 1000);
    add(4, 'unknown', 0);
    add(5, 'warnings', 0);
  });
  assert.deepEqual(
    byAttention(rowsOf(store.getState(), 'mine')).map((row) => row.vmids[0]),
    [3, 2, 4, 5, 1],
  );
  assert.equal(reportOf({ ...input(), rows: [] }).from, null);
});
