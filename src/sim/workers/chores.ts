/** Snapshots and the chores of a busy cluster: package updates, console sessions, scripted test tasks. */
import type { TaskWorker, WorkerContext } from '../engine.js';
import { renderBytes } from '../format.js';
import { guestConfigPath, type GuestType, type SnapshotState } from '../model.js';
import { configLock, fail, guestOn, lockError } from './common.js';

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
  const locked = lockError(guest);
  if (locked) throw fail(locked);
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
  const release = ctx.engine.dialect.debian;
  ctx.log(`Hit:1 http://deb.debian.org/debian ${release} InRelease`);
  ctx.log(`Get:2 http://security.debian.org/debian-security ${release}-security InRelease [43.4 kB]`);
  ctx.log(`Hit:3 http://download.proxmox.com/debian/pve ${release} InRelease`);
  yield { sleep: ctx.rng.range(1500, 6000) };
  ctx.log('Fetched 43.4 kB in 1s (38.9 kB/s)');
  ctx.log('Reading package lists...');
}

/** A console session (noVNC/xterm.js): runs while someone looks at a guest's console. */
export function* vncProxy(ctx: WorkerContext, fails: boolean): TaskWorker {
  yield { sleep: ctx.rng.range(15_000, 240_000) };
  if (fails) throw fail('Failed to run vncproxy.');
}
