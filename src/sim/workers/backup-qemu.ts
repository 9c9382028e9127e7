/**
 * A VM's part of a vzdump job, as qemu-server's PVE/VZDump/QemuServer.pm logs it: to a `.vma` file
 * or to a Proxmox Backup Server, in snapshot, suspend or stop mode, with the progress lines of
 * `query_backup_status_loop` (whose total, on an incremental PBS backup, is the dirty data only).
 */
import type { TaskWorker, WorkerContext } from '../engine.js';
import { formatVzdumpSize, renderBytes, renderDuration } from '../format.js';
import type { GuestState } from '../model.js';
import { fail, GiB, MiB, setRunning, setStopped, uuidFrom } from './common.js';
import { archivePath, compressionRatio, pbsSnapshot, type GuestBackup } from './vzdump.js';

export function* backupQemu(ctx: WorkerContext, guest: GuestState, job: GuestBackup): TaskWorker {
  const { log, plan, storage } = job;
  const wasRunning = guest.status === 'running';
  const mode = wasRunning ? plan.mode : 'stop';
  const pbs = storage.type === 'pbs';
  const prepare = () => {
    log(`VM Name: ${guest.name}`);
    for (const disk of guest.disks) log(`include disk '${disk.key}' '${disk.volid}' ${Math.round(disk.size / GiB)}G`);
  };
  // VZDump.pm prepares snapshot mode before it logs the mode, the others after.
  if (mode === 'snapshot') prepare();
  log(`backup mode: ${mode}`);
  log('ionice priority: 7');
  if (mode !== 'snapshot') prepare();
  let stoppedAt: number | undefined;
  if (mode === 'stop' && wasRunning) {
    log('stopping virtual guest');
    stoppedAt = ctx.now();
    yield { sleep: ctx.rng.range(4000, 15000) };
    setStopped(guest);
  } else if (mode === 'suspend') {
    log('suspending guest');
    stoppedAt = ctx.now();
  }
  log(
    pbs
      ? `creating Proxmox Backup Server archive '${pbsSnapshot(guest, job)}'`
      : `creating vzdump archive '${archivePath(guest, job, 'vma')}'`,
  );
  const startedForBackup = guest.status !== 'running';
  if (startedForBackup) log('starting kvm to execute backup task');
  yield { sleep: ctx.rng.range(500, 1500) };
  for (const warning of guest.backupWarnings ?? []) ctx.warn(warning);
  log('starting backup via QMP command');
  log(`started backup task '${uuidFrom(ctx)}'`);
  if (wasRunning) {
    // QemuServer.pm resume_vm_after_job_start: the VM runs again as soon as the job has started.
    if (stoppedAt === undefined) log('resuming VM again');
    else log(`resuming VM again after ${Math.max(1, Math.round(((ctx.now() - stoppedAt) / 1000) * ctx.engine.speed))} seconds`);
    if (guest.status !== 'running') setRunning(guest, ctx.now());
  }
  const plan2 = pbs ? pbsPlan(ctx, guest) : vmaPlan(guest);
  yield* statusLoop(ctx, guest, plan2, log);
  if (startedForBackup && !wasRunning) log('stopping kvm after backup task');
  if (!pbs) log(`archive file size: ${formatVzdumpSize(guest.diskUsed * compressionRatio(plan.compress))}`);
  if (mode === 'suspend') log('resume vm');
  if (pbs) {
    guest.pbsLastBackupAt = ctx.now();
    // The dirty bitmap lives in QEMU: only a VM that keeps running keeps it for the next backup.
    guest.pbsBitmap = guest.status === 'running' && wasRunning ? { since: ctx.now() } : undefined;
  }
}

/** What query-backup reports over a backup: the bytes to read, zero bytes, and bytes PBS already had. */
interface BackupAmounts {
  /** Sum of the disks' sizes. */
  total: number;
  /** What the job reads: the total, or with a dirty bitmap only the dirty part. */
  target: number;
  zero: number;
  /** PBS only: data the server already had (the clean part, and known chunks). */
  reused: number;
  /** PBS only: one `dirty-bitmap status` line per drive. */
  bitmapLines: string[];
  /** Share of the bytes read that need no writing (zeroes; on PBS, chunks it already has). */
  skipShare: number;
}

function vmaPlan(guest: GuestState): BackupAmounts {
  const total = guest.disks.reduce((sum, disk) => sum + disk.size, 0);
  const zero = Math.max(0, total - guest.diskUsed);
  return { total, target: total, zero, reused: 0, bitmapLines: [], skipShare: zero / total };
}

function pbsPlan(ctx: WorkerContext, guest: GuestState): BackupAmounts {
  const total = guest.disks.reduce((sum, disk) => sum + disk.size, 0);
  const used = guest.diskUsed / total;
  const bitmap = guest.pbsBitmap;
  const bitmapLines: string[] = [];
  let target = 0;
  for (const disk of [...guest.disks].sort((a, b) => a.key.localeCompare(b.key))) {
    if (!bitmap || guest.template) {
      if (!guest.template) bitmapLines.push(`${disk.key}: dirty-bitmap status: created new`);
      target += disk.size;
      continue;
    }
    const hours = Math.max(0, (ctx.now() - bitmap.since) / 3600_000) * ctx.engine.speed;
    // QEMU tracks dirty 4 MiB chunks: even a quiet disk has a few.
    const dirty = Math.min(disk.size, Math.ceil((disk.size * used * guest.churnPerHour * hours + 16 * MiB) / (4 * MiB)) * 4 * MiB);
    bitmapLines.push(`${disk.key}: dirty-bitmap status: OK (${renderBytes(dirty)} of ${renderBytes(disk.size)} dirty)`);
    target += dirty;
  }
  if (target < total)
    bitmapLines.push(`using fast incremental mode (dirty-bitmap), ${renderBytes(target)} dirty of ${renderBytes(total)} total`);
  const zeroShare = Math.max(0, 1 - used);
  const zero = Math.round(target * zeroShare * (target < total ? 0.1 : 1));
  // PBS deduplicates against what it already stores: the clean part, zero chunks, and after an
  // earlier backup most of a full read too.
  const known = guest.pbsLastBackupAt !== undefined && target === total ? (target - zero) * 0.9 : 0;
  const reused = Math.round(total - target + zero + known);
  return { total, target, zero, reused, bitmapLines, skipShare: (reused - (total - target)) / target };
}

/**
 * QemuServer.pm `query_backup_status_loop`: a line when the percentage moved and more than 2 s
 * passed, a last one at the end, then the sparse, incremental and transfer summaries.
 */
function* statusLoop(ctx: WorkerContext, guest: GuestState, amounts: BackupAmounts, log: (line: string) => void): TaskWorker {
  for (const line of amounts.bitmapLines) log(line);
  const { target, zero, reused } = amounts;
  const rate = ctx.rng.range(250, 900) * MiB;
  const seconds = Math.max(4, Math.round(target / rate));
  const step = Math.max(3, Math.ceil(seconds / 25));
  let last = { t: 0, done: 0 };
  const line = (t: number) => {
    const done = Math.min(target, (target * t) / seconds);
    const interval = Math.max(1, t - last.t);
    const read = done - last.done;
    const written = read * (1 - amounts.skipShare);
    last = { t, done };
    const percent = String(target ? Math.floor((done * 100) / target) : 100).padStart(3, ' ');
    return `${percent}% (${renderBytes(done)} of ${renderBytes(target)}) in ${renderDuration(t)}, read: ${rate0(read / interval)}, write: ${rate0(written / interval)}`;
  };
  const failAt = guest.backupError ? Math.floor(seconds * ctx.rng.range(0.3, 0.7)) : Infinity;
  for (let t = 0; t < seconds; t += step) {
    if (t >= failAt) throw fail(guest.backupError!);
    log(line(t));
    yield { sleep: step * 1000 };
  }
  log(line(seconds));
  if (zero > 0) log(`backup is sparse: ${renderBytes(zero, 2)} (${Math.floor((zero * 100) / target)}%) total zero data`);
  if (reused > 0) log(`backup was done incrementally, reused ${renderBytes(reused, 2)} (${Math.floor((reused * 100) / amounts.total)}%)`);
  log(`transferred ${renderBytes(target, 2)} in ${seconds} seconds (${rate0(target / seconds)})`);
  return undefined;
}

/** `render_bytes(x, 1)/s`, or `0 B/s` for nothing (the get_mbps helper). */
function rate0(bytesPerSecond: number): string {
  return bytesPerSecond > 0 ? `${renderBytes(Math.floor(bytesPerSecond))}/s` : '0 B/s';
}
