/**
 * Per-guest results of vzdump jobs from their logs (test/fixtures/logs): each guest's own outcome, PVE's
 * reason or the warnings, its own duration, and the one-line summary a job's row shows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBackupResults, summarizeGuestResults } from '../../src/tasks/backup-log.js';
import { readLogFixture } from '../fixtures/logs/read.js';

test('a job with an ok, a warned and a failed guest: outcomes, messages, durations, summary', () => {
  const lines = readLogFixture('vzdump-job-ok-warn-fail-constructed.log');
  const results = parseBackupResults(lines, [101, 102, 103], 'failed');
  assert.deepEqual(results, {
    101: { outcome: 'ok', durationSeconds: 31 },
    102: {
      outcome: 'warnings',
      message:
        'backup target storage is configured with master-key, but no encryption key set! Ignoring master key settings and creating unencrypted backup.',
      warningCount: 1,
      durationSeconds: 78,
    },
    // Backup started at 01:01:51, Failed at 01:02:53: 62 s.
    103: { outcome: 'failed', message: "VM 103 qmp command 'backup' failed - got timeout", durationSeconds: 62 },
  });
  assert.equal(summarizeGuestResults(results), '1 ok, 1 warnings, 1 failed');
});

test('a real job log: the finished guest has its own duration, the one still running is not reported', () => {
  // Finished Backup of VM 100 (00:02:04); guest 101 has only just started when the excerpt ends.
  const results = parseBackupResults(readLogFixture('vzdump-pbs-job-joulenap.log'), [], 'unknown');
  assert.deepEqual(results, { 100: { outcome: 'ok', durationSeconds: 124 } });
  assert.equal(summarizeGuestResults(results), '1 ok');
});

test('a real failure: PVE reason from the per-guest line; no start time in the excerpt, so no duration', () => {
  const results = parseBackupResults(readLogFixture('vzdump-pbs-failed-check-pve.log'), [111], 'failed');
  assert.deepEqual(results, { 111: { outcome: 'failed', message: "VM 111 qmp command 'backup' failed - got timeout" } });
  assert.equal(summarizeGuestResults(results), '1 failed');
});

test('a log that ends before the guest’s result: the task outcome, with the guest’s last error as the reason', () => {
  const results = parseBackupResults(readLogFixture('vzdump-pbs-failed-pxvirt.log'), [400], 'failed');
  assert.deepEqual(results, {
    400: {
      outcome: 'failed',
      message:
        "VM 400 qmp command 'backup' failed - backup register image failed: command error: no previous backup found, cannot do incremental backup",
    },
  });
});

test('a container in stop mode: ok with its own 17 s', () => {
  const results = parseBackupResults(readLogFixture('vzdump-lxc-stop-tar-zerolab.log'), [999], 'ok');
  assert.deepEqual(results, { 999: { outcome: 'ok', durationSeconds: 17 } });
});

test('prefixed job lines (guest id and timestamp, or the vzdump log file name) are read the same', () => {
  const prefixed = [
    ...readLogFixture('vzdump-pbs-job-prefixed-haos.log'),
    '106: 2024-11-20 01:31:40 INFO: Finished Backup of VM 106 (00:00:42)',
  ];
  assert.deepEqual(parseBackupResults(prefixed, [], 'ok'), { 106: { outcome: 'ok', durationSeconds: 42 } });
});

test('durations past a day keep counting hours, as vzdump prints them', () => {
  const lines = ['INFO: Starting Backup of VM 300 (qemu)', 'INFO: Finished Backup of VM 300 (26:03:09)'];
  assert.deepEqual(parseBackupResults(lines, [], 'ok'), { 300: { outcome: 'ok', durationSeconds: 26 * 3600 + 3 * 60 + 9 } });
});

test("a guest's own warnings are counted: its own WARNINGS: N, not the job's", () => {
  const lines = [
    'INFO: Starting Backup of VM 1 (qemu)',
    'WARN: first',
    'WARN: second',
    'INFO: Finished Backup of VM 1 (00:00:05)',
    'INFO: Starting Backup of VM 2 (qemu)',
    'WARN: third',
    'INFO: Finished Backup of VM 2 (00:01:00)',
  ];
  assert.deepEqual(parseBackupResults(lines, [1, 2], 'warnings'), {
    1: { outcome: 'warnings', message: 'first; second', warningCount: 2, durationSeconds: 5 },
    2: { outcome: 'warnings', message: 'third', warningCount: 1, durationSeconds: 60 },
  });
});

test('a warning before any guest starts belongs to no guest', () => {
  const lines = ['WARN: some job-level warning', 'INFO: Starting Backup of VM 1 (qemu)', 'INFO: Finished Backup of VM 1 (00:00:05)'];
  assert.deepEqual(parseBackupResults(lines, [1], 'warnings'), { 1: { outcome: 'ok', durationSeconds: 5 } });
});

test('guests the log says nothing about get the task outcome; the summary lists outcomes in a fixed order', () => {
  const results = parseBackupResults([], [5, 6], 'unknown');
  assert.deepEqual(results, { 5: { outcome: 'unknown' }, 6: { outcome: 'unknown' } });
  assert.equal(
    summarizeGuestResults({ 1: { outcome: 'failed' }, 2: { outcome: 'ok' }, 3: { outcome: 'ok' }, 4: { outcome: 'unknown' } }),
    '2 ok, 1 failed, 1 unknown',
  );
  assert.equal(summarizeGuestResults({}), '');
});
