// A backup job of several guests on one node, through the real command on the simulator: each guest's
// `finished` event carries its own outcome, exit status and duration from the job's log, not the job's
// `job errors` and its whole time.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLaunchCommand } from '../../src/cli/commands/launch.js';
import { startSimulator } from '../../src/sim/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { fakeIo } from './fake-io.js';

/** `00:01:05` as the log prints a guest's time, in seconds. */
const hms = (text: string) => text.split(':').reduce((sum, part) => sum * 60 + Number(part), 0);

test('per-guest results of one vzdump job: own outcome, own exit status, own duration', async () => {
  const clock = new ManualClock();
  // Seed 5 puts the guest whose backup warns and the one whose backup fails on one node.
  const sim = await startSimulator({ clock, nodes: 3, guests: 40, seed: 5, unauthorizedDelayMs: 0 });
  try {
    const warns = sim.control.guestWithRole('backupWarnings');
    const fails = sim.control.guestWithRole('backupFails');
    assert.equal(warns.node, fails.node);
    const plain = sim.control.guests({ node: warns.node }).find((guest) => guest.roles.length === 0 && !guest.template)!;
    const vmids = [plain.vmid, warns.vmid, fails.vmid];
    const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-backup-'));
    const io = fakeIo({
      env: { PROXMOX_VE_ENDPOINT: sim.url, PROXMOX_VE_API_TOKEN: sim.token, PVETASKS_STATE_DIR: stateDir },
      cwd: stateDir,
    });
    const code = await clock.runUntil(createLaunchCommand('backup', { clock })([...vmids.map(String), '--storage', 'local', '--json'], io));
    assert.equal(code, 1, 'one guest failed');

    const job = sim.control.tasks({ type: 'vzdump' }).find((task) => task.node === warns.node && task.id === '')!;
    assert.equal(job.exitStatus, 'job errors');
    const log = sim.control.task(job.upid)!.log;
    const ownTime = (vmid: number) =>
      hms(log.map((line) => new RegExp(`Finished Backup of VM ${vmid} \\((.+)\\)`).exec(line)?.[1]).find(Boolean)!);
    const warnLines = (() => {
      const from = log.findIndex((line) => line.includes(`Starting Backup of VM ${warns.vmid} `));
      const to = log.findIndex((line) => line.includes(`Finished Backup of VM ${warns.vmid} `));
      return log.slice(from, to).filter((line) => line.startsWith('WARN: ')).length;
    })();
    assert.ok(warnLines >= 1);
    const jobSeconds = (job.endedAt! - job.startedAt) / 1000;

    const finished = new Map(
      io.stdout
        .json()
        .filter((event) => event.event === 'finished')
        .map((event) => [event.vmid, event]),
    );
    const ok = finished.get(plain.vmid)!;
    assert.equal(ok.outcome, 'ok');
    assert.equal(ok.exitstatus, 'OK');
    assert.equal(ok.duration_s, ownTime(plain.vmid));

    const warned = finished.get(warns.vmid)!;
    assert.equal(warned.outcome, 'warnings');
    assert.equal(warned.exitstatus, `WARNINGS: ${warnLines}`);
    assert.equal(warned.duration_s, ownTime(warns.vmid));

    const failed = finished.get(fails.vmid)!;
    assert.equal(failed.outcome, 'failed');
    const reason = log.map((line) => new RegExp(`^ERROR: Backup of VM ${fails.vmid} failed - (.*)$`).exec(line)?.[1]).find(Boolean)!;
    assert.equal(failed.exitstatus, reason);
    assert.equal(failed.message, reason);
    assert.ok(Number(failed.duration_s) < jobSeconds, `its own ${failed.duration_s}s, not the job's ${jobSeconds}s`);

    for (const event of finished.values()) {
      assert.equal(event.upid, job.upid, "the guests share the job's UPID");
      assert.notEqual(event.exitstatus, 'job errors');
      assert.ok(Number(event.duration_s) < jobSeconds);
    }
    assert.deepEqual(io.stdout.json().at(-1), { event: 'summary', ok: 1, warnings: 1, failed: 1, timeout: 0, unknown: 0, skipped: 0 });
  } finally {
    await sim.close();
  }
});
