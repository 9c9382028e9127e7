/**
 * What each task type does and logs, in PVE's formats: guest power actions (qm*, vz*), the HA requests
 * (ha*) and the HA stack's follow-up tasks, vzdump with its job framing and progress lines, snapshots,
 * live and offline migration, and the background chores of a busy cluster. Durations are nominal
 * (divided by the simulator's speed by the engine); logged durations stay nominal so logs read right.
 */
import { Interrupt, TaskFailure, type TaskWorker, type WorkerContext } from './engine.js';
import { renderArchiveStamp, renderBytes, renderDuration, renderHms, renderRate, renderTimestamp } from './format.js';
import { guestConfigPath, type ClusterState, type GuestState, type GuestType, type SnapshotState, type StorageState } from './model.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const fail = (message: string) => new TaskFailure(message);
const configLock = (vmid: number) => ({ lock: `config:${vmid}` });

function label(type: GuestType): string {
  return type === 'qemu' ? 'VM' : 'CT';
}

/** The guest with `vmid` if it lives on `node`. */
function guestOn(cluster: ClusterState, vmid: number, node: string, type: GuestType): GuestState | undefined {
  const guest = cluster.guests.get(vmid);
  return guest && guest.node === node && guest.type === type ? guest : undefined;
}

export function* startGuest(ctx: WorkerContext, type: GuestType, vmid: number, node: string): TaskWorker {
  yield configLock(vmid);
  const guest = guestOn(ctx.engine.cluster, vmid, node, type);
  if (!guest) throw fail(`Configuration file '${guestConfigPath({ type, vmid }, node)}' does not exist`);
  if (guest.template) {
    throw fail(type === 'qemu' ? "you can't start a vm if it's a template" : "you can't start a CT if it's a template");
  }
  if (guest.status === 'running') throw fail(`${label(type)} ${vmid} already running`);
  yield { sleep: ctx.rng.range(800, 3500) };
  if (guest.startFailure) {
    for (const line of guest.startFailure.lines) ctx.log(line);
    throw fail(guest.startFailure.error);
  }
  guest.status = 'running';
  guest.startedAt = ctx.now();
}

export function* stopGuest(ctx: WorkerContext, type: GuestType, vmid: number, node: string, how: 'stop' | 'shutdown'): TaskWorker {
  yield configLock(vmid);
  const guest = guestOn(ctx.engine.cluster, vmid, node, type);
  if (!guest) throw fail(`unable to find configuration file for VM ${vmid} on node '${node}'`);
  if (guest.status !== 'running') return; // stopping a stopped guest is a no-op success
  yield { sleep: how === 'stop' ? ctx.rng.range(600, 2500) : ctx.rng.range(4000, 20000) };
  guest.status = 'stopped';
  guest.startedAt = undefined;
}

export function* rebootGuest(ctx: WorkerContext, type: GuestType, vmid: number, node: string): TaskWorker {
  yield configLock(vmid);
  const guest = guestOn(ctx.engine.cluster, vmid, node, type);
  if (!guest) throw fail(`Configuration file '${guestConfigPath({ type, vmid }, node)}' does not exist`);
  yield { sleep: ctx.rng.range(8000, 25000) };
  guest.status = 'running';
  guest.startedAt = ctx.now();
}

/** How long the HA stack (CRM, then LRM) takes to act on a request, nominal ms. */
const haDelay = (ctx: WorkerContext) => ctx.rng.range(4000, 11000);

/**
 * `hastart`/`hastop` only ask the HA stack; a separate task owned by root@pam (qmstart/vzstart,
 * qmshutdown/vzshutdown) does the work a little later, as the LRM does.
 */
export function* haRequest(ctx: WorkerContext, type: GuestType, vmid: number, want: 'started' | 'stopped'): TaskWorker {
  ctx.log(`Requesting HA ${want === 'started' ? 'start' : 'stop'} for ${label(type)} ${vmid}`);
  yield { sleep: ctx.rng.range(300, 900) };
  const guest = ctx.engine.cluster.guests.get(vmid);
  if (!guest) return;
  guest.hastate = want;
  const engine = ctx.engine;
  engine.schedule(engine.now() + engine.scale(haDelay(ctx)), () => {
    const current = engine.cluster.guests.get(vmid);
    if (!current || current.hastate !== want) return;
    if (want === 'started' && current.status !== 'running') {
      engine.startTask({
        node: current.node,
        type: type === 'qemu' ? 'qmstart' : 'vzstart',
        id: String(vmid),
        user: 'root@pam',
        worker: (inner) => startGuest(inner, type, vmid, current.node),
      });
    } else if (want === 'stopped' && current.status === 'running') {
      engine.startTask({
        node: current.node,
        type: type === 'qemu' ? 'qmshutdown' : 'vzshutdown',
        id: String(vmid),
        user: 'root@pam',
        worker: (inner) => stopGuest(inner, type, vmid, current.node, 'shutdown'),
      });
    }
  });
}

export function* haMigrate(ctx: WorkerContext, vmid: number, target: string): TaskWorker {
  ctx.log(`Requesting HA migration for VM ${vmid} to node ${target}`);
  yield { sleep: ctx.rng.range(300, 900) };
  const engine = ctx.engine;
  engine.schedule(engine.now() + engine.scale(haDelay(ctx)), () => {
    const guest = engine.cluster.guests.get(vmid);
    if (!guest || guest.node === target) return;
    const source = guest.node;
    engine.startTask({
      node: source,
      type: 'qmigrate',
      id: String(vmid),
      user: 'root@pam',
      worker: (inner) => migrateGuest(inner, vmid, source, target, guest.status === 'running'),
    });
  });
}

export function* snapshotGuest(
  ctx: WorkerContext,
  type: GuestType,
  vmid: number,
  node: string,
  snapname: string,
  options: { vmstate: boolean; description?: string },
): TaskWorker {
  yield configLock(vmid);
  const guest = guestOn(ctx.engine.cluster, vmid, node, type);
  if (!guest) throw fail(`Configuration file '${guestConfigPath({ type, vmid }, node)}' does not exist`);
  if (guest.template) throw fail("you can't take a snapshot if it's a template");
  if (guest.snapshots.some((snapshot) => snapshot.name === snapname)) {
    throw fail(`snapshot name '${snapname}' already used`);
  }
  const snapshot: SnapshotState = {
    name: snapname,
    snaptime: Math.floor(ctx.now() / 1000),
    description: options.description ?? '',
    vmstate: type === 'qemu' && options.vmstate && guest.status === 'running',
    snapstate: 'prepare',
  };
  if (guest.currentParent) snapshot.parent = guest.currentParent;
  guest.snapshots.push(snapshot);
  guest.lock = 'snapshot';
  try {
    const disk = `vm-${vmid}-disk-0`;
    if (snapshot.vmstate) {
      ctx.log(`saving VM state and RAM using storage 'local-lvm'`);
      const seconds = ctx.rng.int(3, 18);
      yield { sleep: seconds * 1000 };
      ctx.log(`${renderBytes(guest.maxmem * ctx.rng.range(0.2, 0.6), 2)} in ${seconds}s`);
      ctx.log(`completed saving the VM state in ${seconds}s, saved ${renderBytes(guest.maxmem * 0.4, 2)}`);
    }
    if (type === 'qemu') ctx.log(`snapshotting 'drive-scsi0' (local-lvm:${disk})`);
    yield { sleep: ctx.rng.range(800, 3000) };
    ctx.log(`  Logical volume "snap_${disk}_${snapname}" created.`);
    if (ctx.rng.chance(0.3)) {
      ctx.log(
        '  WARNING: Sum of all thin volume sizes (1.21 TiB) exceeds the size of thin pool pve/data and the size of whole volume group (931.01 GiB).',
      );
    }
    delete snapshot.snapstate;
    guest.currentParent = snapname;
    guest.configVersion++;
  } catch (error) {
    guest.snapshots = guest.snapshots.filter((candidate) => candidate !== snapshot);
    throw error;
  } finally {
    guest.lock = undefined;
  }
}

export function* migrateGuest(ctx: WorkerContext, vmid: number, source: string, target: string, online: boolean): TaskWorker {
  yield configLock(vmid);
  const cluster = ctx.engine.cluster;
  const started = ctx.now();
  const stamp = () => renderTimestamp(ctx.now());
  const log = (line: string) => ctx.log(`${stamp()} ${line}`);
  const elapsed = () => renderHms(((ctx.now() - started) / 1000) * ctx.engine.speed);
  const guest = guestOn(cluster, vmid, source, 'qemu');
  if (!guest) throw fail(`Configuration file '${guestConfigPath({ type: 'qemu', vmid }, source)}' does not exist`);
  const targetNode = cluster.nodes.find((node) => node.name === target);
  log(`starting migration of VM ${vmid} to node '${target}' (${targetNode?.ip ?? '0.0.0.0'})`);
  guest.lock = 'migrate';
  try {
    yield { sleep: ctx.rng.range(1000, 3000) };
    if (!targetNode || ctx.engine.offlineNodes.has(target)) {
      log(`ERROR: migration aborted (duration ${elapsed()}): Can't connect to destination address using public key`);
      throw fail('migration aborted');
    }
    const disk = `local-lvm:vm-${vmid}-disk-0`;
    log(`found local disk '${disk}' (attached)`);
    if (online && guest.status === 'running') {
      log(`starting VM ${vmid} on remote node '${target}'`);
      yield { sleep: ctx.rng.range(1500, 4000) };
      log(`start remote tunnel`);
      log(`ssh tunnel ver 1`);
      log(`starting storage migration`);
      log(`scsi0: start migration to nbd:unix:/run/qemu-server/${vmid}_nbd.migrate:exportname=drive-scsi0`);
      yield* blockMirror(ctx, guest, log);
      log(`starting online/live migration on unix:/run/qemu-server/${vmid}.migrate`);
      log(`set migration capabilities`);
      log(`migration downtime limit: 100 ms`);
      log(`migration cachesize: 512.0 MiB`);
      log(`set migration parameters`);
      log(`start migrate command to unix:/run/qemu-server/${vmid}.migrate`);
      const total = guest.maxmem;
      const rate = ctx.rng.range(90, 400) * MiB;
      const seconds = Math.max(2, Math.round(total / rate));
      const step = Math.max(1, Math.ceil(seconds / 15));
      for (let t = step; t < seconds; t += step) {
        yield { sleep: step * 1000 };
        log(
          `migration active, transferred ${renderBytes((total * t) / seconds)} of ${renderBytes(total)} VM-state, ${renderBytes(rate)}/s`,
        );
      }
      yield { sleep: 1000 };
      log(`average migration speed: ${renderBytes(rate)}/s - downtime ${ctx.rng.int(20, 120)} ms`);
      log(`migration status: completed`);
      log(`scsi0: Completing block job...`);
      log(`scsi0: Completed successfully.`);
      log(`stopping NBD storage migration server on target.`);
    } else {
      log(`copying local disk images`);
      yield* blockMirror(ctx, guest, log, true);
      log(`volume '${disk}' is '${disk}' on the target`);
    }
    yield { sleep: ctx.rng.range(1000, 3000) };
    guest.node = target;
    guest.configVersion++;
    log(`migration finished successfully (duration ${elapsed()})`);
  } catch (error) {
    if (error instanceof Interrupt) {
      log(`ERROR: migration aborted (duration ${elapsed()}): interrupted by signal`);
      throw fail('migration aborted');
    }
    throw error;
  } finally {
    guest.lock = undefined;
  }
}

/** Disk copy lines: block-job mirror (online) or qemu-img style (offline). */
function* blockMirror(ctx: WorkerContext, guest: GuestState, log: (line: string) => void, offline = false): TaskWorker {
  const total = guest.maxdisk;
  const rate = ctx.rng.range(150, 600) * MiB;
  const seconds = Math.max(2, Math.round(guest.diskUsed / rate));
  const step = Math.max(1, Math.ceil(seconds / 12));
  for (let t = 0; t <= seconds; t += step) {
    const done = Math.min(total, (total * t) / seconds);
    const percent = ((done / total) * 100).toFixed(2);
    if (offline) log(`transferred ${renderBytes(done)} of ${renderBytes(total)} (${percent}%)`);
    else log(`mirror-scsi0: transferred ${renderBytes(done)} of ${renderBytes(total)} (${percent}%) in ${renderDuration(t)}`);
    yield { sleep: step * 1000 };
  }
  if (offline) log(`transferred ${renderBytes(total)} of ${renderBytes(total)} (100.00%)`);
  else {
    log(`mirror-scsi0: transferred ${renderBytes(total)} of ${renderBytes(total)} (100.00%) in ${renderDuration(seconds)}, ready`);
    log(`all 'mirror' jobs are ready`);
  }
  return undefined;
}

export interface VzdumpPlan {
  node: string;
  /** The guests this node backs up: its own and listed ones that exist nowhere, by vmid as vzdump sorts them. */
  vmids: number[];
  /** Listed guests of other nodes ("skip external VMs"). */
  external: number[];
  storage: string;
  mode: string;
  compress: string;
  /** The `vzdump ...` command line PVE logs. */
  commandLine: string;
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

function archiveExtension(compress: string): string {
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

function* backupGuest(ctx: WorkerContext, guest: GuestState, plan: VzdumpPlan, storage: StorageState): TaskWorker {
  const started = ctx.now();
  const wasRunning = guest.status === 'running';
  const log = (line: string) => ctx.log(`INFO: ${line}`);
  log(`Starting Backup of VM ${guest.vmid} (${guest.type})`);
  log(`Backup started at ${renderTimestamp(started)}`);
  log(`status = ${guest.status}`);
  guest.lock = 'backup';
  try {
    const dumpDir = `${storage.path ?? '/var/lib/vz'}/dump`;
    const stamp = renderArchiveStamp(started);
    const ext = archiveExtension(plan.compress);
    const speed = ctx.engine.speed;
    if (guest.type === 'qemu') {
      log(`VM Name: ${guest.name}`);
      log(`include disk 'scsi0' 'local-lvm:vm-${guest.vmid}-disk-0' ${Math.round(guest.maxdisk / GiB)}G`);
      log(`backup mode: ${wasRunning ? plan.mode : 'stop'}`);
      log(`ionice priority: 7`);
      log(`creating vzdump archive '${dumpDir}/vzdump-qemu-${guest.vmid}-${stamp}.vma${ext}'`);
      if (!wasRunning) log('starting kvm to execute backup task');
      yield { sleep: ctx.rng.range(500, 1500) };
      log(`started backup task '${uuidFrom(ctx)}'`);
      if (wasRunning && plan.mode !== 'stop') log('resuming VM again');
      for (const warning of guest.backupWarnings ?? []) ctx.warn(warning);
      yield* qemuProgress(ctx, guest);
      if (!wasRunning) log('stopping kvm after backup task');
      log(`archive file size: ${(guest.diskUsed / 1e9 / 2.1).toFixed(2)}GB`);
    } else {
      log(`CT Name: ${guest.name}`);
      log(`including mount point rootfs ('/') in backup`);
      log(`backup mode: ${wasRunning ? plan.mode : 'stop'}`);
      log(`ionice priority: 7`);
      if (wasRunning && plan.mode === 'snapshot') log(`create storage snapshot 'vzdump'`);
      log(`creating vzdump archive '${dumpDir}/vzdump-lxc-${guest.vmid}-${stamp}.tar${ext}'`);
      for (const warning of guest.backupWarnings ?? []) ctx.warn(warning);
      const rate = ctx.rng.range(80, 250) * MiB;
      const seconds = Math.max(3, Math.round(guest.diskUsed / rate));
      if (guest.backupError) {
        yield { sleep: (seconds * 1000) / 3 };
        throw fail(
          `command 'set -o pipefail && lxc-usernsexec -m u:0:100000:65536 -m g:0:100000:65536 -- tar cpf - ...' failed: exit code 2`,
        );
      }
      yield { sleep: seconds * 1000 };
      log(`Total bytes written: ${guest.diskUsed} (${renderBytes(guest.diskUsed)}, ${renderBytes(rate)}/s)`);
      log(`archive file size: ${Math.round(guest.diskUsed / 1e6 / 2.4)}MB`);
      if (wasRunning && plan.mode === 'snapshot') {
        log(`cleanup temporary 'vzdump' snapshot`);
        ctx.log(`  Logical volume "snap_vm-${guest.vmid}-disk-0_vzdump" successfully removed.`);
      }
    }
    const took = ((ctx.now() - started) / 1000) * speed;
    log(`Finished Backup of VM ${guest.vmid} (${renderHms(took)})`);
    log(`Backup finished at ${renderTimestamp(ctx.now())}`);
  } finally {
    guest.lock = undefined;
  }
}

/** The current (since 2020) qemu progress format, one line when the percentage moved and >2 s passed. */
function* qemuProgress(ctx: WorkerContext, guest: GuestState): TaskWorker {
  const total = guest.maxdisk;
  const zeroShare = 1 - guest.diskUsed / total;
  const rate = ctx.rng.range(250, 900) * MiB;
  const seconds = Math.max(4, Math.round(total / rate));
  const step = Math.max(2, Math.ceil(seconds / 25));
  const line = (t: number) => {
    const done = Math.min(total, (total * t) / seconds);
    const readRate = t === 0 ? 0 : done / t;
    const writeRate = readRate * (1 - zeroShare);
    const percent = String(Math.floor((done / total) * 100)).padStart(3, ' ');
    return `INFO: ${percent}% (${renderBytes(done)} of ${renderBytes(total)}) in ${renderDuration(t)}, read: ${renderRate(readRate)}, write: ${renderRate(writeRate)}`;
  };
  const failAt = guest.backupError ? Math.floor(seconds * ctx.rng.range(0.3, 0.7)) : Infinity;
  for (let t = 0; t < seconds; t += step) {
    if (t >= failAt) throw fail(guest.backupError!);
    ctx.log(line(t));
    yield { sleep: step * 1000 };
  }
  ctx.log(line(seconds));
  const zero = total * zeroShare;
  ctx.log(`INFO: backup is sparse: ${renderBytes(zero, 2)} (${Math.round(zeroShare * 100)}%) total zero data`);
  ctx.log(`INFO: transferred ${renderBytes(total, 2)} in ${seconds} seconds (${renderBytes(total / seconds)}/s)`);
  return undefined;
}

/** A UUID drawn from the timing RNG, so logs repeat for a seed. */
function uuidFrom(ctx: WorkerContext): string {
  const hex = Array.from({ length: 32 }, () => ctx.rng.int(0, 15).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** A task created directly through `control.spawnTask`: logs given lines, lasts `durationMs` exactly. */
export function* scripted(ctx: WorkerContext, options: { durationMs: number; exitStatus: string; log: string[] }): TaskWorker {
  for (const line of options.log) ctx.log(line);
  if (Number.isFinite(options.durationMs)) yield { sleep: Math.max(0, options.durationMs), exact: true };
  else yield { forever: true };
  return options.exitStatus;
}

/** `aptupdate` as the daily pve-daily-update runs it. */
export function* aptUpdate(ctx: WorkerContext): TaskWorker {
  ctx.log('starting apt-get update');
  yield { sleep: ctx.rng.range(1500, 4000) };
  ctx.log('Hit:1 http://deb.debian.org/debian trixie InRelease');
  ctx.log('Get:2 http://security.debian.org/debian-security trixie-security InRelease [43.4 kB]');
  ctx.log('Hit:3 http://download.proxmox.com/debian/pve trixie InRelease');
  yield { sleep: ctx.rng.range(1500, 6000) };
  ctx.log('Fetched 43.4 kB in 1s (38.9 kB/s)');
  ctx.log('Reading package lists...');
}

/** A console session (noVNC/xterm.js): runs while someone looks at a guest's console. */
export function* vncProxy(ctx: WorkerContext, fails: boolean): TaskWorker {
  yield { sleep: ctx.rng.range(15_000, 240_000) };
  if (fails) throw fail('Failed to run vncproxy.');
}
