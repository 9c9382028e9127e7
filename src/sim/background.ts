/**
 * Other people's work on a busy cluster (`background: true`): scheduled backups by root@pam, console
 * sessions by admins, package index updates. These tasks never change guests' power state, so they
 * do not disturb what a user does; a background vzdump does take its node's backup lock.
 */
import type { SimCore } from './core.js';
import { Rng } from './rng.js';
import { aptUpdate, vncProxy, vzdump } from './workers.js';

const USERS = ['admin@pve', 'ops@pve', 'jdoe@pve', 'root@pam'];

export function startBackground(core: SimCore, seed: number): void {
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
    engine.startTask({ node, type: 'vncproxy', id: String(guest.vmid), user: rng.pick(USERS), worker: (ctx) => vncProxy(ctx, rng.chance(0.1)) });
  } else if (roll < 0.8 && local.length > 0) {
    const picked = [...new Set(Array.from({ length: rng.int(1, 3) }, () => rng.pick(local).vmid))].sort((a, b) => a - b);
    engine.startTask({
      node,
      type: 'vzdump',
      id: picked.length === 1 ? String(picked[0]) : '',
      user: 'root@pam',
      worker: (ctx) =>
        vzdump(ctx, {
          node,
          vmids: picked,
          external: [],
          storage: 'backup-nfs',
          mode: 'snapshot',
          compress: 'zstd',
          commandLine: `vzdump ${picked.join(' ')} --compress zstd --mode snapshot --node ${node} --storage backup-nfs`,
        }),
    });
  } else {
    engine.startTask({ node, type: 'aptupdate', user: 'root@pam', worker: (ctx) => aptUpdate(ctx) });
  }
}
