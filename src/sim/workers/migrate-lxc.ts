/**
 * `vzmigrate` as pve-container's LXC/Migrate.pm runs it (AbstractMigrate.pm frame): a running CT
 * moves only in restart mode (shut down in `prepare`, copied, started on the target in
 * `final_cleanup`); `online` fails inside the task, as live migration of containers is not
 * implemented. Shared volumes stay where they are; local ones go through `pvesm export | import`.
 */
import { Interrupt, type TaskWorker, type WorkerContext } from '../engine.js';
import { findStorage, guestConfigPath, localDisks, type GuestState } from '../model.js';
import { configLock, fail, guestOn, lockError, migrationLog, setRunning, setStopped, sshCommand } from './common.js';
import { exportImport } from './disk-copy.js';

export interface LxcMigrateOptions {
  target: string;
  online: boolean;
  restart: boolean;
  /** Shutdown timeout in restart mode (seconds, default 180). */
  timeout?: number;
}

export function* migrateLxc(ctx: WorkerContext, vmid: number, source: string, options: LxcMigrateOptions): TaskWorker {
  yield configLock(vmid);
  const log = migrationLog(ctx);
  const cluster = ctx.engine.cluster;
  let guest: GuestState | undefined;
  let wasRunning = false;
  let inPhaseOne = false;
  try {
    // prepare
    guest = guestOn(cluster, vmid, source, 'lxc');
    if (!guest) throw new Error(`Configuration file '${guestConfigPath({ type: 'lxc', vmid }, source)}' does not exist`);
    const locked = lockError(guest);
    if (locked) throw new Error(locked);
    wasRunning = guest.status === 'running';
    if (wasRunning) {
      if (options.online) throw new Error('lxc live migration is currently not implemented');
      // This die has no newline in Migrate.pm, so Perl appends where it happened.
      if (!options.restart)
        throw new Error('running container can only be migrated in restart mode at /usr/share/perl5/PVE/LXC/Migrate.pm line 53.');
    }
    yield { sleep: ctx.rng.range(300, 1200) };
    const target = cluster.nodes.find((node) => node.name === options.target);
    if (!target || ctx.engine.offlineNodes.has(options.target)) throw new Error("Can't connect to destination address using public key");
    if (wasRunning) {
      log.info(`shutdown CT ${vmid}`);
      yield { sleep: Math.min(ctx.rng.range(1500, 8000), (options.timeout ?? 180) * 1000) };
      setStopped(guest);
    }

    // phase 1: scan, copy, and the config moves to the target
    inPhaseOne = true;
    log.info(`starting migration of CT ${vmid} to node '${target.name}' (${target.ip})`);
    guest.lock = 'migrate';
    for (const disk of guest.disks) {
      if (findStorage(cluster, disk.storage)?.shared) log.info(`volume '${disk.volid}' is on shared storage '${disk.storage}'`);
    }
    const disks = localDisks(cluster, guest).sort((a, b) => a.volid.localeCompare(b.volid));
    for (const disk of disks) log.info(`found local volume '${disk.volid}' (in current VM config)`);
    if (disks.length > 0 && guest.snapshots.length > 0) {
      // Snapshots on LVM-thin cannot move (only zfspool and btrfs can).
      for (const disk of disks) log.info(`can't migrate local volume '${disk.volid}': non-migratable snapshot exists`);
      throw new Error("can't migrate CT - check log");
    }
    for (const disk of disks) {
      yield* exportImport(ctx, disk, log.info);
      log.info(`volume '${disk.volid}' is '${disk.volid}' on the target`);
    }
    guest.node = target.name;
    guest.configVersion++;
    inPhaseOne = false;

    // final_cleanup
    log.info('start final cleanup');
    guest.lock = undefined;
    if (options.restart && wasRunning) {
      log.info('start container on target node');
      log.info(`# ${sshCommand(target.name, target.ip)} pct start ${vmid}`);
      yield { sleep: ctx.rng.range(1500, 4000) };
      setRunning(guest, ctx.now());
    }
    log.info(`migration finished successfully (duration ${log.elapsed()})`);
  } catch (error) {
    const message = error instanceof Interrupt ? 'interrupted by signal' : (error as Error).message;
    if (inPhaseOne && guest) {
      log.error(message);
      log.info('aborting phase 1 - cleanup resources');
      log.info('start final cleanup');
      guest.lock = undefined;
      if (options.restart && wasRunning) {
        // Restart mode brings the CT back where it was when the migration fails.
        log.info('start container on source node');
        setRunning(guest, ctx.now());
      }
    }
    log.error(`migration aborted (duration ${log.elapsed()}): ${message}`);
    throw fail('migration aborted');
  } finally {
    if (guest?.lock === 'migrate') guest.lock = undefined;
  }
}
