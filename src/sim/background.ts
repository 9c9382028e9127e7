/**
 * Other people's work on a busy cluster (`background: true`): scheduled backups by root@pam, console
 * sessions by admins, package index updates. These tasks never change guests' power state, so they
 * do not disturb what a user does; a background vzdump does take its node's backup lock.
 *
 * The cluster also has a past: when the simulator starts, its archive already holds the last hour
 * (the nightly-style backup job on every node, with its warnings and failures; consoles; reboots and
 * failed start attempts by several users; snapshots), and a backup job, consoles and a node shell are
 * running, so a demo is busy from its first frame. The history is played through the same workers
 * and the same event queue as live tasks, from an hour back up to now; the same seed gives the same
 * history (relative to the start time).
 */
import type { SimCore } from './core.js';
import type { TaskWorker, WorkerContext } from './engine.js';
import type { GuestState } from './model.js';
import { Rng } from './rng.js';
import { aptUpdate, rebootCt, rebootVm, snapshotGuest, startGuest, vncProxy, vzdump } from './workers/index.js';

const USERS = ['admin@pve', 'ops@pve', 'jdoe@pve', 'root@pam'];
/** People at consoles and doing guest chores (root@pam runs the jobs). */
const PEOPLE = ['admin@pve', 'ops@pve', 'jdoe@pve'];

const MINUTE = 60_000;
/** How far back the history goes. */
export const HISTORY_MS = 60 * MINUTE;

export function startBackground(core: SimCore, seed: number): void {
  writeHistory(core, new Rng(seed, 6));
  const rng = new Rng(seed, 3);
  const engine = core.engine;
  const next = () => engine.schedule(engine.now() + engine.scale(rng.range(4_000, 25_000)), tick);
  const tick = () => {
    const online = core.cluster.nodes.filter((node) => core.isOnline(node.name));
    if (online.length > 0) spawnOne(core, rng, rng.pick(online).name);
    next();
  };
  next();
}

function spawnOne(core: SimCore, rng: Rng, node: string): void {
  const engine = core.engine;
  const local = [...core.cluster.guests.values()].filter((guest) => guest.node === node && !guest.template);
  const roll = rng.next();
  if (roll < 0.5 && local.length > 0) {
    const guest = rng.pick(local);
    engine.startTask({
      node,
      type: 'vncproxy',
      id: String(guest.vmid),
      user: rng.pick(USERS),
      worker: (ctx) => vncProxy(ctx, rng.chance(0.1)),
    });
  } else if (roll < 0.8 && local.length > 0) {
    const picked = [...new Set(Array.from({ length: rng.int(1, 3) }, () => rng.pick(local).vmid))].sort((a, b) => a - b);
    startBackup(core, node, picked);
  } else {
    engine.startTask({ node, type: 'aptupdate', user: 'root@pam', worker: (ctx) => aptUpdate(ctx) });
  }
}

/** A vzdump of `vmids` on `node` (by root@pam unless told) to the shared backup storage, as a backup job runs it. */
function startBackup(core: SimCore, node: string, vmids: number[], user = 'root@pam'): void {
  core.engine.startTask({
    node,
    type: 'vzdump',
    id: vmids.length === 1 ? String(vmids[0]) : '',
    user,
    worker: (ctx) =>
      vzdump(ctx, {
        node,
        vmids,
        external: [],
        storage: 'backup-nfs',
        mode: 'snapshot',
        compress: 'zstd',
        commandLine: `vzdump ${vmids.join(' ')} --compress zstd --mode snapshot --node ${node} --storage backup-nfs`,
      }),
  });
}

// ---- the last hour ---------------------------------------------------------------------------------

/** A console or shell someone keeps open for a while (nominal ms). */
function* openSession(_ctx: WorkerContext, nominalMs: number): TaskWorker {
  yield { sleep: nominalMs };
}

/** A shutdown that happened in the past: the guest is stopped now, as it was left. */
function* pastShutdown(ctx: WorkerContext): TaskWorker {
  yield { sleep: ctx.rng.range(4_000, 20_000) };
}

function writeHistory(core: SimCore, rng: Rng): void {
  const engine = core.engine;
  const now = engine.now();
  const nodes = core.cluster.nodes.map((node) => node.name);
  if (nodes.length === 0) return;
  const guests = [...core.cluster.guests.values()];
  const plain = guests.filter((guest) => !guest.template);
  const at = (agoMs: number, run: () => void) => engine.schedule(now - agoMs, run);

  engine.runAsOf(now - HISTORY_MS, () => {
    // The scheduled backup job: every node backs up its own guests at the same time. The guests
    // whose backups warn or fail are among them, so the archive holds a `WARNINGS` and a `job errors`.
    at(52 * MINUTE, () => {
      for (const node of nodes) {
        const vmids = plain
          .filter((guest) => guest.node === node)
          .map((guest) => guest.vmid)
          .sort((a, b) => a - b);
        if (vmids.length > 0) startBackup(core, node, vmids);
      }
    });

    // Someone backs up the guest whose backups warn on its own: the archive holds a `WARNINGS` task
    // even when the job above failed on the same node.
    const warns = plain.find((guest) => guest.backupWarnings && !guest.backupError);
    if (warns) at(33 * MINUTE, () => startBackup(core, warns.node, [warns.vmid], 'ops@pve'));

    // The hour's chores, from an hour ago until a few minutes ago.
    for (let ago = HISTORY_MS - rng.range(0, 2 * MINUTE); ago > 3 * MINUTE; ago -= rng.range(40_000, 110_000)) {
      const roll = rng.next();
      const user = rng.pick(PEOPLE);
      const node = rng.pick(nodes);
      const guest = rng.pick(plain.length > 0 ? plain : guests);
      if (roll < 0.38) {
        // A console: mostly ends fine, now and then the proxy fails.
        const fails = rng.chance(0.12);
        at(ago, () =>
          engine.startTask({ node: guest.node, type: 'vncproxy', id: String(guest.vmid), user, worker: (ctx) => vncProxy(ctx, fails) }),
        );
      } else if (roll < 0.5) {
        at(ago, () => engine.startTask({ node, type: 'aptupdate', user: 'root@pam', worker: (ctx) => aptUpdate(ctx) }));
      } else if (roll < 0.62 && ago > 20 * MINUTE) {
        // A backup on request, of one or two guests of a node (long before now: it must not hold the
        // node's backup lock when the running job below starts).
        const local = plain.filter((candidate) => candidate.node === guest.node);
        const vmids = [...new Set([guest.vmid, rng.pick(local).vmid])].sort((a, b) => a - b).slice(0, rng.int(1, 2));
        at(ago, () => startBackup(core, guest.node, vmids));
      } else if (roll < 0.78) {
        guestChore(core, rng, at, ago, user);
      } else if (roll < 0.9) {
        const snapname = `before-patch-${Math.round(ago / MINUTE)}m`;
        at(ago, () =>
          engine.startTask({
            node: guest.node,
            type: guest.type === 'qemu' ? 'qmsnapshot' : 'vzsnapshot',
            id: String(guest.vmid),
            user,
            worker: (ctx) =>
              snapshotGuest(ctx, guest.type, guest.vmid, guest.node, snapname, { vmstate: false, description: `by ${user}` }),
          }),
        );
      } else {
        // Someone tries to start a guest that cannot start (a broken disk, a template): PVE's error.
        const broken = guests.filter((candidate) => candidate.startFailure || candidate.template);
        if (broken.length === 0) continue;
        const target = rng.pick(broken);
        at(ago, () =>
          engine.startTask({
            node: target.node,
            type: target.type === 'qemu' ? 'qmstart' : 'vzstart',
            id: String(target.vmid),
            user,
            worker: (ctx) => startGuest(ctx, target.type, target.vmid, target.node),
          }),
        );
      }
    }

    // Running now: a backup job part-way through (qemu guests first: their progress shows), consoles
    // and a node shell. Their start is in nominal time, so at any speed they are as far along.
    const jobNode = rng.pick(nodes);
    const jobGuests = plain
      .filter((guest) => guest.node === jobNode && guest.status === 'running' && !guest.backupError)
      .sort((a, b) => (a.type === b.type ? a.vmid - b.vmid : a.type === 'qemu' ? -1 : 1))
      .slice(0, 4)
      .map((guest) => guest.vmid)
      .sort((a, b) => a - b);
    if (jobGuests.length > 0) at(engine.scale(40_000), () => startBackup(core, jobNode, jobGuests));
    const running = plain.filter((guest) => guest.status === 'running');
    for (const [i, user] of ['admin@pve', 'jdoe@pve'].entries()) {
      if (running.length === 0) break;
      const guest = rng.pick(running);
      const openedAgo = engine.scale(rng.range(30_000, 8 * MINUTE));
      const lasts = rng.range(10 * MINUTE, 30 * MINUTE) + (i === 0 ? 0 : 5 * MINUTE);
      at(openedAgo, () =>
        engine.startTask({ node: guest.node, type: 'vncproxy', id: String(guest.vmid), user, worker: (ctx) => openSession(ctx, lasts) }),
      );
    }
    const shellNode = rng.pick(nodes);
    at(engine.scale(rng.range(2 * MINUTE, 6 * MINUTE)), () =>
      engine.startTask({
        node: shellNode,
        type: 'vncshell',
        user: 'root@pam',
        worker: (ctx) => openSession(ctx, rng.range(20 * MINUTE, 40 * MINUTE)),
      }),
    );
  });
  // Play the hour forward now, so the first request already sees it.
  engine.settle();
}

/**
 * A guest chore whose end state is what the cluster shows now: a reboot of a running guest, a
 * shutdown of a stopped one.
 */
function guestChore(core: SimCore, rng: Rng, at: (agoMs: number, run: () => void) => void, ago: number, user: string): void {
  const engine = core.engine;
  const candidates = [...core.cluster.guests.values()].filter((guest) => !guest.template && !guest.startFailure);
  if (candidates.length === 0) return;
  const guest: GuestState = rng.pick(candidates);
  const prefix = guest.type === 'qemu' ? 'qm' : 'vz';
  if (guest.status === 'running') {
    at(ago, () =>
      engine.startTask({
        node: guest.node,
        type: `${prefix}reboot`,
        id: String(guest.vmid),
        user,
        worker: (ctx) => (guest.type === 'qemu' ? rebootVm : rebootCt)(ctx, guest.vmid, guest.node),
      }),
    );
  } else {
    at(ago, () =>
      engine.startTask({ node: guest.node, type: `${prefix}shutdown`, id: String(guest.vmid), user, worker: (ctx) => pastShutdown(ctx) }),
    );
  }
}
