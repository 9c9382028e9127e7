/**
 * One node per request: its active list (paged, `total` checked: PVE's default limit of 50 is
 * exceeded by a busy node). Watched tasks missing from it ended (or were never seen running): one
 * page of the node's archive gives their exit status and their true end time (`/status` has none, and
 * a task that ended while nobody watched must not be timed by when we noticed), and `/status` is read
 * only for those the archive page does not hold. A task its node does not know ends as `unknown`.
 */
import { isNoSuchTask } from '../../api/failures.js';
import { readNodeTasks, readTaskStatus, type ListedTask } from '../answers.js';
import type { TaskRow } from '../store.js';
import type { ClusterMembers } from './cluster-members.js';
import { isAbort, shortError, type PollContext } from './context.js';
import type { NodeHealth } from './node-health.js';
import { applyEnd } from './row-updates.js';

/** Active-list page size. */
const ACTIVE_PAGE = 500;
/** Archive entries read for tasks that left the active list (newest first, since the oldest of them). */
const ARCHIVE_PAGE = 500;

/** Every task running on `node` as its active list says. */
export async function readActiveTasks(ctx: PollContext, node: string, signal?: AbortSignal): Promise<Map<string, ListedTask>> {
  const active = new Map<string, ListedTask>();
  for (let start = 0; ; start += ACTIVE_PAGE) {
    const page = await readNodeTasks(ctx.client, node, { source: 'active', start, limit: ACTIVE_PAGE }, ctx.requestInit(signal));
    ctx.malformed(`/nodes/${node}/tasks (active)`, page.malformed);
    for (const item of page.items) active.set(item.upid, item);
    if (page.received < ACTIVE_PAGE || start + page.received >= page.total) return active;
  }
}

export async function pollNode(
  ctx: PollContext,
  health: NodeHealth,
  members: ClusterMembers,
  node: string,
  rows: TaskRow[],
  signal?: AbortSignal,
): Promise<void> {
  const state = health.state(node);
  state.busy = true;
  state.askedAt = ctx.clock.now();
  try {
    const active = await readActiveTasks(ctx, node, signal);
    const now = ctx.clock.now();
    const missing: TaskRow[] = [];
    ctx.store.getState().update((tx) => {
      for (const row of rows) {
        const item = active.get(row.upid!);
        if (!item) missing.push(row);
        else if (!item.running && item.status !== undefined) applyEnd(tx, row, item.status, item.endtime ? item.endtime * 1000 : now);
        else if (row.pollError) tx.patch(row.key, { pollError: undefined });
      }
      health.markHealthy(tx, node, now);
    });
    const unresolved = missing.length > 0 ? await endFromArchive(ctx, node, missing, signal) : [];
    // Sequential on purpose: a node has three API workers, and these are few.
    for (const row of unresolved) await readStatus(ctx, row, signal);
  } catch (error) {
    if (isAbort(error)) return;
    if (await members.isUnknownNode(node, error, signal)) endOnUnknownNode(ctx, health, node, error);
    else health.markFailed(node, error);
  } finally {
    state.busy = false;
  }
}

/** The node is not in the cluster: its tasks end as `unknown` with PVE's own words, and it is not asked again. */
function endOnUnknownNode(ctx: PollContext, health: NodeHealth, node: string, error: unknown): void {
  const message = `node '${node}' is not in this cluster: ${shortError(error)}`;
  const now = ctx.clock.now();
  ctx.store.getState().update((tx) => {
    for (const row of tx.allRows()) {
      if (row.node === node && ctx.isWatched(row)) tx.finish(row.key, 'unknown', { message, endedAt: now });
    }
  });
  health.forget(node);
}

/** Ends the rows the node's archive lists; returns the ones it does not. */
async function endFromArchive(ctx: PollContext, node: string, rows: TaskRow[], signal?: AbortSignal): Promise<TaskRow[]> {
  const since = Math.min(...rows.map((row) => Math.floor((row.startedAt ?? 0) / 1000)));
  const page = await readNodeTasks(ctx.client, node, { source: 'archive', since, limit: ARCHIVE_PAGE }, ctx.requestInit(signal));
  ctx.malformed(`/nodes/${node}/tasks (archive)`, page.malformed);
  const ended = new Map(page.items.filter((item) => !item.running).map((item) => [item.upid, item]));
  const unresolved: TaskRow[] = [];
  const now = ctx.clock.now();
  ctx.store.getState().update((tx) => {
    for (const row of rows) {
      const item = ended.get(row.upid!);
      const current = tx.row(row.key);
      if (!item) unresolved.push(row);
      else if (current) applyEnd(tx, current, item.status ?? 'unexpected status', item.endtime ? item.endtime * 1000 : now);
    }
  });
  return unresolved;
}

/** The task's end time as its node's archive records it, when one lookup finds it. */
async function archivedEndTime(ctx: PollContext, row: TaskRow, signal?: AbortSignal): Promise<number | undefined> {
  try {
    const query = {
      source: 'archive' as const,
      since: Math.floor((row.startedAt ?? 0) / 1000),
      typefilter: row.type,
      limit: 50,
      ...(/^\d+$/.test(row.taskId) ? { vmid: Number(row.taskId) } : {}),
    };
    const page = await readNodeTasks(ctx.client, row.node, query, ctx.requestInit(signal));
    const endtime = page.items.find((item) => item.upid === row.upid)?.endtime;
    return endtime === undefined ? undefined : endtime * 1000;
  } catch (error) {
    if (isAbort(error)) throw error;
    return undefined; // the end time is a refinement; the status already says the task ended
  }
}

/** `/status` of one task that left the active list (or was never in it). */
export async function readStatus(ctx: PollContext, row: TaskRow, signal?: AbortSignal): Promise<void> {
  try {
    const status = await readTaskStatus(ctx.client, row.upid!, ctx.requestInit(signal));
    if (status.status === 'running') return;
    const endedAt = (await archivedEndTime(ctx, row, signal)) ?? ctx.clock.now();
    ctx.store.getState().update((tx) => {
      const current = tx.row(row.key);
      if (current) applyEnd(tx, current, status.exitstatus ?? 'unexpected status', endedAt);
    });
  } catch (error) {
    if (!isNoSuchTask(error)) throw error;
    // PVE does not know this task on its node: a final `unknown`.
    ctx.store.getState().update((tx) => {
      if (tx.row(row.key)) tx.finish(row.key, 'unknown', { message: 'no such task on its node', endedAt: ctx.clock.now() });
    });
  }
}
