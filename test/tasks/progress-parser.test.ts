/**
 * The parser as the poller uses it (page by page over a long log), the one-shot reader's unchanged shape,
 * the store's comparison, and the fixtures' bookkeeping: every log fixture names its source (or says it
 * was constructed) and has a test.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createProgressParser, parseProgressLine, parseTaskProgress, sameTaskProgress } from '../../src/tasks/progress.js';
import { linesUpTo, logFixtureHeader, logFixtureNames, progressOf, readLogFixture } from '../fixtures/logs/read.js';

const GiB = 1024 ** 3;

// --- how the poller reads: incrementally -----------------------------------------------------------------

test('fed page by page or line by line, every fixture gives the progress of the whole log read at once', () => {
  for (const name of logFixtureNames()) {
    const lines = readLogFixture(name);
    const whole = progressOf(lines);
    for (const page of [1, 3, 500]) {
      const parser = createProgressParser();
      for (let i = 0; i < lines.length; i += page) parser.feed(lines.slice(i, i + page));
      assert.deepEqual(parser.progress(), whole, `${name} in pages of ${page}`);
    }
  }
});

test('a long job log read in pages keeps only the current guest and its steps', () => {
  // The first guest of the three-guest job, repeated as 500 guests, read 500 lines at a time like the poller.
  const guest = readLogFixture('vzdump-job-ok-warn-fail-constructed.log').slice(1, 22);
  const lines = Array.from({ length: 500 }, (_, i) => guest.map((line) => line.replaceAll('101', String(1000 + i)))).flat();
  const parser = createProgressParser();
  for (let i = 0; i < lines.length; i += 500) parser.feed(lines.slice(i, i + 500));
  const progress = parser.progress();
  assert.deepEqual(progress.guest, { vmid: 1499, index: 500 });
  assert.equal(progress.percent, 100);
  assert.equal(progress.bytesTotal, 10 * GiB, 'one guest’s bytes, not the sum over the job');
});

test('the one-shot reader keeps its shape: percentage and bytes only', () => {
  assert.deepEqual(parseTaskProgress(readLogFixture('vzdump-local-haos.log')), {
    percent: 17,
    bytesDone: Math.round(5.5 * GiB),
    bytesTotal: 32 * GiB,
  });
  assert.deepEqual(parseProgressLine('progress 10% (read 2147549184 bytes, duration 1 sec)'), { percent: 10, bytesDone: 2147549184 });
  assert.equal(parseProgressLine('INFO: backup was done incrementally, reused 3.20 GiB (21%)'), undefined);
});

test('sameTaskProgress tells apart what the board shows, the ETA and the guest included', () => {
  const a = progressOf(linesUpTo('vzdump-job-ok-warn-fail-constructed.log', ' 10%'));
  assert.ok(sameTaskProgress(a, { ...a, guest: { ...a.guest! } }));
  assert.ok(!sameTaskProgress(a, { ...a, etaSeconds: (a.etaSeconds ?? 0) + 1 }));
  assert.ok(!sameTaskProgress(a, { ...a, guest: { vmid: 102, index: 2, count: 3 } }));
  assert.ok(!sameTaskProgress(a, undefined));
});

test('every log fixture names its public source, or says it was constructed, and has a progress test', () => {
  const tests = ['progress-backups.test.ts', 'progress-copies.test.ts', 'progress-migrations.test.ts']
    .map((file) => readFileSync(new URL(file, import.meta.url), 'utf8'))
    .join('\n');
  for (const name of logFixtureNames()) {
    assert.match(logFixtureHeader(name).join('\n'), /^# (Source: https:\/\/\S+|Constructed \()/, name);
    assert.ok(tests.includes(`'${name}'`), `${name} has no progress test`);
  }
});

test('a job over several nodes counts only the guests this node backs up', () => {
  // pve-manager VZDump.pm logs the guests of other nodes as skipped; their own node's task backs them up.
  const lines = [
    'INFO: starting new backup job: vzdump 101 102 103 104 --storage pbs --mode snapshot',
    'INFO: skip external VMs: 102, 104',
    'INFO: Starting Backup of VM 103 (qemu)',
  ];
  assert.deepEqual(progressOf(lines), { guest: { vmid: 103, index: 1, count: 2 } });
});
