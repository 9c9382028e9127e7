/**
 * The API endpoints: paths, which node a call is proxied to, and handlers returning PVE's shapes
 * (`{data}`, `total` when truthy). Handlers run after authentication, proxying and parameter checks.
 */
import { gzipSync } from 'node:zlib';
import { parseUpid, type Upid } from '../tasks/upid.js';
import type { Principal } from './auth.js';
import type { SimCore } from './core.js';
import { ARCHIVE_LISTED, statusType, taskUserFields, type SimTask } from './engine.js';
import { guestMetrics, nodeMetrics } from './metrics.js';
import { configDigest, guestConfigPath, type GuestState, type GuestType } from './model.js';
import { splitList, type Params } from './params.js';
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
} from './workers.js';

/** An error answered as PVE does: status, reason = first line of the message, JSON body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message);
  }
}

export interface RawResponse {
  raw: { status: number; headers: Record<string, string>; body: Buffer };
}
export type ApiResult = { data: unknown; total?: number } | RawResponse;

export interface RouteContext {
  core: SimCore;
  /** The node whose listener received the request. */
  listener: string;
  principal: Principal;
  params: Params;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** The schema path, e.g. `/nodes/{node}/tasks/{upid}/status`. */
  template: string;
  /** `proxyto => 'node'`: executed on the node named in the path. */
  proxied: boolean;
  handler: (ctx: RouteContext) => ApiResult;
}

const int = (value: unknown) => Number(value);
const str = (value: unknown) => (value === undefined ? undefined : String(value));

// --- helpers -------------------------------------------------------------------------------------

function parseUpidParam(text: string): Upid {
  try {
    return parseUpid(text);
  } catch {
    throw new ApiError(400, 'Parameter verification failed.', { upid: 'unable to parse worker upid' });
  }
}

/** Owner (or a user looking at their own tokens' tasks), or Sys.Audit. */
function canSeeTask(principal: Principal, authid: string): boolean {
  if (principal.audit || authid === principal.authid) return true;
  return principal.tokenid === undefined && authid.startsWith(`${principal.authid}!`);
}

function findTaskOnNode(core: SimCore, node: string, upid: string): SimTask {
  parseUpidParam(upid);
  const task = core.engine.tasks.get(upid);
  if (!task || task.node !== node) throw new ApiError(400, 'Parameter verification failed.', { upid: 'no such task' });
  return task;
}

function permissionDenied(path: string, privilege: string): ApiError {
  return new ApiError(403, `Permission check failed (${path}, ${privilege})`);
}

function localGuest(ctx: RouteContext, type: GuestType): GuestState {
  const node = String(ctx.params.node);
  const vmid = int(ctx.params.vmid);
  const guest = ctx.core.cluster.guests.get(vmid);
  if (!guest || guest.node !== node || guest.type !== type) {
    throw new ApiError(500, `Configuration file '${guestConfigPath({ type, vmid }, node)}' does not exist`);
  }
  return guest;
}

function rootOnly(ctx: RouteContext, names: string[], message = 'Only root may use this option.'): void {
  if (ctx.principal.authid === 'root@pam') return;
  const errors: Record<string, string> = {};
  for (const name of names) if (name in ctx.params) errors[name] = message;
  if (Object.keys(errors).length > 0) throw new ApiError(400, 'Parameter verification failed.', errors);
}

function upidResult(task: SimTask): ApiResult {
  return { data: task.upid };
}

function withTotal(data: unknown[], total: number): ApiResult {
  // PVE omits `total` when it is 0.
  return total ? { data, total } : { data };
}

// --- tasks ---------------------------------------------------------------------------------------

function archiveItem(task: SimTask) {
  return {
    upid: task.upid,
    node: task.node,
    pid: task.pid,
    pstart: task.pstart,
    starttime: task.starttime,
    type: task.type,
    id: task.id,
    ...taskUserFields(task),
    endtime: Math.floor((task.endedAt ?? 0) / 1000),
    status: task.exitStatus ?? 'unexpected status',
  };
}

function activeItem(task: SimTask) {
  // The active list is not passed through the token split, as on PVE.
  return {
    upid: task.upid,
    node: task.node,
    pid: task.pid,
    pstart: task.pstart,
    starttime: task.starttime,
    type: task.type,
    id: task.id,
    user: task.user,
    status: 'RUNNING',
  };
}

function nodeTasks(ctx: RouteContext): ApiResult {
  const { params, core, principal } = ctx;
  const node = String(params.node);
  const source = str(params.source) ?? 'archive';
  const start = params.start === undefined ? 0 : int(params.start);
  let limit = params.limit === undefined ? 50 : int(params.limit);
  const userfilter = str(params.userfilter)?.toLowerCase();
  const typefilter = str(params.typefilter);
  const vmid = str(params.vmid);
  const since = params.since === undefined ? undefined : int(params.since);
  const until = params.until === undefined ? undefined : int(params.until);
  const errorsOnly = params.errors === 1;
  const statuses =
    !errorsOnly && params.statusfilter !== undefined
      ? new Set(splitList(String(params.statusfilter)).map((status) => status.toLowerCase()))
      : undefined;

  const matches = (task: SimTask) => {
    if (!canSeeTask(principal, task.user)) return false;
    if (userfilter !== undefined && !task.user.toLowerCase().includes(userfilter)) return false;
    if (typefilter !== undefined && task.type !== typefilter) return false;
    if (vmid !== undefined && task.id !== vmid) return false;
    if (since !== undefined && task.starttime < since) return false;
    if (until !== undefined && task.starttime > until) return false;
    if (errorsOnly && statusType(task) === 'ok') return false;
    if (statuses && !statuses.has(statusType(task))) return false;
    return true;
  };

  const out: unknown[] = [];
  let count = 0;
  const consider = (task: SimTask, item: () => unknown) => {
    if (!matches(task)) return;
    if (count++ < start) return;
    if (limit <= 0) return; // limit=0 lists nothing (unlike the log endpoint)
    limit--;
    out.push(item());
  };
  const lists = core.engine.nodeTasks(node);
  if (source === 'active' || source === 'all') {
    const running = [...lists.running.values()];
    for (let i = running.length - 1; i >= 0; i--) consider(running[i]!, () => activeItem(running[i]!));
  }
  if (source === 'archive' || source === 'all') {
    const archive = lists.archive;
    const oldest = Math.max(0, archive.length - ARCHIVE_LISTED);
    for (let i = archive.length - 1; i >= oldest; i--) consider(archive[i]!, () => archiveItem(archive[i]!));
  }
  return withTotal(out, count);
}

const CLUSTER_TASKS_PER_NODE = 25;
const CFS_MAX_STATUS_SIZE = 32 * 1024;

function clusterTaskItem(task: SimTask) {
  const item: Record<string, unknown> = {
    upid: task.upid,
    node: task.node,
    starttime: task.starttime,
    type: task.type,
    id: task.id,
    ...taskUserFields(task),
  };
  if (task.running) item.pid = task.pid;
  else {
    item.endtime = Math.floor((task.endedAt ?? 0) / 1000);
    item.status = task.exitStatus ?? 'unexpected status';
  }
  item.saved = task.running ? '0' : '1';
  return item;
}

function clusterTasks(ctx: RouteContext): ApiResult {
  const { core, principal } = ctx;
  const out: unknown[] = [];
  for (const node of core.cluster.nodes) {
    const lists = core.engine.nodeTasks(node.name);
    const running = [...lists.running.values()].reverse();
    const finishedWanted = CLUSTER_TASKS_PER_NODE - running.length;
    let finished: SimTask[] = [];
    if (finishedWanted > 0) {
      finished = lists.archive
        .slice(-CLUSTER_TASKS_PER_NODE * 2)
        .reverse() // ties on start time: the last to end first
        .sort((a, b) => b.starttime - a.starttime || b.startedAt - a.startedAt)
        .slice(0, finishedWanted);
    }
    // Each node broadcasts its list through pmxcfs, trimmed below 32 KiB of JSON.
    const items = [...running, ...finished].map((task) => ({ task, item: clusterTaskItem(task) }));
    let size = 2 + items.reduce((sum, entry) => sum + JSON.stringify(entry.item).length + 1, 0);
    while (items.length > 0 && size >= CFS_MAX_STATUS_SIZE) {
      size -= JSON.stringify(items.pop()!.item).length + 1;
    }
    for (const { item } of items) {
      // Without Sys.Audit on / only `task.user eq authuser` shows, after the token split: a token
      // therefore sees none of its own tasks here.
      if (principal.audit || item.user === principal.authid) out.push(item);
    }
  }
  return { data: out };
}

function taskStatus(ctx: RouteContext): ApiResult {
  const task = findTaskOnNode(ctx.core, String(ctx.params.node), String(ctx.params.upid));
  if (!canSeeTask(ctx.principal, task.user)) throw permissionDenied(`/nodes/${task.node}`, 'Sys.Audit');
  const data: Record<string, unknown> = {
    upid: task.upid,
    node: task.node,
    pid: task.pid,
    pstart: task.pstart,
    starttime: task.starttime,
    type: task.type,
    id: task.id,
    ...taskUserFields(task),
    status: task.running ? 'running' : 'stopped',
  };
  if (!task.running) data.exitstatus = task.exitStatus;
  return { data };
}

function taskLog(ctx: RouteContext): ApiResult {
  const { params, core } = ctx;
  const node = String(params.node);
  const upid = parseUpidParam(String(params.upid));
  if (!canSeeTask(ctx.principal, upid.user)) throw permissionDenied(`/nodes/${node}`, 'Sys.Audit');
  const task = core.engine.tasks.get(upid.upid);
  const found = task && task.node === node ? task : undefined;
  if (params.download === 1) {
    if (params.start !== undefined || params.limit !== undefined) {
      throw new ApiError(500, "Parameter 'download' may not be used with 'start' or 'limit'");
    }
    if (!found) throw new ApiError(500, 'unable to open file - No such file or directory');
    const text = Buffer.from(found.log.map((line) => `${line}\n`).join(''));
    const stamp = new Date(found.startedAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const headers: Record<string, string> = {
      'content-type': 'text/plain',
      'content-disposition': `attachment; filename="task-${found.node}-${found.type}-${stamp}.log"`,
    };
    if (text.length > 1024) {
      headers['content-encoding'] = 'gzip';
      return { raw: { status: 200, headers, body: gzipSync(text) } };
    }
    return { raw: { status: 200, headers, body: text } };
  }
  if (!found) return { data: [{ n: 1, t: 'unable to open file - No such file or directory' }], total: 1 };
  const lines = found.log;
  if (lines.length === 0) return { data: [{ n: 1, t: 'no content' }], total: 1 };
  const start = params.start === undefined ? 0 : int(params.start);
  const limit = params.limit === undefined ? 50 : int(params.limit);
  const end = limit === 0 ? lines.length : Math.min(lines.length, start + limit); // limit=0: all lines
  const data: Array<{ n: number; t: string }> = [];
  for (let i = start; i < end; i++) data.push({ n: i + 1, t: lines[i]! });
  return { data, total: lines.length };
}

function stopTask(ctx: RouteContext): ApiResult {
  const task = findTaskOnNode(ctx.core, String(ctx.params.node), String(ctx.params.upid));
  const owner = task.user === ctx.principal.authid || (ctx.principal.tokenid === undefined && task.user.startsWith(`${ctx.principal.authid}!`));
  if (!owner && !ctx.principal.audit) throw permissionDenied(`/nodes/${task.node}`, 'Sys.Modify');
  ctx.core.engine.interrupt(task);
  return { data: null };
}

// --- cluster and nodes ---------------------------------------------------------------------------

function version(): ApiResult {
  return { data: { version: '9.1.1', release: '9.1', repoid: '42d1c1a5b7e3f9d0' } };
}

function nodesIndex(ctx: RouteContext): ApiResult {
  const { core, principal } = ctx;
  const now = core.clock.now();
  return {
    data: core.cluster.nodes.map((node) => {
      const online = core.isOnline(node.name);
      const base = {
        node: node.name,
        status: online ? 'online' : 'offline',
        id: `node/${node.name}`,
        type: 'node',
        level: '',
        ssl_fingerprint: core.options.fingerprint,
      };
      // Stats only for online nodes and with Sys.Audit, as on PVE.
      if (!online || !principal.audit) return base;
      const metrics = nodeMetrics(node, now);
      return { ...base, maxcpu: node.maxcpu, maxmem: node.maxmem, maxdisk: node.maxdisk, ...metrics };
    }),
  };
}

function clusterStatus(ctx: RouteContext): ApiResult {
  const { core, listener } = ctx;
  const nodes = core.cluster.nodes;
  const online = nodes.filter((node) => core.isOnline(node.name)).length;
  return {
    data: [
      { type: 'cluster', id: 'cluster', name: core.cluster.name, nodes: nodes.length, quorate: online * 2 > nodes.length ? 1 : 0, version: nodes.length + 2 },
      ...nodes.map((node) => ({
        type: 'node',
        id: `node/${node.name}`,
        name: node.name,
        ip: node.ip,
        level: '',
        local: node.name === listener ? 1 : 0,
        nodeid: node.nodeid,
        online: core.isOnline(node.name) ? 1 : 0,
      })),
    ],
  };
}

function guestResource(core: SimCore, guest: GuestState, now: number) {
  const id = `${guest.type}/${guest.vmid}`;
  // Without RRD data (node offline) PVE shows only these fields and no name.
  if (!core.isOnline(guest.node)) return { id, vmid: guest.vmid, node: guest.node, type: guest.type, status: 'unknown' };
  const metrics = guestMetrics(guest, now);
  const item: Record<string, unknown> = {
    id,
    type: guest.type,
    vmid: guest.vmid,
    node: guest.node,
    name: guest.name,
    status: guest.status,
    template: guest.template ? 1 : 0,
    uptime: metrics.uptime,
    maxcpu: guest.cpus,
    cpu: metrics.cpu,
    maxmem: guest.maxmem,
    mem: metrics.mem,
    maxdisk: guest.maxdisk,
    disk: metrics.disk,
    netin: metrics.netin,
    netout: metrics.netout,
    diskread: metrics.diskread,
    diskwrite: metrics.diskwrite,
  };
  if (guest.tags.length > 0) item.tags = guest.tags.join(';');
  if (guest.hastate) item.hastate = guest.hastate;
  if (guest.lock) item.lock = guest.lock;
  return item;
}

function clusterResources(ctx: RouteContext): ApiResult {
  const { core } = ctx;
  const type = str(ctx.params.type);
  const now = core.clock.now();
  const out: unknown[] = [];
  if (!type || type === 'vm') {
    for (const guest of core.cluster.guests.values()) out.push(guestResource(core, guest, now));
  }
  if (!type || type === 'node') {
    for (const node of core.cluster.nodes) {
      const online = core.isOnline(node.name);
      const base = { id: `node/${node.name}`, type: 'node', node: node.name, status: online ? 'online' : 'offline', level: '' };
      out.push(
        online
          ? { ...base, maxcpu: node.maxcpu, maxmem: node.maxmem, maxdisk: node.maxdisk, ...nodeMetrics(node, now), 'cgroup-mode': 2 }
          : base,
      );
    }
  }
  if (!type || type === 'storage') {
    for (const node of core.cluster.nodes) {
      const online = core.isOnline(node.name);
      for (const storage of core.cluster.storages) {
        out.push({
          id: `storage/${node.name}/${storage.storage}`,
          type: 'storage',
          node: node.name,
          storage: storage.storage,
          status: online && storage.active ? 'available' : 'unknown',
          plugintype: storage.type,
          content: [...storage.content].sort().join(','),
          shared: storage.shared ? 1 : 0,
          disk: storage.active ? storage.used : 0,
          maxdisk: storage.active ? storage.total : 0,
        });
      }
    }
  }
  if (!type || type === 'sdn') {
    for (const node of core.cluster.nodes) {
      out.push({ id: `sdn/${node.name}/localnetwork`, type: 'sdn', sdn: 'localnetwork', node: node.name, status: core.isOnline(node.name) ? 'ok' : 'unknown' });
    }
  }
  return { data: out };
}

function nodeStorage(ctx: RouteContext): ApiResult {
  const { params, core } = ctx;
  const contents = params.content === undefined ? undefined : splitList(String(params.content));
  const only = str(params.storage);
  const out = core.cluster.storages
    .filter((storage) => !contents || contents.some((content) => storage.content.includes(content)))
    .filter((storage) => only === undefined || storage.storage === only)
    .map((storage) => {
      const item: Record<string, unknown> = {
        storage: storage.storage,
        type: storage.type,
        content: [...storage.content].sort().join(','),
        shared: storage.shared ? 1 : 0,
        enabled: 1,
        active: storage.active ? 1 : 0,
        total: storage.active ? storage.total : 0,
        used: storage.active ? storage.used : 0,
        avail: storage.active ? storage.total - storage.used : 0,
      };
      if (storage.active) item.used_fraction = Number((storage.used / storage.total).toFixed(6));
      return item;
    });
  return { data: out };
}

// --- guests --------------------------------------------------------------------------------------

function guestListItem(guest: GuestState, now: number) {
  const metrics = guestMetrics(guest, now);
  const item: Record<string, unknown> = {
    vmid: guest.vmid,
    name: guest.name,
    status: guest.status,
    uptime: metrics.uptime,
    cpus: guest.cpus,
    cpu: metrics.cpu,
    maxmem: guest.maxmem,
    mem: metrics.mem,
    maxdisk: guest.maxdisk,
    disk: metrics.disk,
    netin: metrics.netin,
    netout: metrics.netout,
    diskread: metrics.diskread,
    diskwrite: metrics.diskwrite,
  };
  if (guest.type === 'lxc') item.type = 'lxc';
  if (guest.status === 'running') item.pid = 10_000 + guest.vmid * 7;
  if (guest.tags.length > 0) item.tags = guest.tags.join(';');
  if (guest.template) item.template = 1;
  if (guest.lock) item.lock = guest.lock;
  return item;
}

function guestList(type: GuestType) {
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

function guestCurrent(type: GuestType) {
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

function startAction(type: GuestType) {
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
        core.engine.startTask({ node, type: 'hastart', id: String(vmid), user: principal.authid, worker: (w) => haRequest(w, type, vmid, 'started') }),
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

function stopAction(type: GuestType, how: 'stop' | 'shutdown') {
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
        core.engine.startTask({ node, type: 'hastop', id: String(vmid), user: principal.authid, worker: (w) => haRequest(w, type, vmid, 'stopped') }),
      );
    }
    const taskType = `${type === 'qemu' ? 'qm' : 'vz'}${how}`;
    return upidResult(
      core.engine.startTask({ node, type: taskType, id: String(vmid), user: principal.authid, worker: (w) => stopGuest(w, type, vmid, node, how) }),
    );
  };
}

function rebootAction(type: GuestType) {
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

function snapshotList(type: GuestType) {
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

function snapshotCreate(type: GuestType) {
  return (ctx: RouteContext): ApiResult => {
    const snapname = String(ctx.params.snapname);
    const reserved = type === 'qemu' ? snapname === 'current' || snapname.toLowerCase() === 'pending' : snapname === 'current' || snapname === 'vzdump';
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
        worker: (w) => snapshotGuest(w, type, guest.vmid, node, snapname, { vmstate: ctx.params.vmstate === 1, ...(description === undefined ? {} : { description }) }),
      }),
    );
  };
}

function migrate(ctx: RouteContext): ApiResult {
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
    return upidResult(core.engine.startTask({ node, type: 'hamigrate', id: String(vmid), user: principal.authid, worker: (w) => haMigrate(w, vmid, target) }));
  }
  return upidResult(
    core.engine.startTask({ node, type: 'qmigrate', id: String(vmid), user: principal.authid, worker: (w) => migrateGuest(w, vmid, node, target, online) }),
  );
}

function quoteArg(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function vzdumpAction(ctx: RouteContext): ApiResult {
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

// --- the table -----------------------------------------------------------------------------------

export const ROUTES: Route[] = [
  { method: 'GET', template: '/version', proxied: false, handler: version },
  { method: 'GET', template: '/nodes', proxied: false, handler: nodesIndex },
  { method: 'GET', template: '/cluster/resources', proxied: false, handler: clusterResources },
  { method: 'GET', template: '/cluster/status', proxied: false, handler: clusterStatus },
  { method: 'GET', template: '/cluster/tasks', proxied: false, handler: clusterTasks },
  { method: 'GET', template: '/nodes/{node}/tasks', proxied: true, handler: nodeTasks },
  { method: 'GET', template: '/nodes/{node}/tasks/{upid}', proxied: false, handler: () => ({ data: [{ name: 'log' }, { name: 'status' }] }) },
  { method: 'DELETE', template: '/nodes/{node}/tasks/{upid}', proxied: true, handler: stopTask },
  { method: 'GET', template: '/nodes/{node}/tasks/{upid}/status', proxied: true, handler: taskStatus },
  { method: 'GET', template: '/nodes/{node}/tasks/{upid}/log', proxied: true, handler: taskLog },
  { method: 'GET', template: '/nodes/{node}/qemu', proxied: true, handler: guestList('qemu') },
  { method: 'GET', template: '/nodes/{node}/lxc', proxied: true, handler: guestList('lxc') },
  { method: 'GET', template: '/nodes/{node}/qemu/{vmid}/status/current', proxied: true, handler: guestCurrent('qemu') },
  { method: 'GET', template: '/nodes/{node}/lxc/{vmid}/status/current', proxied: true, handler: guestCurrent('lxc') },
  { method: 'POST', template: '/nodes/{node}/qemu/{vmid}/status/start', proxied: true, handler: startAction('qemu') },
  { method: 'POST', template: '/nodes/{node}/qemu/{vmid}/status/stop', proxied: true, handler: stopAction('qemu', 'stop') },
  { method: 'POST', template: '/nodes/{node}/qemu/{vmid}/status/shutdown', proxied: true, handler: stopAction('qemu', 'shutdown') },
  { method: 'POST', template: '/nodes/{node}/qemu/{vmid}/status/reboot', proxied: true, handler: rebootAction('qemu') },
  { method: 'POST', template: '/nodes/{node}/lxc/{vmid}/status/start', proxied: true, handler: startAction('lxc') },
  { method: 'POST', template: '/nodes/{node}/lxc/{vmid}/status/stop', proxied: true, handler: stopAction('lxc', 'stop') },
  { method: 'POST', template: '/nodes/{node}/lxc/{vmid}/status/shutdown', proxied: true, handler: stopAction('lxc', 'shutdown') },
  { method: 'POST', template: '/nodes/{node}/lxc/{vmid}/status/reboot', proxied: true, handler: rebootAction('lxc') },
  { method: 'POST', template: '/nodes/{node}/vzdump', proxied: true, handler: vzdumpAction },
  { method: 'GET', template: '/nodes/{node}/qemu/{vmid}/snapshot', proxied: true, handler: snapshotList('qemu') },
  { method: 'POST', template: '/nodes/{node}/qemu/{vmid}/snapshot', proxied: true, handler: snapshotCreate('qemu') },
  { method: 'GET', template: '/nodes/{node}/lxc/{vmid}/snapshot', proxied: true, handler: snapshotList('lxc') },
  { method: 'POST', template: '/nodes/{node}/lxc/{vmid}/snapshot', proxied: true, handler: snapshotCreate('lxc') },
  { method: 'POST', template: '/nodes/{node}/qemu/{vmid}/migrate', proxied: true, handler: migrate },
  { method: 'GET', template: '/nodes/{node}/storage', proxied: true, handler: nodeStorage },
];

/** Paths served without authentication (handled by the server: login and its GET). */
export const TICKET_PATH = '/access/ticket';

interface CompiledRoute {
  route: Route;
  segments: string[];
}

const compiled: CompiledRoute[] = ROUTES.map((route) => ({ route, segments: route.template.split('/').slice(1) }));

export interface RouteMatch {
  route: Route;
  pathParams: Record<string, string>;
}

/** Finds the route for a method and a path below /api2/json (segments already percent-decoded). */
export function matchRoute(method: string, segments: string[]): RouteMatch | undefined {
  for (const { route, segments: pattern } of compiled) {
    if (route.method !== method || pattern.length !== segments.length) continue;
    const pathParams: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length; i++) {
      const part = pattern[i]!;
      if (part.startsWith('{')) pathParams[part.slice(1, -1)] = segments[i]!;
      else if (part !== segments[i]) {
        ok = false;
        break;
      }
    }
    if (ok) return { route, pathParams };
  }
  return undefined;
}

/** The route template a path would have under any method (for 501 and counters). */
export function templateFor(segments: string[]): string | undefined {
  for (const { route, segments: pattern } of compiled) {
    if (pattern.length !== segments.length) continue;
    if (pattern.every((part, i) => part.startsWith('{') || part === segments[i])) return route.template;
  }
  return undefined;
}
