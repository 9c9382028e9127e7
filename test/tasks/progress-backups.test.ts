/**
 * Progress on real vzdump logs (test/fixtures/logs: each file names its source; the few constructed from
 * PVE's format strings where no real sample was found say so). Each test asserts what the board would
 * show after a given line: the percentage (or its absence), the bytes, throughput, ETA and the guest.
 * PVE rounds sizes to 0.1 of a unit, so expected bytes are PVE's numbers times the unit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linesUpTo, progressOf, readLogFixture as log } from '../fixtures/logs/read.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

// --- vzdump, QEMU guests -------------------------------------------------------------------------------

test('vzdump to PBS, current format: percentage, bytes, the stated read rate and an ETA from the elapsed time', () => {
  // 89 % after 1m 42s = 102 s: 102 × 11 / 89 = 12.6 s left.
  assert.deepEqual(progressOf(linesUpTo('vzdump-pbs-job-joulenap.log', ' 89%')), {
    percent: 89,
    bytesDone: Math.round(13.4 * GiB),
    bytesTotal: 15 * GiB,
    bytesPerSecond: 124 * MiB,
    etaSeconds: 13,
    phase: 'backup',
  });
});

test('multi-guest vzdump job: once the next guest starts, the progress is that guest and none yet', () => {
  // The excerpt starts inside the job, so the job's guest list (and count) is not in it.
  assert.deepEqual(progressOf(log('vzdump-pbs-job-joulenap.log')), { guest: { vmid: 101, index: 1 } });
});

test('vzdump to PBS with a new dirty bitmap: a full read, not marked as changed data only', () => {
  // 46 % after 16 s: 16 × 54 / 46 = 18.8 s left; read: 1.4 GiB/s.
  assert.deepEqual(progressOf(linesUpTo('vzdump-pbs-bitmap-new-joulenap.log', ' 46%')), {
    percent: 46,
    bytesDone: Math.round(9.2 * GiB),
    bytesTotal: 20 * GiB,
    bytesPerSecond: Math.round(1.4 * GiB),
    etaSeconds: 19,
    phase: 'backup',
  });
  const end = progressOf(log('vzdump-pbs-bitmap-new-joulenap.log'));
  assert.equal(end.percent, 100);
  assert.equal(end.etaSeconds, 0);
  assert.equal(end.changedDataOnly, undefined);
});

test('vzdump to local storage, a one-guest job: the guest is 1 of 1', () => {
  // 17 % after 15 s: 15 × 83 / 17 = 73.2 s left; read: 113.6 MiB/s.
  assert.deepEqual(progressOf(log('vzdump-local-haos.log')), {
    percent: 17,
    bytesDone: Math.round(5.5 * GiB),
    bytesTotal: 32 * GiB,
    bytesPerSecond: Math.round(113.6 * MiB),
    etaSeconds: 73,
    phase: 'backup',
    guest: { vmid: 105, index: 1, count: 1 },
  });
});

test('vzdump, a long run: the elapsed time in minutes, 100 % and nothing left', () => {
  assert.deepEqual(progressOf(log('vzdump-local-hestia.log')), {
    percent: 100,
    bytesDone: 64 * GiB,
    bytesTotal: 64 * GiB,
    bytesPerSecond: Math.round(25.4 * MiB),
    etaSeconds: 0,
    phase: 'backup',
  });
});

test('vzdump job lines with a guest id and timestamp in front are read the same', () => {
  assert.deepEqual(progressOf(log('vzdump-pbs-job-prefixed-haos.log')), { guest: { vmid: 106, index: 1 } });
});

test('failed vzdump to PBS: no progress line, no percentage', () => {
  assert.deepEqual(progressOf(log('vzdump-pbs-failed-check-pve.log')), {});
  assert.deepEqual(progressOf(log('vzdump-pbs-failed-pxvirt.log')), { guest: { vmid: 400, index: 1, count: 1 } });
});

test('vzdump as PVE 5 and 6.1 print it (constructed): exact byte counts and the MB/s rate', () => {
  // 51 % after 62 s: 62 × 49 / 51 = 59.6 s left; read 290 MB/s (decimal megabytes).
  assert.deepEqual(progressOf(linesUpTo('vzdump-old-status-constructed.log', 'status: 51%')), {
    percent: 51,
    bytesDone: 17628069888,
    bytesTotal: 34359738368,
    bytesPerSecond: 290_000_000,
    etaSeconds: 60,
    phase: 'backup',
    guest: { vmid: 100, index: 1, count: 1 },
  });
});

test('incremental vzdump to PBS (constructed, 2020 format): the percentage is of the changed data, and says so', () => {
  // 31 % of the 6.4 GiB dirty (not of the 200 GiB disk) after 9 s: 9 × 69 / 31 = 20.0 s left.
  assert.deepEqual(progressOf(linesUpTo('vzdump-2020-pbs-constructed.log', 'status: 31%')), {
    percent: 31,
    bytesDone: 2 * GiB,
    bytesTotal: Math.round(6.4 * GiB),
    bytesPerSecond: Math.round(227.6 * MiB),
    etaSeconds: 20,
    phase: 'backup',
    changedDataOnly: true,
    guest: { vmid: 104, index: 1 },
  });
});

test('a three-guest job (constructed): each guest in turn, its own percentage, changed-data flag only where it applies', () => {
  const name = 'vzdump-job-ok-warn-fail-constructed.log';
  // Guest 101, incremental: 55 % after 16 s, 16 × 45 / 55 = 13.1 s left.
  assert.deepEqual(progressOf(linesUpTo(name, ' 55%')), {
    percent: 55,
    bytesDone: Math.round(5.5 * GiB),
    bytesTotal: 10 * GiB,
    bytesPerSecond: Math.round(354.5 * MiB),
    etaSeconds: 13,
    phase: 'backup',
    changedDataOnly: true,
    guest: { vmid: 101, index: 1, count: 3 },
  });
  // Guest 102, a new bitmap: 12 % after 9 s, 9 × 88 / 12 = 66 s left.
  assert.deepEqual(progressOf(linesUpTo(name, ' 12%')), {
    percent: 12,
    bytesDone: Math.round(3.9 * GiB),
    bytesTotal: 32 * GiB,
    bytesPerSecond: Math.round(443.6 * MiB),
    etaSeconds: 66,
    phase: 'backup',
    guest: { vmid: 102, index: 2, count: 3 },
  });
  assert.deepEqual(progressOf(log(name)), { guest: { vmid: 103, index: 3, count: 3 } });
});

// --- vzdump, containers: no percentage -------------------------------------------------------------------

test('container backup in stop mode: tar states bytes and a rate, never a percentage', () => {
  const name = 'vzdump-lxc-stop-tar-zerolab.log';
  assert.deepEqual(progressOf(linesUpTo(name, 'creating vzdump archive')), { guest: { vmid: 999, index: 1, count: 1 } });
  assert.deepEqual(progressOf(log(name)), {
    bytesDone: 878131200,
    bytesPerSecond: 82 * MiB,
    phase: 'backup',
    guest: { vmid: 999, index: 1, count: 1 },
  });
});

test('container backup in suspend mode: the rsync passes state bytes, no percentage', () => {
  const name = 'vzdump-lxc-suspend-rsync-rclone.log';
  // rsync -h counts in powers of 1000: 2.74G = 2 740 000 000 bytes in 25 s.
  assert.deepEqual(progressOf(linesUpTo(name, 'first sync finished')), {
    bytesDone: 2_740_000_000,
    bytesPerSecond: 109_600_000,
    phase: 'copy',
    guest: { vmid: 102, index: 1, count: 1 },
  });
  assert.deepEqual(progressOf(log(name)), { bytesDone: 0, phase: 'copy', guest: { vmid: 102, index: 1, count: 1 } });
});

test('a two-guest job starting with a container: guest 1 of 2, nothing measured yet', () => {
  assert.deepEqual(progressOf(log('vzdump-lxc-suspend-job-pimox.log')), { guest: { vmid: 100, index: 1, count: 2 } });
});

test('container backup to PBS in a vzdump log file (file name and timestamp before each line)', () => {
  assert.deepEqual(progressOf(log('vzdump-lxc-pbs-checkmk.log')), { guest: { vmid: 800, index: 1 } });
});
