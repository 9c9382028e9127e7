/**
 * vzdump as pve-manager's PVE/VZDump.pm runs it: the storage checks, one job per node at a time (the
 * global lock), the VM.Backup check over the listed guests, then each guest in turn with the job's
 * framing (`Starting Backup of VM`, `Finished Backup of VM`, `Backup job finished ...`). What each
 * guest type logs in between is in backup-qemu.ts and backup-lxc.ts.
 */
import { Interrupt, type TaskWorker, type WorkerContext } from '../engine.js';
import { renderArchiveStamp, renderHms, renderTimestamp } from '../format.js';
import type { GuestState, StorageState } from '../model.js';
import { backupLxc } from './backup-lxc.js';
import { backupQemu } from './backup-qemu.js';
import { fail } from './common.js';

export interface VzdumpPlan {
  node: string;
  /** The guests this node backs up: its own and listed ones that exist nowhere, by vmid as vzdump sorts them. */
  vmids: number[];
  /** Listed guests of other nodes ("skip external VMs"). */
  external: number[];
  /** Listed guests the caller lacks VM.Backup on: the job fails on the first (VZDump.pm `exec_backup`). */
  denied?: number[];
  storage: string;
  mode: string;
  compress: string;
  /** The `vzdump ...` command line PVE logs. */
  commandLine: string;
}

/** What a guest's backup needs to know about its job. */
export interface GuestBackup {
  plan: VzdumpPlan;
  storage: StorageState;
  /** The backup's start (ms): archive names and PBS snapshot times. */
  startedAt: number;
  log: (line: string) => void;
}

/** vzdump: one per node at a time (the global lock), then each guest in turn with PVE's framing. */
export function* vzdump(ctx: WorkerContext, plan: VzdumpPlan): TaskWorker {
  try {
    return yield* vzdumpJob(ctx, plan);
  } catch (error) {
    // vzdump traps SIGTERM before it takes its lock: a stop always reads "interrupted by signal".
    if (error instanceof Interrupt) throw fail('interrupted by signal');
    throw error;
  }
}

function* vzdumpJob(ctx: WorkerContext, plan: VzdumpPlan): TaskWorker {
  // PVE::VZDump->new (storage checks) runs before getlock.
  const storage = ctx.engine.cluster.storages.find((candidate) => candidate.storage === plan.storage);
  if (!storage) throw fail(`could not activate storage '${plan.storage}': storage '${plan.storage}' does not exist`);
  if (!storage.content.includes('backup')) {
    throw fail(
      `could not get storage information for '${plan.storage}': can't use storage '${plan.storage}' for backups - wrong content type`,
    );
  }
  if (!storage.active) throw fail(`could not activate storage '${plan.storage}': ${storage.activationError ?? 'not active'}`);
  const waited = yield {
    lock: `vzdump:${plan.node}`,
    onWait: () => ctx.log('INFO: trying to get global lock - waiting...'),
  };
  if (waited) ctx.log('INFO: got global lock');
  ctx.log(`INFO: starting new backup job: ${plan.commandLine}`);
  if (plan.external.length > 0) ctx.log(`INFO: skip external VMs: ${[...plan.external].sort((a, b) => a - b).join(', ')}`);
  const denied = plan.denied?.[0];
  if (denied !== undefined) throw fail(`Permission check failed (/vms/${denied}, VM.Backup)`);
  let errors = 0;
  const failed = (vmid: number, reason: string) => {
    ctx.log(`ERROR: Backup of VM ${vmid} failed - ${reason}`);
    ctx.log(`INFO: Failed at ${renderTimestamp(ctx.now())}`);
    errors++;
  };
  for (const vmid of plan.vmids) {
    const guest = ctx.engine.cluster.guests.get(vmid);
    if (!guest) {
      failed(vmid, `unable to find VM '${vmid}'`);
      continue;
    }
    if (guest.node !== plan.node) {
      failed(vmid, `unable to find configuration file for VM ${vmid} on node '${plan.node}'`);
      continue;
    }
    try {
      yield* backupGuest(ctx, guest, plan, storage);
    } catch (error) {
      if (error instanceof Interrupt) {
        failed(vmid, 'interrupted by signal');
        ctx.log('ERROR: Backup job failed - interrupted by signal');
        throw fail('interrupted by signal');
      }
      failed(vmid, (error as Error).message);
    }
  }
  if (errors > 0) {
    ctx.log('INFO: Backup job finished with errors');
    throw fail('job errors');
  }
  ctx.log('INFO: Backup job finished successfully');
}

function* backupGuest(ctx: WorkerContext, guest: GuestState, plan: VzdumpPlan, storage: StorageState): TaskWorker {
  const started = ctx.now();
  const log = (line: string) => ctx.log(`INFO: ${line}`);
  const job: GuestBackup = { plan, storage, startedAt: started, log };
  if (guest.type === 'lxc' && storage.type === 'nfs' && guest.status === 'running' && plan.mode === 'suspend') {
    // VZDump.pm: an NFS dump directory is no place for rsync's temporary copy.
    log(`filesystem type on dumpdir is 'nfs' -using ${lxcTmpdir(ctx, guest)} for temporary files`);
  }
  log(`Starting Backup of VM ${guest.vmid} (${guest.type})`);
  log(`Backup started at ${renderTimestamp(started)}`);
  log(`status = ${guest.status}`);
  if (guest.lock) throw fail(`${guest.type === 'qemu' ? 'VM' : 'CT'} is locked (${guest.lock})`);
  guest.lock = 'backup';
  try {
    if (guest.type === 'qemu') yield* backupQemu(ctx, guest, job);
    else yield* backupLxc(ctx, guest, job);
  } finally {
    if (guest.lock === 'backup') guest.lock = undefined;
  }
  const took = ((ctx.now() - started) / 1000) * ctx.engine.speed;
  log(`Finished Backup of VM ${guest.vmid} (${renderHms(took)})`);
  log(`Backup finished at ${renderTimestamp(ctx.now())}`);
}

/** The archive's path on a file storage: `<dumpdir>/vzdump-<type>-<vmid>-<time>.<ext>`. */
export function archivePath(guest: GuestState, job: GuestBackup, extension: string): string {
  const dumpdir = `${job.storage.path ?? '/var/lib/vz'}/dump`;
  return `${dumpdir}/vzdump-${guest.type}-${guest.vmid}-${renderArchiveStamp(job.startedAt)}.${extension}${compressionExtension(job.plan.compress)}`;
}

/** A PBS snapshot name: `vm/100/2026-09-06T09:17:01Z` (VZDump.pm: `strftime("%FT%TZ", gmtime(...))`). */
export function pbsSnapshot(guest: GuestState, job: GuestBackup): string {
  const time = new Date(Math.floor(job.startedAt / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `${guest.type === 'qemu' ? 'vm' : 'ct'}/${guest.vmid}/${time}`;
}

/** The temporary directory of a CT backup that does not live beside the archive. */
export function lxcTmpdir(ctx: WorkerContext, guest: GuestState): string {
  return `/var/tmp/vzdumptmp${10_000 + ((guest.vmid * 7919 + Math.floor(ctx.now() / 1000)) % 900_000)}_${guest.vmid}`;
}

function compressionExtension(compress: string): string {
  switch (compress) {
    case 'zstd':
      return '.zst';
    case 'gzip':
      return '.gz';
    case 'lzo':
    case '1':
      return '.lzo';
    default:
      return '';
  }
}

/** How much smaller the archive gets than the data read. */
export function compressionRatio(compress: string): number {
  switch (compress) {
    case 'zstd':
      return 0.42;
    case 'gzip':
      return 0.48;
    case 'lzo':
    case '1':
      return 0.55;
    default:
      return 1;
  }
}
