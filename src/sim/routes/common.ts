/** What every endpoint module shares: the route and result types, PVE errors, and permission helpers. */
import { parseUpid, type Upid } from '../../tasks/upid.js';
import type { Principal } from '../auth.js';
import type { PveMajor } from '../dialect.js';
import type { SimCore } from '../core.js';
import type { SimTask, TaskWorker, WorkerContext } from '../engine.js';
import { guestConfigPath, type GuestState, type GuestType } from '../model.js';
import type { Params } from '../params.js';

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
  /**
   * The method's `permissions => { check => ['perm', PATH, [PRIVILEGE]] }`: checked after the proxy
   * hop and before the parameters, with `{vmid}` and `{node}` taken from the path.
   */
  check?: { path: string; privilege: string };
  /** The PVE major that introduced the method (older ones answer 501). */
  since?: PveMajor;
  handler: (ctx: RouteContext) => ApiResult;
}

export const int = (value: unknown) => Number(value);
export const str = (value: unknown) => (value === undefined ? undefined : String(value));

export function parseUpidParam(text: string): Upid {
  try {
    return parseUpid(text);
  } catch {
    throw new ApiError(400, 'Parameter verification failed.', { upid: 'unable to parse worker upid' });
  }
}

/**
 * pve-manager Tasks.pm `$check_task_user` on a task whose user was split into user and tokenid: a
 * token sees its own tasks, a user theirs and their tokens'. `split: false` is the active list, which
 * is not split, so there a user does not see their tokens' running tasks.
 */
export function ownsTask(principal: Principal, authid: string, split = true): boolean {
  if (authid === principal.authid) return true;
  return split && principal.tokenid === undefined && authid.startsWith(`${principal.authid}!`);
}

export function hasPrivilege(ctx: RouteContext, path: string, privilege: string): boolean {
  return ctx.core.access.has(ctx.principal.authid, path, privilege);
}

/** RPCEnvironment `check`: 403 `Permission check failed (<path>, <privilege>)` unless the caller has it. */
export function requirePrivilege(ctx: RouteContext, path: string, privilege: string): void {
  if (!hasPrivilege(ctx, path, privilege)) throw permissionDenied(path, privilege);
}

export function findTaskOnNode(core: SimCore, node: string, upid: string): SimTask {
  parseUpidParam(upid);
  const task = core.engine.tasks.get(upid);
  if (!task || task.node !== node) throw new ApiError(400, 'Parameter verification failed.', { upid: 'no such task' });
  return task;
}

export function permissionDenied(path: string, privilege: string): ApiError {
  return new ApiError(403, `Permission check failed (${path}, ${privilege})`);
}

export function localGuest(ctx: RouteContext, type: GuestType): GuestState {
  const node = String(ctx.params.node);
  const vmid = int(ctx.params.vmid);
  const guest = ctx.core.cluster.guests.get(vmid);
  if (!guest || guest.node !== node || guest.type !== type) {
    throw new ApiError(500, `Configuration file '${guestConfigPath({ type, vmid }, node)}' does not exist`);
  }
  return guest;
}

export function rootOnly(ctx: RouteContext, names: string[], message = 'Only root may use this option.'): void {
  if (ctx.principal.authid === 'root@pam') return;
  const errors: Record<string, string> = {};
  for (const name of names) if (name in ctx.params) errors[name] = message;
  if (Object.keys(errors).length > 0) throw new ApiError(400, 'Parameter verification failed.', errors);
}

export function upidResult(task: SimTask): ApiResult {
  return { data: task.upid };
}

export function withTotal(data: unknown[], total: number): ApiResult {
  // PVE omits `total` when it is 0.
  return total ? { data, total } : { data };
}

/** Forks the task on the node named in the path, as the caller, with the guest's id. */
export function startTask(ctx: RouteContext, type: string, worker: (w: WorkerContext) => TaskWorker): ApiResult {
  return upidResult(
    ctx.core.engine.startTask({
      node: String(ctx.params.node),
      type,
      id: String(int(ctx.params.vmid)),
      user: ctx.principal.authid,
      worker,
    }),
  );
}
