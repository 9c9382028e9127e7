/**
 * Progress of migrations as the maintenance actions launch them: a container's restart migration (its
 * stages and its copy), and a VM's live migration with its local disks mirrored one after the other and
 * then its RAM, read line by line as the board reads a log that grows (the simulator writes the lines
 * in qemu-server's formats for PVE 9 and 8).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createProgressParser, type TaskProgress } from '../../src/tasks/progress.js';
import { linesUpTo, logFixtureHeader, progressOf, readLogFixture as log } from '../fixtures/logs/read.js';
import { migrationHelpers, startTestSim, type TestSim } from '../sim/helpers.js';

const GiB = 1024 ** 3;

test("a container's restart migration: shutting down, its volume copied (bytes, no percentage), starting on the target", () => {
  const name = 'migrate-lxc-restart-constructed.log';
  assert.match(logFixtureHeader(name)[0]!, /^# Constructed/);
  assert.deepEqual(progressOf(linesUpTo(name, 'shutdown CT 104')), { phase: 'shutdown' });
  assert.deepEqual(progressOf(linesUpTo(name, 'starting migration of CT 104')), { phase: 'shutdown' }, 'nothing measured yet');
  assert.deepEqual(progressOf(linesUpTo(name, '3221225472 bytes')), {
    bytesDone: 3 * GiB,
    bytesPerSecond: Math.round((3 * GiB) / 9),
    phase: 'copy',
  });
  const end = progressOf(log(name));
  assert.equal(end.phase, 'start');
  assert.equal(end.bytesDone, 8 * GiB, 'the copy that was made stays stated');
  assert.equal(end.percent, undefined, 'PVE prints no percentage for the copy: none is invented');
});

/** `lines` up to and including the `nth` one containing `text`. */
function upTo(lines: readonly string[], text: string, nth = 1): string[] {
  let seen = 0;
  const index = lines.findIndex((line) => line.includes(text) && ++seen === nth);
  assert.ok(index >= 0, `a line with ${text}`);
  return lines.slice(0, index + 1);
}

/** The progress after each line of `lines`, fed one page at a time as the log tail reads it. */
function progressSteps(lines: readonly string[], page = 7): TaskProgress[] {
  const parser = createProgressParser();
  const out: TaskProgress[] = [];
  for (let start = 0; start < lines.length; start += page) {
    parser.feed(lines.slice(start, start + page));
    out.push(parser.progress());
  }
  return out;
}

for (const pveVersion of [9, 8] as const) {
  describe(`a live migration with three local disks mirrored in turn, then the RAM (PVE ${pveVersion})`, () => {
    let t: TestSim;
    let lines: string[];
    let disks: Array<{ key: string; size: number }>;
    const job = pveVersion === 9 ? 'mirror' : 'drive';
    before(async () => {
      t = await startTestSim({ seed: 31, speed: 8, pveVersion });
      const { other, migrate, run } = migrationHelpers(() => t);
      const vm = t.sim.control.guestWithRole('multiDiskQemu');
      disks = vm.disks.map((disk) => ({ key: disk.key, size: disk.size }));
      const result = await run(await migrate('qemu', vm, { target: other(vm.node), online: 1, 'with-local-disks': 1 }));
      assert.equal(result.exitstatus, 'OK');
      lines = result.log;
    });
    after(() => t.close());

    test('while the second disk copies, the first counts whole: weighed by size, never back to 0', () => {
      const total = disks.reduce((sum, disk) => sum + disk.size, 0);
      const first = disks.find((disk) => disk.key === 'scsi0')!;
      const during = progressOf(upTo(lines, `${job}-scsi1: transferred`, 2));
      assert.equal(during.item, `${job}-scsi1`);
      assert.equal(during.phase, 'disk');
      assert.equal(during.bytesTotal, first.size + disks.find((disk) => disk.key === 'scsi1')!.size, 'the disks announced so far');
      assert.ok(during.percent! > (first.size / total) * 100 * 0.99 - 1, `scsi0 done is counted (${during.percent} %)`);
      assert.ok(during.bytesDone! >= first.size, 'scsi0 whole, plus what scsi1 has');
    });

    test('each disk says which of the three it is; within a disk the percentage only grows; the RAM phase ends at 100 %', () => {
      const steps = progressSteps(lines);
      const ram = steps.findIndex((step) => step.phase === 'memory');
      assert.ok(ram > 0, 'the RAM phase is reported');
      const mirroring = steps.slice(0, ram).filter((step) => step.phase === 'disk');
      assert.deepEqual(
        [...new Set(mirroring.map((step) => `${step.item} ${step.disk?.index} of ${step.disk?.count}`))],
        [`${job}-scsi0 1 of 3`, `${job}-scsi1 2 of 3`, `${job}-scsi2 3 of 3`],
      );
      for (let i = 1; i < mirroring.length; i++) {
        if (mirroring[i]!.item !== mirroring[i - 1]!.item) continue;
        assert.ok(mirroring[i]!.percent! >= mirroring[i - 1]!.percent!, `${mirroring[i - 1]!.percent} -> ${mirroring[i]!.percent}`);
      }
      assert.ok(steps.slice(ram).every((step) => step.phase === 'memory'));
      const end = steps.at(-1)!;
      assert.equal(end.percent, 100);
      assert.equal(end.etaSeconds, 0);
      const vmMemory = t.sim.control.guestWithRole('multiDiskQemu').maxmem;
      assert.equal(end.bytesTotal, disks.reduce((sum, disk) => sum + disk.size, 0) + vmMemory);
    });
  });
}
