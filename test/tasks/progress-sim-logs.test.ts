/**
 * The simulator's task logs through the same progress parser as the real ones: for each kind of task
 * the board shows progress for, a real log (test/fixtures/logs, each with its source) and the
 * simulator's log of the same kind must give the same kind of progress, read line by line as the
 * poller reads them: the same fields (percentage or none, bytes, throughput, ETA, phase, drive, guest)
 * while the work runs and when it ends. A simulator that drifted from the real formats fails here, not
 * in front of an operator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createProgressParser, type TaskProgress } from '../../src/tasks/progress.js';
import { readLogFixture } from '../fixtures/logs/read.js';
import { migrationHelpers, startTestSim, type TestSim } from '../sim/helpers.js';

/** What the board can show from a progress, without the values: which fields are there, and the phase. */
function kindOf(progress: TaskProgress): string {
  const fields = Object.entries(progress)
    .filter(([field, value]) => value !== undefined && field !== 'phase')
    .map(([field]) => field)
    .sort();
  return `${progress.phase ?? 'no phase'}: ${fields.join(', ') || 'nothing'}`;
}

/**
 * The kind of progress a log gives in the middle of its work (the middle one of the lines after which
 * some bytes are done and not all), and after its last line, read line by line as the poller reads.
 * The real fixtures are excerpts, so the middle is where they can be compared; `guest` and a migration's
 * `disk` counter are left out because an excerpt often starts inside the job, after the lines they come
 * from (progress-backups.test.ts and progress-migrations.test.ts check them on whole logs).
 */
function progressKinds(lines: readonly string[]): { working: string; end: string } {
  const parser = createProgressParser();
  const working: string[] = [];
  for (const line of lines) {
    parser.feed([line]);
    const { guest: _guest, disk: _disk, ...progress } = parser.progress();
    const done =
      progress.percent ?? (progress.bytesDone && progress.bytesTotal ? (100 * progress.bytesDone) / progress.bytesTotal : undefined);
    if (done !== undefined ? done > 0 && done < 100 : (progress.bytesDone ?? 0) > 0) working.push(kindOf(progress));
  }
  const { guest: _guest, disk: _disk, ...last } = parser.progress();
  return { working: working[Math.floor(working.length / 2)] ?? 'no work shown', end: kindOf(last) };
}

for (const pveVersion of [9, 8] as const)
  describe(`the simulator's logs (PVE ${pveVersion}) give the same kind of progress as real ones`, () => {
    let t: TestSim;
    const { other, migrate, run } = migrationHelpers(() => t);
    before(async () => {
      t = await startTestSim({ seed: 21, pveVersion });
    });
    after(() => t.close());

    const backupLog = async (node: string, form: Record<string, string | number>) => {
      const reply = await t.api(`/nodes/${node}/vzdump`, { method: 'POST', form });
      assert.equal(reply.status, 200, reply.reason);
      await t.waitTask(reply.json.data);
      return t.log(reply.json.data);
    };

    /** `whole`: the real fixture holds the task's end, so the kinds at the end compare too. */
    function assertSameKinds(simulated: readonly string[], real: string, { whole }: { whole: boolean }): void {
      const sim = progressKinds(simulated);
      const fixture = progressKinds(readLogFixture(real));
      assert.equal(sim.working, fixture.working, `while working, against ${real}:\n${simulated.join('\n')}`);
      if (whole) assert.equal(sim.end, fixture.end, `at the end, against ${real}`);
    }

    test('a VM backed up to local storage', async () => {
      const vm = t.sim.control.guestWithRole('runningQemu');
      assertSameKinds(await backupLog(vm.node, { vmid: vm.vmid, storage: 'local', compress: 'zstd' }), 'vzdump-local-haos.log', {
        whole: false,
      });
    });

    test('a VM backed up to Proxmox Backup Server with a new dirty bitmap', async () => {
      const vm = t.sim.control.guestWithRole('runningQemu');
      await t.run(t.clock.sleep(3600_000));
      assertSameKinds(await backupLog(vm.node, { vmid: vm.vmid, storage: 'pbs-backup' }), 'vzdump-pbs-bitmap-new-joulenap.log', {
        whole: true,
      });
    });

    test('a container backed up to a file in stop mode (tar, no percentage)', async () => {
      const ct = t.sim.control.guestWithRole('runningLxc');
      assertSameKinds(await backupLog(ct.node, { vmid: ct.vmid, storage: 'local', mode: 'stop' }), 'vzdump-lxc-stop-tar-zerolab.log', {
        whole: true,
      });
    });

    test('a container backed up to Proxmox Backup Server', async () => {
      const ct = t.sim.control.guests({ type: 'lxc', status: 'running' }).find((guest) => guest.roles.length === 0 && !guest.hastate)!;
      assertSameKinds(await backupLog(ct.node, { vmid: ct.vmid, storage: 'pbs-backup' }), 'vzdump-lxc-pbs-checkmk.log', { whole: false });
    });

    test('a VM migrated online with its local disks mirrored', async () => {
      const vm = t.sim.control.guestWithRole('multiDiskQemu');
      const { exitstatus, log } = await run(await migrate('qemu', vm, { target: other(vm.node), online: 1, 'with-local-disks': 1 }));
      assert.equal(exitstatus, 'OK');
      assertSameKinds(log, 'migrate-drive-mirror-pxvirt.log', { whole: false });
    });

    test('a VM on shared storage migrated online (the RAM phase only)', async () => {
      const vm = t.sim.control.guestWithRole('sharedDiskQemu');
      const { exitstatus, log } = await run(await migrate('qemu', vm, { target: other(vm.node), online: 1 }));
      assert.equal(exitstatus, 'OK');
      assertSameKinds(log, 'migrate-ram-completed-linstor.log', { whole: true });
    });
  });
