/**
 * A VM's reboot as qemu-server does it: the `qmreboot` task leaves a reboot request and shuts the VM
 * down (power.ts `rebootGuest`); when QEMU exits, qmeventd runs `qm cleanup`, which finds the request
 * and starts the VM through the API as root@pam (qemu-server CLI/qm.pm `cleanup`): a `qmstart` task of
 * its own a moment later, or for an HA-managed VM an `hastart` whose HA stack then starts it.
 */
import type { TaskWorker, WorkerContext } from '../engine.js';
import { haRequest } from './ha.js';
import { rebootGuest, startGuest } from './power.js';

/** A container's `vzreboot`: down and up again inside the task. */
export function* rebootCt(ctx: WorkerContext, vmid: number, node: string, timeout?: number): TaskWorker {
  yield* rebootGuest(ctx, 'lxc', vmid, node, timeout);
  return undefined;
}

export function* rebootVm(ctx: WorkerContext, vmid: number, node: string, timeout?: number): TaskWorker {
  const rebooted = yield* rebootGuest(ctx, 'qemu', vmid, node, timeout);
  if (!rebooted) return undefined;
  const engine = ctx.engine;
  engine.schedule(engine.now() + engine.scale(ctx.rng.range(800, 2500)), () => {
    const guest = engine.cluster.guests.get(vmid);
    if (!guest || guest.node !== node || guest.status === 'running') return;
    const ha = guest.hastate !== undefined;
    engine.startTask({
      node,
      type: ha ? 'hastart' : 'qmstart',
      id: String(vmid),
      user: 'root@pam',
      worker: (w) => (ha ? haRequest(w, 'qemu', vmid, { want: 'started' }) : startGuest(w, 'qemu', vmid, node)),
    });
  });
  return undefined;
}
