/** Task endpoints: node task lists, /cluster/tasks, a task's status and log, and stopping it. */
import { gzipSync } from 'node:zlib';
import { ARCHIVE_LISTED, statusType, taskUserFields, type SimTask } from '../engine.js';
import { splitList } from '../params.js';
import {
  ApiError,
  canSeeTask,
  findTaskOnNode,
  int,
  parseUpidParam,
  permissionDenied,
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

export function clusterTasks(ctx: RouteContext): ApiResult {
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

export function taskStatus(ctx: RouteContext): ApiResult {
  const task = findTaskOnNode(ctx.core, String(ctx.params.node), String(ctx.params.upid));
  if (!canSeeTask(ctx.principal, task.user)) throw permissionDenied(`/nodes/${task.node}`, 'Sys.Audit');
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

export function stopTask(ctx: RouteContext): ApiResult {
  const task = findTaskOnNode(ctx.core, String(ctx.params.node), String(ctx.params.upid));
  const owner =
    task.user === ctx.principal.authid || (ctx.principal.tokenid === undefined && task.user.startsWith(`${ctx.principal.authid}!`));
  if (!owner && !ctx.principal.audit) throw permissionDenied(`/nodes/${task.node}`, 'Sys.Modify');
  ctx.core.engine.interrupt(task);
  return { data: null };
}
