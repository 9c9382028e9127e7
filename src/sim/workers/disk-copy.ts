/**
 * How PVE moves disk contents, in its log formats:
 * - a block-job mirror of a running VM's drive (qemu-server QemuServer/BlockJob.pm `monitor`): one
 *   line per unfinished job each second, sorted by job id, `<job>: transferred X of Y (P%) in D`, a
 *   last one with `, ready`, then `all 'mirror' jobs are ready` once every job is;
 * - an offline copy through `pvesm export | pvesm import` (pve-storage Storage.pm `storage_migrate`):
 *   dd's byte counts from both ends (its progress lines thinned out by PVE to every 3, 10 or 30 s),
 *   no percentage, then `successfully imported '<volid>'`.
 */
import type { TaskWorker, WorkerContext } from '../engine.js';
import { renderBytes, renderDdStats, renderDuration } from '../format.js';
import type { DiskState } from '../model.js';
import { MiB } from './common.js';

/** A mirror job in flight: its drive, size and how fast it copies (bytes/s). */
export interface MirrorJob {
  id: string;
  drive: DiskState;
  /** Nominal seconds the initial copy takes. */
  seconds: number;
  startedAt: number;
  /** Ready jobs are no longer printed (BlockJob.pm prints a job only until it is ready). */
  ready: boolean;
}

/** At most this many progress lines per job: PVE prints one a second, the simulator thins long copies. */
const MAX_LINES = 40;

/**
 * Starts mirroring `drive` and monitors every job in `jobs` until all are ready (completion `skip`,
 * as a migration does before the RAM phase). Jobs already ready stay silent, so the disks of a
 * migration are printed one after the other.
 */
export function* mirrorUntilReady(ctx: WorkerContext, jobs: MirrorJob[], drive: DiskState): TaskWorker {
  const seconds = Math.max(2, Math.round(drive.size / (ctx.rng.range(150, 600) * MiB)));
  const job: MirrorJob = { id: ctx.engine.dialect.mirrorJob(drive.key), drive, seconds, startedAt: ctx.now(), ready: false };
  jobs.push(job);
  jobs.sort((a, b) => a.id.localeCompare(b.id));
  ctx.log(`drive mirror is starting for drive-${drive.key}`);
  const step = Math.max(1, Math.ceil(seconds / MAX_LINES));
  for (let t = 0; ; t += step) {
    // One duration per poll: the time since this monitor started (BlockJob.pm `$ctime - $starttime`).
    const elapsed = Math.min(t, seconds);
    for (const other of jobs) {
      if (other.ready) continue;
      const copying = ((ctx.now() - other.startedAt) / 1000) * ctx.engine.speed;
      const share = Math.min(1, copying / other.seconds);
      const done = share >= 1 ? other.drive.size : Math.floor(other.drive.size * share);
      const ready = share >= 1;
      const percent = ((done * 100) / other.drive.size).toFixed(2);
      ctx.log(
        `${other.id}: transferred ${renderBytes(done)} of ${renderBytes(other.drive.size)} (${percent}%) in ${renderDuration(elapsed)}${ready ? ', ready' : ''}`,
      );
      other.ready = ready;
    }
    if (jobs.every((other) => other.ready)) break;
    yield { sleep: step * 1000 };
  }
  ctx.log(`all 'mirror' jobs are ready`);
  return undefined;
}

/** After the RAM phase: the ready jobs are completed (cancelled towards the target's NBD export) and vanish. */
export function completeMirrors(ctx: WorkerContext, jobs: MirrorJob[]): void {
  if (jobs.length === 0) return;
  ctx.log(`all 'mirror' jobs are ready`);
  for (const job of jobs) {
    ctx.log(`${job.id}: Completing block job...`);
    ctx.log(`${job.id}: Completed successfully.`);
  }
  for (const job of jobs) ctx.log(`${job.id}: mirror-job finished`);
}

/** QEMU >= 8.2: the jobs switch to write-blocking before the RAM phase (BlockJob.pm `qemu_drive_mirror_switch_to_active_mode`). */
export function switchToActiveMode(ctx: WorkerContext, jobs: MirrorJob[], info: (line: string) => void): void {
  info('switching mirror jobs to actively synced mode');
  for (const job of jobs) ctx.log(`${job.id}: switching to actively synced mode`);
  for (const job of jobs) ctx.log(`${job.id}: successfully switched to actively synced mode`);
}

/**
 * `pvesm export <volid> raw+size - | ssh <target> pvesm import ...` for an LVM-thin or directory
 * volume: dd prints its progress (status=progress, thinned by PVE), then the record counts and a
 * summary on both ends; pvesm import names the new volume. Every line goes through `log`.
 */
export function* exportImport(ctx: WorkerContext, disk: DiskState, log: (line: string) => void): TaskWorker {
  const rate = ctx.rng.range(180, 450) * MiB;
  const seconds = Math.max(1, disk.size / rate);
  // dd prints a line a second; Storage.pm keeps every 3rd in the first minute, then every 10th, then every 30th.
  const shown = (t: number) => (t < 60 ? t % 3 === 0 : t < 600 ? t % 10 === 0 : t % 30 === 0);
  let elapsed = 0;
  for (let t = 1; t < seconds; t++) {
    if (!shown(t)) continue;
    yield { sleep: (t - elapsed) * 1000 };
    elapsed = t;
    log(renderDdStats(Math.floor((disk.size * t) / seconds), t, false));
  }
  yield { sleep: (seconds - elapsed) * 1000 };
  const records = Math.ceil(disk.size / 65536);
  log(`${records}+0 records in`);
  log(`${records}+0 records out`);
  log(renderDdStats(disk.size, seconds, true));
  const partial = Math.ceil(records / 32);
  log(`${records - partial}+${partial} records in`);
  log(`${records - partial}+${partial} records out`);
  log(renderDdStats(disk.size, seconds + ctx.rng.range(0.05, 0.6), true));
  log(`successfully imported '${disk.volid}'`);
  return undefined;
}
