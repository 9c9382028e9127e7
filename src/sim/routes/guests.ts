/** Guest endpoints: lists and status, power actions (with HA), snapshots, migration and vzdump. */
import { guestUsage } from '../metrics.js';
import { configDigest, type GuestState, type GuestType } from '../model.js';
import { splitList } from '../params.js';
import {
  haMigrate,
  haRequest,
  migrateGuest,
  rebootGuest,
  snapshotGuest,
  startGuest,
  stopGuest,
  vzdump,
  type VzdumpPlan,
} from '../workers.js';
import { ApiError, int, localGuest, rootOnly, str, upidResult, type ApiResult, type RouteContext } from './common.js';

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
        item['running-machine'] = 'pc-q35-10.0+pve1';
        item['running-qemu'] = '10.0.2';
      }
    }
    return { data: item };
  };
}

export function startAction(type: GuestType) {
  return (ctx: RouteContext): ApiResult => {
    const { core, principal } = ctx;
    const node = String(ctx.params.node);
    const vmid = int(ctx.params.vmid);
    rootOnly(
      ctx,
      type === 'qemu'
        ? ['skiplock', 'migratedfrom', 'stateuri', 'force-cpu', 'nets-host-mtu', 'migration_network', 'migration_type', 'targetstorage']
        : ['skiplock'],
    );
    const guest = core.cluster.guests.get(vmid);
    if (type === 'lxc') {
      // Containers check synchronously; VMs fail inside their task.
      const local = localGuest(ctx, 'lxc');
      if (local.status === 'running') throw new ApiError(500, `CT ${vmid} already running`);
    }
    if (guest?.hastate && guest.type === type) {
      return upidResult(
        core.engine.startTask({
          node,
          type: 'hastart',
          id: String(vmid),
          user: principal.authid,
          worker: (w) => haRequest(w, type, vmid, 'started'),
        }),
      );
    }
    return upidResult(
      core.engine.startTask({
        node,
        type: type === 'qemu' ? 'qmstart' : 'vzstart',
        id: String(vmid),
        user: principal.authid,
        worker: (w) => startGuest(w, type, vmid, node),
      }),
    );
  };
}

export function stopAction(type: GuestType, how: 'stop' | 'shutdown') {
  return (ctx: RouteContext): ApiResult => {
    const { core, principal } = ctx;
    const node = String(ctx.params.node);
    const vmid = int(ctx.params.vmid);
    rootOnly(ctx, ['skiplock', 'keepActive', 'migratedfrom']);
    if (type === 'lxc') {
      const local = localGuest(ctx, 'lxc');
      if (local.status !== 'running') throw new ApiError(500, `CT ${vmid} not running`);
    }
    const guest = core.cluster.guests.get(vmid);
    if (guest?.hastate && guest.type === type) {
      return upidResult(
        core.engine.startTask({
          node,
          type: 'hastop',
          id: String(vmid),
          user: principal.authid,
          worker: (w) => haRequest(w, type, vmid, 'stopped'),
        }),
      );
    }
    const taskType = `${type === 'qemu' ? 'qm' : 'vz'}${how}`;
    return upidResult(
      core.engine.startTask({
        node,
        type: taskType,
        id: String(vmid),
        user: principal.authid,
        worker: (w) => stopGuest(w, type, vmid, node, how),
      }),
    );
  };
}

export function rebootAction(type: GuestType) {
  return (ctx: RouteContext): ApiResult => {
    const guest = localGuest(ctx, type);
    const node = String(ctx.params.node);
    if (guest.status !== 'running') throw new ApiError(500, `${type === 'qemu' ? 'VM' : 'CT'} ${guest.vmid} not running`);
    return upidResult(
      ctx.core.engine.startTask({
        node,
        type: type === 'qemu' ? 'qmreboot' : 'vzreboot',
        id: String(guest.vmid),
        user: ctx.principal.authid,
        worker: (w) => rebootGuest(w, type, guest.vmid, node),
      }),
    );
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
    return upidResult(
      ctx.core.engine.startTask({
        node,
        type: type === 'qemu' ? 'qmsnapshot' : 'vzsnapshot',
        id: String(guest.vmid),
        user: ctx.principal.authid,
        worker: (w) =>
          snapshotGuest(w, type, guest.vmid, node, snapname, {
            vmstate: ctx.params.vmstate === 1,
            ...(description === undefined ? {} : { description }),
          }),
      }),
    );
  };
}

export function migrate(ctx: RouteContext): ApiResult {
  const { core, params, principal } = ctx;
  const node = String(params.node);
  const target = String(params.target);
  rootOnly(ctx, ['force', 'migration_type', 'migration_network']);
  if (target === node) throw new ApiError(400, 'Parameter verification failed.', { target: 'target is local node.' });
  if (!core.hasNode(target)) throw new ApiError(500, `no such cluster node '${target}'`);
  const guest = localGuest(ctx, 'qemu');
  const online = params.online === 1;
  if (guest.status === 'running' && !online) throw new ApiError(500, "can't migrate running VM without --online");
  const vmid = guest.vmid;
  if (guest.hastate) {
    return upidResult(
      core.engine.startTask({
        node,
        type: 'hamigrate',
        id: String(vmid),
        user: principal.authid,
        worker: (w) => haMigrate(w, vmid, target),
      }),
    );
  }
  return upidResult(
    core.engine.startTask({
      node,
      type: 'qmigrate',
      id: String(vmid),
      user: principal.authid,
      worker: (w) => migrateGuest(w, vmid, node, target, online),
    }),
  );
}

function quoteArg(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function vzdumpAction(ctx: RouteContext): ApiResult {
  const { core, params, principal } = ctx;
  const node = String(params.node);
  if (params.all === 1 && params.vmid !== undefined) {
    throw new ApiError(400, 'Parameter verification failed.', { all: "option conflicts with option 'vmid'" });
  }
  if (params.exclude !== undefined && params.vmid !== undefined) {
    throw new ApiError(400, 'Parameter verification failed.', { exclude: "option conflicts with option 'vmid'" });
  }
  if (params.pool !== undefined && params.vmid !== undefined) {
    throw new ApiError(400, 'Parameter verification failed.', { pool: "option conflicts with option 'vmid'" });
  }
  if (params.all !== 1 && params.vmid === undefined && params.pool === undefined) {
    throw new ApiError(400, 'Parameter verification failed.', { vmid: 'property is missing' });
  }
  rootOnly(ctx, ['maxfiles', 'prune-backups', 'tmpdir', 'dumpdir', 'script', 'bwlimit', 'ionice'], 'Only root may set this option.');
  if (params.pool !== undefined) throw new ApiError(500, `pool '${String(params.pool)}' does not exist`);
  let local: number[];
  let missing: number[] = [];
  let external: number[] = [];
  if (params.all === 1) {
    const excluded = new Set(splitList(String(params.exclude ?? '')).map(Number));
    local = [...core.cluster.guests.values()]
      .filter((guest) => guest.node === node && !excluded.has(guest.vmid))
      .map((guest) => guest.vmid);
  } else {
    const listed = [...new Set(splitList(String(params.vmid)).map(Number))];
    local = listed.filter((vmid) => core.cluster.guests.get(vmid)?.node === node);
    missing = listed.filter((vmid) => !core.cluster.guests.has(vmid));
    external = listed.filter((vmid) => !local.includes(vmid) && !missing.includes(vmid));
    // Silent exit when every listed guest runs on another node.
    if (local.length === 0 && missing.length === 0) return { data: 'OK' };
  }
  const options = Object.entries(params)
    .filter(([key]) => key !== 'vmid' && key !== 'all')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `--${key} ${quoteArg(String(value))}`);
  const selection = params.all === 1 ? ['--all 1'] : splitList(String(params.vmid));
  const plan: VzdumpPlan = {
    node,
    vmids: [...local, ...missing].sort((a, b) => a - b),
    external,
    storage: str(params.storage) ?? 'local',
    mode: str(params.mode) ?? 'snapshot',
    compress: str(params.compress) ?? '0',
    commandLine: ['vzdump', ...selection, ...options].join(' '),
  };
  // The task id is the vmid when exactly one guest (deleted ones included) is backed up here.
  const id = plan.vmids.length === 1 ? String(plan.vmids[0]) : '';
  return upidResult(core.engine.startTask({ node, type: 'vzdump', id, user: principal.authid, worker: (w) => vzdump(w, plan) }));
}
