/**
 * HA-managed guests: the API only asks the HA stack (`hastart`, `hastop`, `hamigrate` tasks that
 * log `Requesting HA ...`); a few seconds later the local resource manager does the work in tasks of
 * its own, owned by root@pam and beginning `task started by HA resource agent` (pve-ha-manager
 * Resources/PVEVM.pm and PVECT.pm): start; shutdown with the request's timeout (a VM with
 * forceStop) or a hard stop when the timeout is 0; an online migration with local disks for a VM;
 * for a CT a shutdown, an offline migration and a start on the target.
 */
import type { Engine, TaskWorker, WorkerContext } from '../engine.js';
import type { GuestState, GuestType } from '../model.js';
import { label } from './common.js';
import { migrateLxc } from './migrate-lxc.js';
import { migrateQemu } from './migrate-qemu.js';
import { startGuest, stopGuest } from './power.js';

/** How long the HA stack (CRM, then LRM) takes to act on a request, nominal ms. */
const haDelay = (engine: Engine) => engine.rng.range(4000, 11000);

export type HaRequest = { want: 'started' } | { want: 'stopped'; timeout: number };

/** `hastart` / `hastop`: the request, then the LRM's own task. */
export function* haRequest(ctx: WorkerContext, type: GuestType, vmid: number, request: HaRequest): TaskWorker {
  ctx.log(`Requesting HA ${request.want === 'started' ? 'start' : 'stop'} for ${label(type)} ${vmid}`);
  yield { sleep: ctx.rng.range(300, 900) };
  const guest = ctx.engine.cluster.guests.get(vmid);
  if (!guest) return;
  guest.hastate = request.want;
  const engine = ctx.engine;
  afterHaDelay(engine, () => {
    const current = engine.cluster.guests.get(vmid);
    if (!current || current.hastate !== request.want) return;
    if (request.want === 'started') {
      if (current.status !== 'running')
        agentTask(engine, current, type === 'qemu' ? 'qmstart' : 'vzstart', (w) => startGuest(w, type, vmid, current.node));
      return;
    }
    if (current.status !== 'running') return;
    const prefix = type === 'qemu' ? 'qm' : 'vz';
    if (request.timeout > 0) {
      agentTask(engine, current, `${prefix}shutdown`, (w) =>
        stopGuest(w, type, vmid, current.node, { how: 'shutdown', timeout: request.timeout, forceStop: type === 'qemu' }),
      );
    } else {
      agentTask(engine, current, `${prefix}stop`, (w) => stopGuest(w, type, vmid, current.node, { how: 'stop' }));
    }
  });
}

/** `hamigrate`: the HA stack moves the guest (`migrate` state while it does), then reports its old state again. */
export function* haMigrate(ctx: WorkerContext, type: GuestType, vmid: number, target: string): TaskWorker {
  ctx.log(`Requesting HA migration for ${label(type)} ${vmid} to node ${target}`);
  yield { sleep: ctx.rng.range(300, 900) };
  const engine = ctx.engine;
  const guest = engine.cluster.guests.get(vmid);
  if (!guest || guest.node === target) return;
  const settled = guest.hastate === 'stopped' ? 'stopped' : 'started';
  guest.hastate = type === 'qemu' ? 'migrate' : 'relocate';
  const done = () => {
    if (guest.hastate === 'migrate' || guest.hastate === 'relocate') guest.hastate = settled;
  };
  afterHaDelay(engine, () => {
    const source = guest.node;
    if (source === target) return done();
    if (type === 'qemu') {
      agentTask(engine, guest, 'qmigrate', (w) =>
        then(migrateQemu(w, vmid, source, { target, online: guest.status === 'running', withLocalDisks: true, force: true }), done, done),
      );
      return;
    }
    const migrate = () =>
      agentTask(engine, guest, 'vzmigrate', (w) =>
        then(
          migrateLxc(w, vmid, source, { target, online: false, restart: false }),
          () => {
            done();
            // The CRM sees the CT on its new node, still meant to run: the LRM there starts it.
            if (settled === 'started')
              afterHaDelay(engine, () => agentTask(engine, guest, 'vzstart', (s) => startGuest(s, 'lxc', vmid, guest.node)));
          },
          done,
        ),
      );
    if (guest.status !== 'running') return migrate();
    agentTask(engine, guest, 'vzshutdown', (w) => then(stopGuest(w, 'lxc', vmid, source, { how: 'shutdown', timeout: 60 }), migrate, done));
  });
}

function afterHaDelay(engine: Engine, run: () => void): void {
  engine.schedule(engine.now() + engine.scale(haDelay(engine)), run);
}

/** A task forked by the HA resource agent on the guest's node, as root@pam. */
function agentTask(engine: Engine, guest: GuestState, type: string, worker: (ctx: WorkerContext) => TaskWorker): void {
  engine.startTask({ node: guest.node, type, id: String(guest.vmid), user: 'root@pam', haAgent: true, worker });
}

/** Runs `inner`; on success `next`, on failure `failed` (the HA stack moves on either way). */
function* then(inner: TaskWorker, next: () => void, failed: () => void): TaskWorker {
  let result;
  try {
    result = yield* inner;
  } catch (error) {
    failed();
    throw error;
  }
  next();
  return result;
}
