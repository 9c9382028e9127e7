/**
 * The task registry's data: a row per task (or queued launch), guests, nodes, tallies, and the pure
 * helpers that order and count rows. No state here: the store (store.ts) holds it.
 */
import type { GuestResult } from './backup-log.js';
import type { TaskProgress } from './progress.js';

/**
 * `skipped`: a launch not sent because it had nothing to do or should not be done now (already in the
 * wanted state, a template, a task in flight, its node offline): final, and a success.
 */
export type TaskState = 'queued' | 'running' | 'ok' | 'warnings' | 'failed' | 'timeout' | 'unknown' | 'skipped';
/** How a task ended, as PVE classes its exit status (plus `unknown`). */
export type FinalOutcome = 'ok' | 'warnings' | 'failed' | 'unknown';
export type Scope = 'mine' | 'cluster';
export type GuestType = 'qemu' | 'lxc';

export type { GuestResult, TaskProgress };

export interface PollError {
  message: string;
  /** Epoch ms of the first failure in the current run of failures. */
  since: number;
}

/**
 * What must be read after PVE reports the end before the row is final: an HA start is only a request
 * to the HA stack (OK once the guest runs), a power action or a migration counts once
 * /cluster/resources shows the guest as it should be, a snapshot is checked in the guest's snapshot
 * list, and a multi-guest backup's log says how each guest fared.
 */
export type PostCheck =
  | { kind: 'guest-running'; vmid: number }
  | {
      kind: 'guest-state';
      vmid: number;
      /** The status the guest must show. */
      status?: 'running' | 'stopped';
      /** The node the guest must be on (a migration's target). */
      node?: string;
      /** Booted after this time (epoch ms, our clock): a reboot, told by the guest's own uptime. */
      bootedAfter?: number;
    }
  | { kind: 'snapshot-exists'; node: string; guestType: GuestType; vmid: number; snapname: string }
  /** A multi-guest backup: which guest failed is only in the log. */
  | { kind: 'backup-guests' };

export type LaunchActionName = 'start' | 'backup' | 'snapshot' | 'shutdown' | 'stop' | 'reboot' | 'migrate';

/** What a queued or launched action will do (the launch queue owns its meaning). */
export interface LaunchSpec {
  action: LaunchActionName;
  node: string;
  guests: Array<{ vmid: number; type: GuestType; name?: string }>;
  params: Record<string, string | number | boolean>;
}

export interface TaskRow {
  readonly key: string;
  readonly upid?: string;
  readonly node: string;
  /** PVE task type (`qmstart`, `vzdump`), or the one a queued launch will get. */
  readonly type: string;
  /** The UPID's id field: usually the VMID, '' for a multi-guest backup. */
  readonly taskId: string;
  /** Auth id that started it (`user@realm` or `user@realm!token`). */
  readonly user?: string;
  /** Task start, epoch ms (from the UPID). */
  readonly startedAt?: number;
  readonly description: string;
  /** Guests the task acts on (several for one vzdump job). */
  readonly vmids: readonly number[];
  readonly guestName?: string;
  /** Launched, adopted or refused here: has a deadline and is saved in the session. */
  readonly mine: boolean;
  /** Epoch ms after which the task counts as timed out (mine only). */
  readonly deadline?: number;
  /** When pvetasks first saw the task, epoch ms; deadlines count from here. */
  readonly firstSeenAt: number;
  readonly state: TaskState;
  /** PVE's exit status once stopped (`OK`, `WARNINGS: 1`, the error text). */
  readonly exitStatus?: string;
  /** The real outcome that arrived after the row timed out. */
  readonly lateOutcome?: FinalOutcome;
  readonly lateExitStatus?: string;
  /** End time, epoch ms (PVE's endtime when known, else when we saw it end). */
  readonly endedAt?: number;
  readonly progress?: TaskProgress;
  readonly pollError?: PollError;
  /** A reason of ours: a refused launch, a missing snapshot, a guest not running after an HA start. */
  readonly message?: string;
  readonly postCheck?: PostCheck;
  readonly launch?: LaunchSpec;
  /** When a launch's request was sent (its intent was saved first); set until the UPID is known. */
  readonly sentAt?: number;
  /** Per-guest results of a task acting on several guests (a multi-guest backup), by VMID. */
  readonly guestResults?: Readonly<Record<number, GuestResult>>;
  /**
   * Launched by another live pvetasks process of this cluster and user (a second board window, a
   * launch command): the number of its session file (1 for `<cluster>@<user>.json`, N for `.N.json`).
   * Such a row is not `mine`: read-only here, never saved in our session (session-others.ts).
   */
  readonly window?: number;
}

/** Input for a new row; everything not given is derived from the UPID or defaulted. */
export interface NewRow {
  key?: string;
  upid?: string;
  node?: string;
  type?: string;
  taskId?: string;
  user?: string;
  description?: string;
  vmids?: readonly number[];
  guestName?: string;
  mine: boolean;
  deadline?: number;
  firstSeenAt: number;
  state?: TaskState;
  exitStatus?: string;
  endedAt?: number;
  message?: string;
  postCheck?: PostCheck;
  launch?: LaunchSpec;
  sentAt?: number;
}

export interface Tally {
  total: number;
  queued: number;
  running: number;
  ok: number;
  warnings: number;
  failed: number;
  timeout: number;
  unknown: number;
  skipped: number;
}

export interface Guest {
  vmid: number;
  type: GuestType;
  node: string;
  name?: string;
  status: string;
  template: boolean;
  hastate?: string;
  tags?: string;
  lock?: string;
  /** Configured memory, bytes (a drain spreads guests by it). */
  maxmem?: number;
}

export interface NodeHealth {
  name: string;
  online: boolean;
  /** Set while polling this node fails. */
  error?: PollError;
}

export interface SessionInfo {
  endpoint: string;
  user: string;
  cluster?: string;
  demo: boolean;
  intervalMs: number;
  readOnly: boolean;
  /** Certificate checks are off (PROXMOX_VE_INSECURE): the header says INSECURE the whole time. */
  insecure?: boolean;
}

/** The connection to the API as the header shows it; endpoints as sanitized `host:port`. */
export interface ConnectionStatus {
  /** The endpoint requests go to now. */
  endpoint: string;
  /** Every configured endpoint, in the order they are tried. */
  endpoints: readonly string[];
  /** The last move to another endpoint: when, from which, to which, and why. */
  failover?: { at: number; from: string; to: string; reason: string };
  /** No endpoint answered for a whole poll cycle: our connection is down, not the nodes. */
  outage?: { since: number; reason: string };
}

export interface PollStatus {
  paused: boolean;
  /** Epoch ms of the last cycle that reached at least one node. */
  lastSuccessAt?: number;
  cycles: number;
}

/**
 * The one message channel: a line for the board's status line (what an action did, or why it could
 * not), and for commands a line on stderr. Only the runtime posts it (`runtime.notify`).
 */
export interface Message {
  text: string;
  level: 'info' | 'error';
  at: number;
}

export interface FocusLog {
  key: string;
  lines: readonly string[];
  /** Lines read so far (the next `start` for the incremental tail). */
  read: number;
}

/** The launch queue's state and limits, as the board shows them. */
export interface QueueStatus {
  /** No queued launch is sent while paused (those sent go on). */
  paused: boolean;
  /** Launches in flight for the cluster at once. */
  parallel: number;
  /** Launches in flight per node at once (PVE's own max_workers default is 4). */
  perNode: number;
}

/** Privileges by ACL path, each with its propagate flag (1: it holds for the paths below too). */
export type PermissionMap = Readonly<Record<string, Readonly<Record<string, 0 | 1>>>>;

/** What the credentials may see and do, as `/access/permissions` says (read once, and on refresh). */
export interface Access {
  permissions: PermissionMap;
  /** Sys.Audit on `/`: `/cluster/tasks` shows every task; without it, each node's own list is read. */
  clusterTasks: boolean;
}

/** What the last write did to the rows: which it touched, and what each was before (undefined: new). */
export interface RowsChange {
  /** Goes up by one with every write that touched a row. */
  version: number;
  before: ReadonlyMap<string, TaskRow | undefined>;
}

export const ACTIVE_STATES: ReadonlySet<TaskState> = new Set(['queued', 'running']);

export function isFinal(state: TaskState): boolean {
  return !ACTIVE_STATES.has(state);
}

export function emptyTally(): Tally {
  return { total: 0, queued: 0, running: 0, ok: 0, warnings: 0, failed: 0, timeout: 0, unknown: 0, skipped: 0 };
}

/** Running and queued rows first, then newest first; the key breaks ties so the order is total. */
export function compareRows(a: TaskRow, b: TaskRow): number {
  const activeA = ACTIVE_STATES.has(a.state) ? 0 : 1;
  const activeB = ACTIVE_STATES.has(b.state) ? 0 : 1;
  if (activeA !== activeB) return activeA - activeB;
  const timeA = a.startedAt ?? a.firstSeenAt;
  const timeB = b.startedAt ?? b.firstSeenAt;
  if (timeA !== timeB) return timeB - timeA;
  return a.key < b.key ? 1 : a.key > b.key ? -1 : 0;
}

export const SCOPES: readonly Scope[] = ['mine', 'cluster'];

/** Whether the row is listed in `scope`: the cluster scope lists every row. */
export function inScope(row: TaskRow, scope: Scope): boolean {
  return scope === 'cluster' || row.mine;
}

let keySequence = 0;
/** Local keys: unique in this process and across restarts (they are saved in session files). */
export function newRowKey(): string {
  keySequence = (keySequence + 1) % 1_000_000;
  return `t${Date.now().toString(36)}${keySequence.toString(36).padStart(4, '0')}`;
}
