/** Guest endpoints: the qemu and lxc lists, a guest's current status, and its snapshots. */
import { guestUsage } from '../metrics.js';
import { configDigest, type GuestState, type GuestType } from '../model.js';
import { snapshotGuest } from '../workers/index.js';
import { ApiError, hasPrivilege, localGuest, startTask, str, type ApiResult, type RouteContext } from './common.js';

function guestListItem(guest: GuestState, now: number) {
  const item: Record<string, unknown> = {
    vmid: guest.vmid,
    name: guest.name,
    status: guest.status,
    cpus: guest.cpus,
    ...guestUsage(guest, now),
  };
  if (guest.type === 'lxc') item.type = 'lxc';
  if (guest.status === 'running') item.pid = 10_000 + guest.vmid * 7;
  if (guest.tags.length > 0) item.tags = guest.tags.join(';');
  if (guest.template) item.template = 1;
  if (guest.lock) item.lock = guest.lock;
  return item;
}

export function guestList(type: GuestType) {
  return (ctx: RouteContext): ApiResult => {
    const node = String(ctx.params.node);
    const now = ctx.core.clock.now();
    const out: unknown[] = [];
    for (const guest of ctx.core.cluster.guests.values()) {
      if (guest.node !== node || guest.type !== type) continue;
      // Only guests the caller may audit (VM.Audit on /vms/<vmid>).
      if (!hasPrivilege(ctx, `/vms/${guest.vmid}`, 'VM.Audit')) continue;
      const item = guestListItem(guest, now);
      if (type === 'qemu' && ctx.params.full === 1) item.qmpstatus = guest.status;
      out.push(item);
    }
    return { data: out };
  };
}

export function guestCurrent(type: GuestType) {
  return (ctx: RouteContext): ApiResult => {
    const guest = localGuest(ctx, type);
    const item = guestListItem(guest, ctx.core.clock.now());
    item.ha = guest.hastate ? { managed: 1, state: guest.hastate } : { managed: 0 };
    if (type === 'qemu') {
      item.qmpstatus = guest.status;
      if (guest.status === 'running') {
        item['running-machine'] = ctx.core.dialect.machine;
        item['running-qemu'] = ctx.core.dialect.qemuVersion;
      }
    }
    return { data: item };
  };
}

export function snapshotList(type: GuestType) {
  return (ctx: RouteContext): ApiResult => {
    const guest = localGuest(ctx, type);
    const out: unknown[] = guest.snapshots.map((snapshot) => {
      const item: Record<string, unknown> = { name: snapshot.name, snaptime: snapshot.snaptime, description: snapshot.description };
      if (type === 'qemu') item.vmstate = snapshot.vmstate ? 1 : 0;
      if (snapshot.parent !== undefined) item.parent = snapshot.parent;
      if (snapshot.snapstate) item.snapstate = snapshot.snapstate;
      return item;
    });
    const current: Record<string, unknown> = {
      name: 'current',
      digest: configDigest(guest),
      running: guest.status === 'running' ? 1 : 0,
      description: 'You are here!',
    };
    if (guest.currentParent !== undefined) current.parent = guest.currentParent;
    out.push(current);
    return { data: out };
  };
}

export function snapshotCreate(type: GuestType) {
  return (ctx: RouteContext): ApiResult => {
    const snapname = String(ctx.params.snapname);
    const reserved =
      type === 'qemu' ? snapname === 'current' || snapname.toLowerCase() === 'pending' : snapname === 'current' || snapname === 'vzdump';
    if (reserved) throw new ApiError(500, `unable to use snapshot name '${snapname}' (reserved name)`);
    const guest = localGuest(ctx, type);
    const node = String(ctx.params.node);
    const description = str(ctx.params.description);
    const options = { vmstate: ctx.params.vmstate === 1, ...(description === undefined ? {} : { description }) };
    return startTask(ctx, type === 'qemu' ? 'qmsnapshot' : 'vzsnapshot', (w) =>
      snapshotGuest(w, type, guest.vmid, node, snapname, options),
    );
  };
}
