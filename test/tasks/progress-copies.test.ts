/**
 * Progress on real migration, clone, disk move, restore and snapshot logs (test/fixtures/logs: each
 * file names its source; the few constructed from PVE's format strings where no real sample was found
 * say so). Each test asserts what the board would show after a given line: the percentage (or its
 * absence), the bytes, throughput, and ETA.
 * PVE rounds sizes to 0.1 of a unit, so expected bytes are PVE's numbers times the unit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linesUpTo, progressOf, readLogFixture as log } from '../fixtures/logs/read.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

// --- migration ------------------------------------------------------------------------------------------

test('PVE 6 migration status lines: the RAM on the target is the total minus what remains', () => {
  const name = 'migrate-pve6-status-telmate.log';
  // (554508288 - 155041792) / 554508288 = 72.04 %; one status line gives no rate, so no ETA.
  assert.deepEqual(progressOf(linesUpTo(name, 'migration status: active')), {
    percent: 72.04,
    bytesDone: 399466496,
    bytesTotal: 554508288,
    phase: 'memory',
  });
  assert.deepEqual(progressOf(log(name)), { percent: 100, bytesDone: 554508288, bytesTotal: 554508288, etaSeconds: 0, phase: 'memory' });
});

test('migration RAM phase, current format: percentage from the bytes, the stated speed, ETA from the speed', () => {
  const name = 'migrate-ram-ha-diskless.log';
  // 1.3 of 4.0 GiB = 32.5 %; 2.7 GiB left at 502.5 MiB/s = 5.5 s.
  assert.deepEqual(progressOf(linesUpTo(name, 'transferred 1.3 GiB')), {
    percent: 32.5,
    bytesDone: Math.round(1.3 * GiB),
    bytesTotal: 4 * GiB,
    bytesPerSecond: Math.round(502.5 * MiB),
    etaSeconds: 6,
    phase: 'memory',
  });
  // `migration status: completed` ends the RAM phase even though the last line said 2.5 of 4.0 GiB.
  const end = progressOf(log(name));
  assert.equal(end.percent, 100);
  assert.equal(end.bytesDone, 4 * GiB);
  assert.equal(end.etaSeconds, 0);
});

test('`migration completed, transferred N VM-state` completes the RAM phase below the RAM size', () => {
  const name = 'migrate-ram-completed-linstor.log';
  // 10.6 of 12.6 GiB = 84.13 %; 15.87 % of 12.6 GiB left at 1.0 GiB/s = 2.0 s.
  assert.deepEqual(progressOf(linesUpTo(name, 'transferred 10.6 GiB')), {
    percent: 84.13,
    bytesDone: Math.round(10.6 * GiB),
    bytesTotal: Math.round(12.6 * GiB),
    bytesPerSecond: GiB,
    etaSeconds: 2,
    phase: 'memory',
  });
  const end = progressOf(log(name));
  assert.equal(end.percent, 100);
  assert.equal(end.bytesDone, Math.round(11.7 * GiB));
  assert.equal(end.bytesTotal, Math.round(12.6 * GiB));
});

test('offline disk copy of a migration (pvesm export | import): dd byte counts, no percentage', () => {
  // 4521984 bytes in 0.154846 s on the last dd line.
  assert.deepEqual(progressOf(log('migrate-local-copy-dd-pxvirt.log')), {
    bytesDone: 4521984,
    bytesPerSecond: Math.round(4521984 / 0.154846),
    phase: 'copy',
  });
});

test('live migration mirroring a local disk (drive- prefix): the block job with its ETA', () => {
  // 51.89 % after 1m 25s = 85 s: 85 × 48.11 / 51.89 = 78.8 s left; 15.6 GiB / 85 s.
  assert.deepEqual(progressOf(log('migrate-drive-mirror-pxvirt.log')), {
    percent: 51.89,
    bytesDone: Math.round(15.6 * GiB),
    bytesTotal: 30 * GiB,
    bytesPerSecond: Math.round((15.6 * GiB) / 85),
    etaSeconds: 79,
    phase: 'disk',
    item: 'drive-scsi0',
  });
});

test('migrations before their first progress line (remote, replicated, offline ZFS send) show none', () => {
  assert.deepEqual(progressOf(log('migrate-remote-preamble-truenas.log')), {});
  assert.deepEqual(progressOf(log('migrate-ha-replicated-openccu.log')), {});
  // zfs send names an estimated size, but PVE prints no percentage for the copy: none is invented.
  assert.deepEqual(progressOf(log('migrate-remote-offline-zfs-proxcenter.log')), {});
});

test('two disks mirrored at once (constructed): weighed by size, then the RAM phase joins', () => {
  const name = 'migrate-two-disks-constructed.log';
  // 10 % of 100 GiB and 75 % of 4 GiB: (10 × 100 + 75 × 4) / 104 = 12.5 %, not 75 %.
  // Both after 50 s: 13 GiB / 50 s together; 91 GiB left at that pace = 350 s.
  assert.deepEqual(progressOf(linesUpTo(name, '(75.00%)')), {
    percent: 12.5,
    bytesDone: 13 * GiB,
    bytesTotal: 104 * GiB,
    bytesPerSecond: Math.round((13 * GiB) / 50),
    etaSeconds: 350,
    phase: 'disk',
    item: 'drive-scsi1',
    disk: { index: 2, count: 2 },
  });
  // Disks done, RAM 6.0 of 8.0 GiB: (100 × 100 + 100 × 4 + 75 × 8) / 112 = 98.21 %; 2 GiB at 1.2 GiB/s = 1.7 s.
  assert.deepEqual(progressOf(linesUpTo(name, 'transferred 6.0 GiB')), {
    percent: 98.21,
    bytesDone: 110 * GiB,
    bytesTotal: 112 * GiB,
    bytesPerSecond: Math.round(1.2 * GiB),
    etaSeconds: 2,
    phase: 'memory',
  });
  assert.equal(progressOf(log(name)).percent, 100);
});

// --- clone and move disk --------------------------------------------------------------------------------

test('moving a running disk (mirror- prefix): percentage, elapsed-time ETA, then done', () => {
  // 84.33 % after 6m 34s = 394 s: 394 × 15.67 / 84.33 = 73.2 s left.
  assert.deepEqual(progressOf(log('move-disk-mirror-moosefs-running.log')), {
    percent: 84.33,
    bytesDone: 27 * GiB,
    bytesTotal: 32 * GiB,
    bytesPerSecond: Math.round((27 * GiB) / 394),
    etaSeconds: 73,
    phase: 'disk',
    item: 'mirror-scsi0',
  });
  const end = progressOf(log('move-disk-mirror-moosefs-complete.log'));
  assert.equal(end.percent, 100);
  assert.equal(end.etaSeconds, 0);
});

test('PVE 5 clone: a finished disk whose line repeats does not make the task 100 %', () => {
  const name = 'clone-pve5-two-disks-freenas.log';
  // The log ends a poll with the EFI disk's repeated 100 % line; the 8 GiB disk is at 0.03 %:
  // (100 × 131072 + 0.03 × 8589934592) / (131072 + 8589934592) = 0.30 %.
  const early = progressOf(linesUpTo(name, 'drive-efidisk0: transferred', 4));
  assert.deepEqual(early, {
    percent: 0.03,
    bytesDone: 131072 + 2162688,
    bytesTotal: 131072 + 8589934592,
    phase: 'disk',
    item: 'drive-scsi0',
    disk: { index: 2 },
  });
  assert.deepEqual(progressOf(log(name)), {
    percent: 33.73,
    bytesDone: 131072 + 2897018880,
    bytesTotal: 131072 + 8589934592,
    phase: 'disk',
    item: 'drive-scsi0',
    disk: { index: 2 },
  });
});

test('clone of a stopped VM (constructed): qemu-img copies one disk after the other, weighed by size', () => {
  // 100 % of 4 MiB and 10 % of 100 GiB: (100 × 4 MiB + 10 × 100 GiB) / (4 MiB + 100 GiB) = 10.00 %.
  assert.deepEqual(progressOf(log('clone-stopped-qemu-img-constructed.log')), {
    percent: 10,
    bytesDone: 4 * MiB + 10 * GiB,
    bytesTotal: 4 * MiB + 100 * GiB,
    phase: 'disk',
    item: 'scsi0',
  });
});

// --- restores -------------------------------------------------------------------------------------------

test('qmrestore of a .vma with two disks: the total is the sum of the DEV sizes', () => {
  // 540672 + 21474844672 bytes; 12 % after 1 s: 1 × 88 / 12 = 7.3 s left.
  assert.deepEqual(progressOf(log('qmrestore-vma-linstor.log')), {
    percent: 12,
    bytesDone: 2577072128,
    bytesTotal: 540672 + 21474844672,
    bytesPerSecond: 2577072128,
    etaSeconds: 7,
    phase: 'restore',
  });
});

test('qmrestore of a .vma.zst: no rate and no ETA while the duration is still 0 s', () => {
  const name = 'qmrestore-vma-zst-nixos.log';
  assert.deepEqual(progressOf(linesUpTo(name, 'progress 8%')), {
    percent: 8,
    bytesDone: 246677504,
    bytesTotal: 3082813440,
    phase: 'restore',
  });
  // 13 % after 1 s: 87 / 13 = 6.7 s left.
  assert.deepEqual(progressOf(log(name)), {
    percent: 13,
    bytesDone: 400818176,
    bytesTotal: 3082813440,
    bytesPerSecond: 400818176,
    etaSeconds: 7,
    phase: 'restore',
  });
});

test('qmrestore of a .vma.lzo over two minutes', () => {
  // 20 % after 137 s: 137 × 80 / 20 = 548 s left; 27273068544 bytes / 137 s.
  assert.deepEqual(progressOf(log('qmrestore-vma-lzo-forum.log')), {
    percent: 20,
    bytesDone: 27273068544,
    bytesTotal: 136365211648,
    bytesPerSecond: Math.round(27273068544 / 137),
    etaSeconds: 548,
    phase: 'restore',
  });
});

test('pbs-restore: the image being restored, its percentage, then its size from the summary', () => {
  const name = 'pbs-restore-martinkaltoft.log';
  assert.deepEqual(progressOf(linesUpTo(name, 'progress 1%')), { percent: 1, bytesDone: 130023424, phase: 'restore', item: 'drive-scsi0' });
  assert.deepEqual(progressOf(linesUpTo(name, 'progress 100%')), {
    percent: 100,
    bytesDone: 12884901888,
    bytesPerSecond: Math.round(12884901888 / 94),
    etaSeconds: 0,
    phase: 'restore',
    item: 'drive-scsi0',
  });
  // restore image complete (bytes=12884901888, duration=94.68s)
  assert.deepEqual(progressOf(log(name)), {
    percent: 100,
    bytesDone: 12884901888,
    bytesTotal: 12884901888,
    bytesPerSecond: Math.round(12884901888 / 94.68),
    etaSeconds: 0,
    phase: 'restore',
    item: 'drive-scsi0',
  });
  assert.deepEqual(progressOf(log('pbs-restore-failed-pxvirt.log')), {});
});

// --- snapshot with RAM -----------------------------------------------------------------------------------

test('snapshot with RAM (constructed): the state saved so far in bytes, no percentage', () => {
  const name = 'snapshot-vmstate-constructed.log';
  assert.deepEqual(progressOf(linesUpTo(name, 'GiB in 4s')), {
    bytesDone: Math.round(2.93 * GiB),
    bytesPerSecond: Math.round(Math.round(2.93 * GiB) / 4),
    phase: 'vmstate',
  });
  assert.deepEqual(progressOf(log(name)), {
    bytesDone: Math.round(3.2 * GiB),
    bytesPerSecond: Math.round(Math.round(3.2 * GiB) / 5),
    phase: 'vmstate',
  });
});
