import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProgressLine, parseTaskProgress } from '../../src/tasks/progress.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const KiB = 1024;

// Real excerpts quoted verbatim in pve-api-facts.md "Samples: Task log excerpts".
const VZDUMP_PBS_MULTI_GUEST = `INFO:  89% (13.4 GiB of 15.0 GiB) in 1m 42s, read: 124.0 MiB/s, write: 124.0 MiB/s
INFO:  99% (14.9 GiB of 15.0 GiB) in 1m 54s, read: 237.3 MiB/s, write: 112.0 MiB/s
INFO: 100% (15.0 GiB of 15.0 GiB) in 1m 56s, read: 62.0 MiB/s, write: 2.0 MiB/s
INFO: backup is sparse: 3.20 GiB (21%) total zero data
INFO: backup was done incrementally, reused 3.20 GiB (21%)
INFO: transferred 15.00 GiB in 116 seconds (132.4 MiB/s)
INFO: Finished Backup of VM 100 (00:02:04)
INFO: Backup finished at 2026-09-06 09:19:05
INFO: Starting Backup of VM 101 (qemu)
INFO: Backup started at 2026-09-06 09:19:06
INFO: status = stopped`.split('\n');

const MIRROR = `mirror-scsi0: transferred 25.7 GiB of 32.0 GiB (80.26%) in 6m 14s
mirror-scsi0: transferred 25.8 GiB of 32.0 GiB (80.55%) in 6m 15s
mirror-scsi0: transferred 26.0 GiB of 32.0 GiB (81.33%) in 6m 19s`.split('\n');

const MIRROR_PVE5 = `drive mirror is starting for drive-scsi0
drive-scsi0: transferred: 2162688 bytes remaining: 8587771904 bytes total: 8589934592 bytes progression: 0.03 % busy: 1 ready: 0
drive-scsi0: transferred: 1338572800 bytes remaining: 7251361792 bytes total: 8589934592 bytes progression: 15.58 % busy: 1 ready: 0
all mirroring jobs are ready`.split('\n');

test('vzdump (current format): the latest percentage and sizes of the guest being backed up', () => {
  const firstGuest = VZDUMP_PBS_MULTI_GUEST.slice(0, 8);
  assert.deepEqual(parseTaskProgress(firstGuest), {
    percent: 100,
    bytesDone: 15 * GiB,
    bytesTotal: 15 * GiB,
  });
  assert.deepEqual(parseTaskProgress(VZDUMP_PBS_MULTI_GUEST.slice(0, 2)), {
    percent: 99,
    bytesDone: Math.round(14.9 * GiB),
    bytesTotal: 15 * GiB,
  });
});

test('multi-guest vzdump: a new guest with no progress line yet has no progress', () => {
  assert.deepEqual(parseTaskProgress(VZDUMP_PBS_MULTI_GUEST), {});
  const next = [...VZDUMP_PBS_MULTI_GUEST, 'INFO:   3% (1.0 GiB of 32.0 GiB) in 3s, read: 341.3 MiB/s, write: 0 B/s'];
  assert.deepEqual(parseTaskProgress(next), { percent: 3, bytesDone: GiB, bytesTotal: 32 * GiB });
});

test('lines that mention sizes or percentages but are not progress are ignored', () => {
  for (const line of VZDUMP_PBS_MULTI_GUEST.slice(3)) assert.equal(parseProgressLine(line), undefined, line);
  assert.equal(parseProgressLine('TASK OK'), undefined);
  assert.equal(parseProgressLine('all mirroring jobs are ready'), undefined);
  assert.equal(parseProgressLine('2026-01-01 10:00:01 average migration speed: 95.2 MiB/s - downtime 45 ms'), undefined);
});

test('vzdump, the two older generations', () => {
  assert.deepEqual(parseTaskProgress(['INFO: status: 12% (1234567/10000000), sparse 3% (123), duration 5, read/write 200/150 MB/s']), {
    percent: 12,
    bytesDone: 1234567,
    bytesTotal: 10000000,
  });
  assert.deepEqual(parseTaskProgress(['INFO: status: 12% (1.2 GiB of 10.0 GiB), duration 5, read: 200.0 MiB/s, write: 150.0 MiB/s']), {
    percent: 12,
    bytesDone: Math.round(1.2 * GiB),
    bytesTotal: 10 * GiB,
  });
  assert.deepEqual(parseTaskProgress(['INFO:   0% (0 B of 10.0 GiB) in 1s, read: 0 B/s, write: 0 B/s']), {
    percent: 0,
    bytesDone: 0,
    bytesTotal: 10 * GiB,
  });
});

test('block-job mirror, newer form', () => {
  assert.deepEqual(parseTaskProgress(MIRROR), {
    percent: 81.33,
    bytesDone: 26 * GiB,
    bytesTotal: 32 * GiB,
  });
  assert.deepEqual(parseTaskProgress(MIRROR.slice(0, 1)), {
    percent: 80.26,
    bytesDone: Math.round(25.7 * GiB),
    bytesTotal: 32 * GiB,
  });
  assert.deepEqual(parseTaskProgress(['drive-scsi0: transferred 32.0 GiB of 32.0 GiB (100.00%) in 7m 2s, ready']), {
    percent: 100,
    bytesDone: 32 * GiB,
    bytesTotal: 32 * GiB,
  });
});

test('block-job mirror, PVE 5 form', () => {
  assert.deepEqual(parseTaskProgress(MIRROR_PVE5), {
    percent: 15.58,
    bytesDone: 1338572800,
    bytesTotal: 8589934592,
  });
  assert.deepEqual(parseTaskProgress(MIRROR_PVE5.slice(0, 2)), {
    percent: 0.03,
    bytesDone: 2162688,
    bytesTotal: 8589934592,
  });
});

test('qemu-img copy of a stopped guest', () => {
  assert.deepEqual(parseTaskProgress(['transferred 1.2 GiB of 32.0 GiB (3.75%)']), {
    percent: 3.75,
    bytesDone: Math.round(1.2 * GiB),
    bytesTotal: 32 * GiB,
  });
});

test('live migration: the percentage comes from the bytes, capped at 100', () => {
  const lines = [
    '2026-01-01 10:00:00 starting online/live migration on unix:/run/qemu-server/100.migrate',
    '2026-01-01 10:00:01 migration active, transferred 1.2 GiB of 8.0 GiB VM-state, 110.3 MiB/s',
    '2026-01-01 10:00:02 migration active, transferred 2.0 GiB of 8.0 GiB VM-state, 110.3 MiB/s (+ 12.0 MiB VFIO-state), VM dirties lots of memory: 300.0 MiB/s',
  ];
  assert.deepEqual(parseTaskProgress(lines), { percent: 25, bytesDone: 2 * GiB, bytesTotal: 8 * GiB });
  assert.deepEqual(parseTaskProgress(['2026-01-01 10:00:09 migration active, transferred 8.5 GiB of 8.0 GiB VM-state, 1.0 GiB/s']), {
    percent: 100,
    bytesDone: Math.round(8.5 * GiB),
    bytesTotal: 8 * GiB,
  });
});

test('every unit from B to PiB', () => {
  const cases: Array<[string, number]> = [
    ['512 B', 512],
    ['1.5 KiB', 1.5 * KiB],
    ['2.0 MiB', 2 * MiB],
    ['3.0 GiB', 3 * GiB],
    ['1.0 TiB', 1024 ** 4],
    ['1.0 PiB', 1024 ** 5],
  ];
  for (const [text, value] of cases) {
    assert.equal(parseProgressLine(`transferred ${text} of 2.0 PiB (1.00%)`)?.bytesDone, Math.round(value), text);
  }
});

test('no lines, or none with progress, give no progress', () => {
  assert.deepEqual(parseTaskProgress([]), {});
  assert.deepEqual(parseTaskProgress(['starting task', 'TASK OK']), {});
  assert.deepEqual(parseTaskProgress(['no content']), {});
});
