import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  TaskReporter,
  durationSeconds,
  exitCodeFor,
  finishedEvent,
  isoSeconds,
  outcomeTally,
  startedEvent,
  summaryEvent,
  type Target,
} from '../../src/cli/output.js';
import { formatTable } from '../../src/ui/plain-table.js';
import { colorEnabled } from '../../src/util/color.js';
import { fakeIo } from './fake-io.js';

const UPID = 'UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:';
const START_MS = 0x6700ab12 * 1000;
const target = (overrides: Partial<Target> = {}): Target => ({ upid: UPID, node: 'pve1', vmid: 100, type: 'qmstart', ...overrides });

test('exit codes, first match wins: failed or unknown 1, timeout 124, else 0', () => {
  assert.equal(exitCodeFor([]), 0);
  assert.equal(exitCodeFor(['ok', 'warnings']), 0);
  assert.equal(exitCodeFor(['ok', 'timeout']), 124);
  assert.equal(exitCodeFor(['timeout', 'failed']), 1);
  assert.equal(exitCodeFor(['timeout', 'unknown', 'ok']), 1);
  assert.equal(exitCodeFor(['unknown']), 1);
  assert.equal(exitCodeFor(new Set(['warnings', 'timeout'] as const)), 124);
});

test('events have exactly the fields of DESIGN.md, in order', () => {
  assert.deepEqual(Object.keys(startedEvent(target(), START_MS)), ['event', 'upid', 'node', 'vmid', 'type', 'time']);
  assert.equal(
    JSON.stringify(startedEvent(target(), START_MS)),
    `{"event":"started","upid":"${UPID}","node":"pve1","vmid":100,"type":"qmstart","time":"2024-10-05T02:57:22Z"}`,
  );
  const finished = finishedEvent(target(), { outcome: 'warnings', exitStatus: 'WARNINGS: 1', durationMs: 12_345 });
  assert.deepEqual(Object.keys(finished), ['event', 'upid', 'node', 'vmid', 'type', 'outcome', 'exitstatus', 'message', 'duration_s']);
  assert.equal(finished.duration_s, 12.3);
  assert.equal(finished.exitstatus, 'WARNINGS: 1');
  assert.deepEqual(summaryEvent(['ok', 'ok', 'warnings', 'failed', 'timeout', 'unknown', 'unknown']), {
    event: 'summary',
    ok: 2,
    warnings: 1,
    failed: 1,
    timeout: 1,
    unknown: 2,
    skipped: 0,
  });
  assert.deepEqual(Object.keys(summaryEvent([])), ['event', 'ok', 'warnings', 'failed', 'timeout', 'unknown', 'skipped']);
});

test('durations round to a tenth of a second; times are ISO seconds in UTC', () => {
  assert.equal(durationSeconds(0), 0);
  assert.equal(durationSeconds(49), 0);
  assert.equal(durationSeconds(50), 0.1);
  assert.equal(durationSeconds(1_949), 1.9);
  assert.equal(durationSeconds(7_200_000), 7200);
  assert.equal(durationSeconds(-5), 0);
  assert.equal(isoSeconds(Date.UTC(2026, 10, 27, 8, 0, 0, 999)), '2026-11-27T08:00:00Z');
});

test('a refused guest has a null upid and exit status', () => {
  const refused = finishedEvent(
    { upid: null, node: null, vmid: 105, type: null },
    { outcome: 'failed', exitStatus: null, message: 'guest 105 does not exist', durationMs: 0 },
  );
  assert.equal(
    JSON.stringify(refused),
    '{"event":"finished","upid":null,"node":null,"vmid":105,"type":null,"outcome":"failed","exitstatus":null,"message":"guest 105 does not exist","duration_s":0}',
  );
});

test('the reporter: JSON lines on stdout, human lines and a summary on stderr', () => {
  const io = fakeIo();
  const reporter = new TaskReporter(io, { json: true });
  const a = target();
  const b = target({ upid: UPID.replace('qmstart:100', 'qmstart:101'), vmid: 101 });
  const c = target({ upid: null, node: null, vmid: 102, type: null });
  reporter.started(a, START_MS);
  reporter.started(b, START_MS);
  reporter.started(a, START_MS); // a repeat (the task's row changed again) is not a second event
  reporter.finished(a, { outcome: 'ok', exitStatus: 'OK', durationMs: 3_000 });
  reporter.finished(a, { outcome: 'failed', exitStatus: 'late duplicate', durationMs: 9_000 });
  reporter.finished(b, { outcome: 'timeout', exitStatus: null, durationMs: 120_000 });
  reporter.finished(c, { outcome: 'failed', exitStatus: null, message: 'guest 102 does not exist', durationMs: 0 });
  assert.equal(reporter.summary(), 1);

  const events = io.stdout.json();
  assert.deepEqual(
    events.map((e) => e.event),
    ['started', 'started', 'finished', 'finished', 'finished', 'summary'],
  );
  assert.deepEqual(
    events.filter((e) => e.event === 'finished').map((e) => e.outcome),
    ['ok', 'timeout', 'failed'],
  );
  assert.deepEqual(events.at(-1), { event: 'summary', ok: 1, warnings: 0, failed: 1, timeout: 1, unknown: 0, skipped: 0 });

  const err = io.stderr.text;
  assert.match(err, /^started {3}VM 100 - Start on pve1 {2}UPID:pve1:/m);
  assert.match(err, /^finished {2}VM 100 - Start {2}OK {2}3s$/m);
  assert.match(err, /^finished {2}VM 101 - Start {2}TIMED OUT {2}2m {2}timed out; the task keeps running on the server$/m);
  assert.match(err, /^finished {2}guest 102 {2}FAILED {2}0ms {2}guest 102 does not exist$/m);
  assert.match(err, /^TARGET +NODE +OUTCOME +TIME +DETAIL$/m);
  assert.match(err, /^3 targets: 1 ok, 1 failed, 1 timed out$/m);
  assert.ok(!/\u001b\[/.test(err), 'no colour without a TTY');
});

test('without --json stdout stays empty', () => {
  const io = fakeIo();
  const reporter = new TaskReporter(io, { json: false });
  reporter.finished(target(), { outcome: 'warnings', exitStatus: 'WARNINGS: 2', durationMs: 1500 });
  assert.equal(reporter.summary(), 0);
  assert.equal(io.stdout.text, '');
  assert.match(io.stderr.text, /WARNINGS {2}1s {2}WARNINGS: 2/);
});

test('colour only on a TTY, never with NO_COLOR or --no-color; the words stay', () => {
  // The one colour policy (src/util/color.ts), as the commands call it: the stream's isTTY, --no-color as flag false.
  const shouldColor = (stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, { noColor = false } = {}) =>
    colorEnabled({ env, flag: noColor ? false : undefined, isTTY: stream.isTTY });
  assert.equal(shouldColor({ isTTY: true }, {}), true);
  assert.equal(shouldColor({ isTTY: false }, {}), false);
  assert.equal(shouldColor({}, {}), false);
  assert.equal(shouldColor({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.equal(shouldColor({ isTTY: true }, { NO_COLOR: '' }), true);
  assert.equal(shouldColor({ isTTY: true }, {}, { noColor: true }), false);
  assert.equal(shouldColor({ isTTY: true }, { TERM: 'dumb' }), false);
  assert.equal(shouldColor({ isTTY: false }, { FORCE_COLOR: '1' }), true);
  assert.equal(shouldColor({ isTTY: true }, { FORCE_COLOR: '0' }), false);

  const tty = fakeIo({ tty: true });
  const coloured = new TaskReporter(tty, { json: false });
  coloured.finished(target(), { outcome: 'failed', exitStatus: 'VM 100 already running', durationMs: 800 });
  assert.match(tty.stderr.text, /\u001b\[31mFAILED\u001b\[0m/);
  assert.match(tty.stderr.text, /failed: VM 100 already running/);

  const noColor = fakeIo({ tty: true, env: { NO_COLOR: '1' } });
  new TaskReporter(noColor, { json: false }).finished(target(), { outcome: 'failed', exitStatus: 'x', durationMs: 1 });
  assert.ok(!noColor.stderr.text.includes('\u001b['));
});

test('plain tables and tallies', () => {
  assert.equal(
    formatTable(
      ['A', 'LONG'],
      [
        ['xyz', '1'],
        ['', '2'],
      ],
    ),
    'A    LONG\nxyz  1\n     2\n',
  );
  assert.equal(outcomeTally([]), '0 targets');
  assert.equal(outcomeTally(['ok']), '1 target: 1 ok');
});

test('server text never reaches stderr raw; --json lines escape every control and bidi character and parse back', () => {
  const hostile = 'job errors\u001b]52;c;ZWNobyBwd25lZAo=\u0007\u001b[2J\u009b31m\u202edone\u0000';
  const io = fakeIo({ tty: true });
  const reporter = new TaskReporter(io, { json: true });
  const t = target({ node: 'pve1\u001b]0;pwned\u0007', label: 'VM 100 \u202eweb01' });
  reporter.started(t, START_MS);
  reporter.finished(t, { outcome: 'failed', exitStatus: hostile, message: hostile, durationMs: 1_000 });
  reporter.summary();
  const ourColour = /\u001b\[(?:\d+)?m/g;
  assert.doesNotMatch(io.stderr.text.replace(ourColour, ''), /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  assert.match(io.stderr.text, /^finished {2}VM 100 �web01 {2}.*FAILED.* {2}1s {2}job errors\^\[done�$/m);
  assert.match(io.stderr.text, /^started {3}VM 100 �web01 on pve1\^\[ /m);
  assert.doesNotMatch(io.stdout.text.replace(/\n/g, ''), /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  const finished = io.stdout.json().find((event) => event.event === 'finished')!;
  assert.equal(finished.exitstatus, hostile, 'JSON keeps the value; only its encoding is escaped');
});
