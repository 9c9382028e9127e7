/**
 * `qmigrate` as qemu-server's QemuMigrate.pm runs it inside pve-guest-common's AbstractMigrate.pm
 * frame: `prepare` (lock, running without online, local devices, the SSH check), phase 1 (scan and
 * copy local disks of a stopped VM through `pvesm export | pvesm import`), phase 2 for a running VM
 * (start on the target, mirror each local disk until ready, the RAM phase), phase 3 (the config moves
 * to the target). Lines the migration logs are timestamped; block-job output is not.
 */
import { Interrupt, type TaskWorker, type WorkerContext } from '../engine.js';
import { renderBytes, roundPowerOf2 } from '../format.js';
import { guestConfigPath, localDisks, type GuestState } from '../model.js';
import { configLock, fail, guestOn, lockError, MiB, migrationLog } from './common.js';
import { completeMirrors, exportImport, mirrorUntilReady, switchToActiveMode, type MirrorJob } from './disk-copy.js';

export interface QemuMigrateOptions {
  target: string;
  online: boolean;
  withLocalDisks: boolean;
  /** root@pam only (the HA stack passes it): migrate despite local devices. */
  force?: boolean;
}

/** A failure in phase 1: logged, then the phase is cleaned up before the migration aborts. */
class PhaseOneError extends Error {}

export function* migrateQemu(ctx: WorkerContext, vmid: number, source: string, options: QemuMigrateOptions): TaskWorker {
  yield configLock(vmid);
  const log = migrationLog(ctx);
  const cluster = ctx.engine.cluster;
  let guest: GuestState | undefined;
  let inPhaseOne = false;
  let inPhaseTwo = false;
  try {
    // prepare
    guest = guestOn(cluster, vmid, source, 'qemu');
    if (!guest) throw new Error(`Configuration file '${guestConfigPath({ type: 'qemu', vmid }, source)}' does not exist`);
    const locked = lockError(guest);
    if (locked) throw new Error(locked);
    const running = guest.status === 'running';
    if (running && !options.online) throw new Error("can't migrate running VM without --online");
    if (running && ctx.engine.dialect.conntrackWarning) {
      log.info('conntrack state migration not supported or disabled, active connections might get dropped');
    }
    if (guest.localDevices?.length) {
      if (!options.force) throw new Error(`can't migrate VM which uses local devices: ${guest.localDevices.join(', ')}`);
      log.info('migrating VM which uses local devices');
    }
    yield { sleep: ctx.rng.range(300, 1200) };
    const target = cluster.nodes.find((node) => node.name === options.target);
    if (!target || ctx.engine.offlineNodes.has(options.target)) throw new Error("Can't connect to destination address using public key");

    // phase 1
    inPhaseOne = true;
    log.info(`starting migration of VM ${vmid} to node '${target.name}' (${target.ip})`);
    guest.lock = 'migrate';
    const disks = localDisks(cluster, guest).sort((a, b) => a.volid.localeCompare(b.volid));
    scanVolumes(guest, disks, running, options.withLocalDisks, log.info);
    if (!running && disks.length > 0) {
      log.info('copying local disk images');
      for (const disk of disks) {
        yield* exportImport(ctx, disk, log.info);
        log.info(`volume '${disk.volid}' is '${disk.volid}' on the target`);
      }
    }
    inPhaseOne = false;

    // phase 2
    if (running) {
      inPhaseTwo = true;
      yield* livePhase(ctx, guest, target.name, disks, log.info);
      inPhaseTwo = false;
    }

    // phase 3: the config moves, the VM now belongs to the target
    guest.node = target.name;
    guest.configVersion++;
    // The VM now runs in the target's QEMU process, started for the migration.
    if (running) guest.startedAt = ctx.now();
    if (running && disks.length > 0) log.info('stopping NBD storage migration server on target.');
    yield { sleep: ctx.rng.range(500, 2000) };
    log.info(`migration finished successfully (duration ${log.elapsed()})`);
  } catch (error) {
    const message = error instanceof Interrupt ? 'interrupted by signal' : (error as Error).message;
    if (inPhaseTwo) {
      log.error(`online migrate failure - ${message}`);
      log.info('aborting phase 2 - cleanup resources');
      log.info('migrate_cancel');
      log.error(`migration finished with problems (duration ${log.elapsed()})`);
      throw fail('migration problems');
    }
    if (inPhaseOne) {
      log.error(message);
      log.info('aborting phase 1 - cleanup resources');
    }
    log.error(`migration aborted (duration ${log.elapsed()}): ${message}`);
    throw fail('migration aborted');
  } finally {
    if (guest?.lock === 'migrate') guest.lock = undefined;
  }
}

/**
 * QemuMigrate.pm `scan_local_volumes`: each local disk is listed; a snapshot on it, or a running VM
 * without with-local-disks, is an error per disk (the later one wins), logged after the list.
 */
function scanVolumes(
  guest: GuestState,
  disks: GuestState['disks'],
  running: boolean,
  withLocalDisks: boolean,
  info: (line: string) => void,
): void {
  const errors = new Map<string, string>();
  if (guest.snapshots.length > 0) {
    // local-lvm (LVM-thin) snapshots cannot move, and a running VM cannot mirror a disk with snapshots.
    for (const disk of disks) {
      errors.set(
        disk.volid,
        running ? 'online storage migration not possible if non-replicated snapshot exists' : 'non-migratable snapshot exists',
      );
    }
  }
  for (const disk of disks) {
    if (running && !withLocalDisks) errors.set(disk.volid, "can't live migrate attached local disks without with-local-disks option");
    info(`found local disk '${disk.volid}' (attached)`);
  }
  for (const [volid, message] of [...errors].sort(([a], [b]) => a.localeCompare(b))) {
    info(`can't migrate local disk '${volid}': ${message}`);
  }
  if (errors.size > 0) throw new PhaseOneError("Problem found while scanning volumes - can't migrate VM - check log");
}

/** QemuMigrate.pm `phase2`: the VM starts on the target, local disks are mirrored, then the RAM. */
function* livePhase(
  ctx: WorkerContext,
  guest: GuestState,
  target: string,
  disks: GuestState['disks'],
  info: (line: string) => void,
): TaskWorker {
  const vmid = guest.vmid;
  info(`starting VM ${vmid} on remote node '${target}'`);
  yield { sleep: ctx.rng.range(1500, 4000) };
  for (const disk of disks) info(`volume '${disk.volid}' is '${disk.volid}' on the target`);
  info('start remote tunnel');
  yield { sleep: ctx.rng.range(300, 900) };
  info('ssh tunnel ver 1');
  const jobs: MirrorJob[] = [];
  if (disks.length > 0) {
    info('starting storage migration');
    for (const disk of [...disks].sort((a, b) => a.key.localeCompare(b.key))) {
      info(`${disk.key}: start migration to nbd:unix:/run/qemu-server/${vmid}_nbd.migrate:exportname=drive-${disk.key}`);
      yield* mirrorUntilReady(ctx, jobs, disk);
    }
    switchToActiveMode(ctx, jobs, info);
  }
  const socket = `unix:/run/qemu-server/${vmid}.migrate`;
  info(`starting online/live migration on ${socket}`);
  info('set migration capabilities');
  info('migration downtime limit: 100 ms');
  info(`migration cachesize: ${renderBytes(roundPowerOf2(guest.maxmem / 10))}`);
  info('set migration parameters');
  info(`start migrate command to ${socket}`);
  yield* ramPhase(ctx, guest, info);
  completeMirrors(ctx, jobs);
  return undefined;
}

/** The RAM phase: a `migration active` line per poll, then the summary QemuMigrate.pm prints on completion. */
function* ramPhase(ctx: WorkerContext, guest: GuestState, info: (line: string) => void): TaskWorker {
  const total = guest.maxmem;
  const rate = ctx.rng.range(90, 400) * MiB;
  // Dirty pages are sent again: the state transferred ends a little above the RAM size.
  const transferred = total * ctx.rng.range(1.0, 1.08);
  const seconds = Math.max(2, Math.round(transferred / rate));
  const step = Math.max(1, Math.ceil(seconds / 60));
  for (let t = step; t < seconds; t += step) {
    yield { sleep: step * 1000 };
    info(
      `migration active, transferred ${renderBytes((transferred * t) / seconds)} of ${renderBytes(total)} VM-state, ${renderBytes(rate)}/s`,
    );
  }
  yield { sleep: 1000 };
  info(`average migration speed: ${renderBytes(total / seconds)}/s - downtime ${ctx.rng.int(20, 120)} ms`);
  info(`migration completed, transferred ${renderBytes(transferred)} VM-state`);
  info('migration status: completed');
  return undefined;
}
