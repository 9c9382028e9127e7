/** Task endpoints: node task lists, /cluster/tasks, a task's status and log, and stopping it. */
import { gzipSync } from 'node:zlib';
import { ARCHIVE_LISTED, type SimTask } from '../engine.js';
import { splitList } from '../params.js';
import { statusType, taskUserFields } from '../task-status.js';
import {
  ApiError,
  findTaskOnNode,
  hasPrivilege,
  int,
  ownsTask,
  parseUpidParam,
  requirePrivilege,
  str,
  withTotal,
  type ApiResult,
  type RouteContext,
} from './common.js';

/** The fields every task list item has: the UPID and its parts. */
function upidFields(task: SimTask) {
  return {
    upid: task.upid,
    node: task.node,
    pid: task.pid,
    pstart: task.pstart,
    starttime: task.starttime,
    type: task.type,
    id: task.id,
  };
}

function archiveItem(task: SimTask) {
  return {
    ...upidFields(task),
    ...taskUserFields(task),
    endtime: Math.floor((task.endedAt ?? 0) / 1000),
    status: task.exitStatus ?? 'unexpected status',
  };
}

function activeItem(task: SimTask) {
  // The active list is not passed through the token split, as on PVE.
  return { ...upidFields(task), user: task.user, status: 'RUNNING' };
}

export function nodeTasks(ctx: RouteContext): ApiResult {
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

  // Tasks.pm: Sys.Audit on the node shows everything, else the caller's own tasks; archive entries
  // have the token split off before both the user filter and the owner check, active ones do not.
  const auditor = hasPrivilege(ctx, `/nodes/${node}`, 'Sys.Audit');
  const matches = (task: SimTask, split: boolean) => {
    const user = split ? taskUserFields(task).user : task.user;
    if (userfilter !== undefined && !user.toLowerCase().includes(userfilter)) return false;
    if (!auditor && !ownsTask(principal, task.user, split)) return false;
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
  const consider = (task: SimTask, split: boolean, item: () => unknown) => {
    if (!matches(task, split)) return;
    if (count++ < start) return;
    if (limit <= 0) return; // limit=0 lists nothing (unlike the log endpoint)
    limit--;
    out.push(item());
  };
  const lists = core.engine.nodeTasks(node);
  if (source === 'active' || source === 'all') {
    const running = [...lists.running.values()];
    for (let i = running.length - 1; i >= 0; i--) consider(running[i]!, false, () => activeItem(running[i]!));
  }
  if (source === 'archive' || source === 'all') {
    const archive = lists.archive;
    const oldest = Math.max(0, archive.length - ARCHIVE_LISTED);
    for (let i = archive.length - 1; i >= oldest; i--) consider(archive[i]!, true, () => archiveItem(archive[i]!));
  }
  return withTotal(out, count);
}

const CLUSTER_TASKS_PER_NODE = 25;
const CFS_MAX_STATUS_SIZE = 32 * 1024;

/**
 * A node's entry as `active_workers` keeps it and pmxcfs broadcasts it (pve-common RESTEnvironment.pm):
 * the decoded UPID without pstart, pid only while running, endtime and status once finished, and the
 * token not yet split off.
 */
function broadcastItem(task: SimTask): Record<string, unknown> {
  const item: Record<string, unknown> = {
    upid: task.upid,
    node: task.node,
    starttime: task.starttime,
    type: task.type,
    id: task.id,
    user: task.user,
    saved: task.running ? '0' : '1',
  };
  if (task.running) item.pid = task.pid;
  else {
    item.endtime = Math.floor((task.endedAt ?? 0) / 1000);
    item.status = task.exitStatus ?? 'unexpected status';
  }
  return item;
}

/**
 * One node's broadcast list: its running tasks in the order they started, then the newest finished
 * ones up to 25 entries in all; then pve-cluster Cluster.pm `broadcast_tasklist` pops entries off the
 * end until the JSON is below 32 KiB: the oldest finished first, then the newest running ones.
 */
export function nodeTaskList(running: Iterable<SimTask>, archive: readonly SimTask[]): Record<string, unknown>[] {
  const active = [...running];
  const finishedWanted = CLUSTER_TASKS_PER_NODE - active.length;
  let finished: SimTask[] = [];
  if (finishedWanted > 0) {
    finished = archive
      .slice(-CLUSTER_TASKS_PER_NODE * 2)
      .reverse() // ties on start time: the last to end first
      .sort((a, b) => b.starttime - a.starttime || b.startedAt - a.startedAt)
      .slice(0, finishedWanted);
  }
  const items = [...active, ...finished].map(broadcastItem);
  let size = JSON.stringify(items).length;
  while (items.length > 0 && size >= CFS_MAX_STATUS_SIZE) {
    const dropped = items.pop()!;
    size -= JSON.stringify(dropped).length + (items.length > 0 ? 1 : 0);
  }
  return items;
}

export function clusterTasks(ctx: RouteContext): ApiResult {
  const { core, principal } = ctx;
  const all = hasPrivilege(ctx, '/', 'Sys.Audit');
  const out: unknown[] = [];
  for (const node of core.cluster.nodes) {
    const lists = core.engine.nodeTasks(node.name);
    for (const item of nodeTaskList(lists.running.values(), lists.archive)) {
      // Cluster.pm splits the token off, then keeps a task for a caller without Sys.Audit on / only
      // when `user eq authuser`: a token therefore sees none of its own tasks here.
      const { user, tokenid } = taskUserFields({ user: String(item.user) });
      const shown = tokenid === undefined ? { ...item, user } : { ...item, user, tokenid };
      if (all || user === principal.authid) out.push(shown);
    }
  }
  return { data: out };
}

export function taskStatus(ctx: RouteContext): ApiResult {
  const task = findTaskOnNode(ctx.core, String(ctx.params.node), String(ctx.params.upid));
  if (!ownsTask(ctx.principal, task.user)) requirePrivilege(ctx, `/nodes/${task.node}`, 'Sys.Audit');
  const data: Record<string, unknown> = {
    ...upidFields(task),
    ...taskUserFields(task),
    status: task.running ? 'running' : 'stopped',
  };
  if (!task.running) data.exitstatus = task.exitStatus;
  return { data };
}

export function taskLog(ctx: RouteContext): ApiResult {
  const { params, core } = ctx;
  const node = String(params.node);
  const upid = parseUpidParam(String(params.upid));
  if (!ownsTask(ctx.principal, upid.user)) requirePrivilege(ctx, `/nodes/${node}`, 'Sys.Audit');
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

export function stopTask(ctx: RouteContext): ApiResult {
  const task = findTaskOnNode(ctx.core, String(ctx.params.node), String(ctx.params.upid));
  if (!ownsTask(ctx.principal, task.user)) requirePrivilege(ctx, `/nodes/${task.node}`, 'Sys.Modify');
  ctx.core.engine.interrupt(task);
  return { data: null };
}
