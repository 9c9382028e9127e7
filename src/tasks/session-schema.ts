/**
 * The format of session files, separate from the store's TaskRow: renaming or adding a row field must
 * not change the file silently. toSaved and fromSaved spell out every field; every entry's shape is
 * checked on load, and a bad one is skipped (and counted), never thrown.
 *
 * Version 2: `{version: 2, cluster, user, savedAt, tasks: SavedTask[]}`.
 * Version 1 (pvetasks 0.1): `{version: 1, cluster, user, savedAt, rows: TaskRow[]}`, the store's rows as
 * they were; its entries carry the same fields as a SavedTask (plus `mine`), so they load the same way.
 */
import type { FinalOutcome, GuestResult, GuestType, LaunchSpec, PostCheck, TaskRow, TaskState } from './store.js';

export const SESSION_FORMAT_VERSION = 2;

// Each list must name every member of the store's union: a new state, outcome or action is a compile
// error here until the file format says how it is saved.
const STATES = { queued: 1, running: 1, ok: 1, warnings: 1, failed: 1, timeout: 1, unknown: 1, skipped: 1 } satisfies Record<TaskState, 1>;
const OUTCOMES = { ok: 1, warnings: 1, failed: 1, unknown: 1 } satisfies Record<FinalOutcome, 1>;
const ACTIONS = { start: 1, backup: 1, snapshot: 1, shutdown: 1, stop: 1, reboot: 1, migrate: 1 } satisfies Record<LaunchSpec['action'], 1>;
const GUEST_TYPES = { qemu: 1, lxc: 1 } satisfies Record<GuestType, 1>;
const GUEST_STATUSES = { running: 1, stopped: 1 } satisfies Record<NonNullable<GuestStateCheck['status']>, 1>;

export type SavedState = keyof typeof STATES;
export type SavedOutcome = keyof typeof OUTCOMES;
export type SavedGuestType = keyof typeof GUEST_TYPES;

type GuestStateCheck = Extract<PostCheck, { kind: 'guest-state' }>;

export type SavedCheck =
  | { kind: 'guest-running'; vmid: number }
  | { kind: 'guest-state'; vmid: number; status?: 'running' | 'stopped'; node?: string; bootedAfter?: number }
  | { kind: 'snapshot-exists'; node: string; guestType: SavedGuestType; vmid: number; snapname: string }
  | { kind: 'backup-guests' };

export interface SavedLaunch {
  action: keyof typeof ACTIONS;
  node: string;
  guests: Array<{ vmid: number; type: SavedGuestType; name?: string }>;
  params: Record<string, string | number | boolean>;
}

/** One task of the session as the file holds it. Progress, poll errors and logs are re-read, not saved. */
export interface SavedTask {
  key: string;
  upid?: string;
  node: string;
  type: string;
  taskId: string;
  user?: string;
  startedAt?: number;
  description: string;
  vmids: number[];
  guestName?: string;
  deadline?: number;
  firstSeenAt: number;
  state: SavedState;
  exitStatus?: string;
  lateOutcome?: SavedOutcome;
  lateExitStatus?: string;
  endedAt?: number;
  message?: string;
  postCheck?: SavedCheck;
  launch?: SavedLaunch;
  sentAt?: number;
  /** By VMID (JSON keys are strings). */
  guestResults?: Record<string, { outcome: SavedOutcome; message?: string; warningCount?: number; durationSeconds?: number }>;
}

export interface SessionFile {
  version: typeof SESSION_FORMAT_VERSION;
  cluster: string;
  user: string;
  savedAt: number;
  tasks: SavedTask[];
}

/** `target` with the fields of `fields` that are not undefined (JSON leaves those out anyway). */
function withDefined<T extends object>(target: T, fields: Partial<T>): T {
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) (target as Record<string, unknown>)[name] = value;
  return target;
}

function savedCheck(check: PostCheck): SavedCheck {
  switch (check.kind) {
    case 'guest-running':
      return { kind: check.kind, vmid: check.vmid };
    case 'guest-state':
      return withDefined<SavedCheck>(
        { kind: check.kind, vmid: check.vmid },
        { status: check.status, node: check.node, bootedAfter: check.bootedAfter },
      );
    case 'snapshot-exists':
      return { kind: check.kind, node: check.node, guestType: check.guestType, vmid: check.vmid, snapname: check.snapname };
    case 'backup-guests':
      return { kind: check.kind };
  }
}

function rowCheck(check: SavedCheck): PostCheck {
  switch (check.kind) {
    case 'guest-running':
      return { kind: check.kind, vmid: check.vmid };
    case 'guest-state':
      return withDefined<PostCheck>(
        { kind: check.kind, vmid: check.vmid },
        { status: check.status, node: check.node, bootedAfter: check.bootedAfter },
      );
    case 'snapshot-exists':
      return { kind: check.kind, node: check.node, guestType: check.guestType, vmid: check.vmid, snapname: check.snapname };
    case 'backup-guests':
      return { kind: check.kind };
  }
}

function launchOf(launch: LaunchSpec | SavedLaunch): LaunchSpec & SavedLaunch {
  return {
    action: launch.action,
    node: launch.node,
    guests: launch.guests.map((guest) =>
      withDefined<SavedLaunch['guests'][number]>({ vmid: guest.vmid, type: guest.type }, { name: guest.name }),
    ),
    params: { ...launch.params },
  };
}

function resultsOf(results: Readonly<Record<string, GuestResult>>): Record<string, GuestResult> {
  const out: Record<string, GuestResult> = {};
  for (const [vmid, result] of Object.entries(results))
    out[vmid] = withDefined<GuestResult>(
      { outcome: result.outcome },
      { message: result.message, warningCount: result.warningCount, durationSeconds: result.durationSeconds },
    );
  return out;
}

/** A store row as the file saves it. */
export function toSaved(row: TaskRow): SavedTask {
  return withDefined<SavedTask>(
    {
      key: row.key,
      node: row.node,
      type: row.type,
      taskId: row.taskId,
      description: row.description,
      vmids: [...row.vmids],
      firstSeenAt: row.firstSeenAt,
      state: row.state,
    },
    {
      upid: row.upid,
      user: row.user,
      startedAt: row.startedAt,
      guestName: row.guestName,
      deadline: row.deadline,
      exitStatus: row.exitStatus,
      lateOutcome: row.lateOutcome,
      lateExitStatus: row.lateExitStatus,
      endedAt: row.endedAt,
      message: row.message,
      postCheck: row.postCheck && savedCheck(row.postCheck),
      launch: row.launch && launchOf(row.launch),
      sentAt: row.sentAt,
      guestResults: row.guestResults && resultsOf(row.guestResults),
    },
  );
}

/** A saved task as a store row; every saved task is one of ours. */
export function fromSaved(saved: SavedTask): TaskRow {
  return withDefined<TaskRow>(
    {
      key: saved.key,
      node: saved.node,
      type: saved.type,
      taskId: saved.taskId,
      description: saved.description,
      vmids: [...saved.vmids],
      mine: true,
      firstSeenAt: saved.firstSeenAt,
      state: saved.state,
    },
    {
      upid: saved.upid,
      user: saved.user,
      startedAt: saved.startedAt,
      guestName: saved.guestName,
      deadline: saved.deadline,
      exitStatus: saved.exitStatus,
      lateOutcome: saved.lateOutcome,
      lateExitStatus: saved.lateExitStatus,
      endedAt: saved.endedAt,
      message: saved.message,
      postCheck: saved.postCheck && rowCheck(saved.postCheck),
      launch: saved.launch && launchOf(saved.launch),
      sentAt: saved.sentAt,
      guestResults: saved.guestResults && resultsOf(saved.guestResults),
    },
  );
}

// --- shape checks ---------------------------------------------------------------------------------

type Fields = Record<string, unknown>;
const isRecord = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === 'string';
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isVmid = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isOneOf =
  <K extends string>(members: Record<K, 1>) =>
  (value: unknown): value is K =>
    typeof value === 'string' && Object.hasOwn(members, value);
const optional =
  <T>(check: (value: unknown) => value is T) =>
  (value: unknown): value is T | undefined =>
    value === undefined || check(value);

function isCheck(value: unknown): value is SavedCheck {
  if (!isRecord(value)) return false;
  switch (value.kind) {
    case 'guest-running':
      return isVmid(value.vmid);
    case 'guest-state':
      return (
        isVmid(value.vmid) &&
        optional(isOneOf(GUEST_STATUSES))(value.status) &&
        optional(isText)(value.node) &&
        optional(isTime)(value.bootedAfter)
      );
    case 'snapshot-exists':
      return isText(value.node) && isOneOf(GUEST_TYPES)(value.guestType) && isVmid(value.vmid) && isText(value.snapname);
    case 'backup-guests':
      return true;
    default:
      return false;
  }
}

function isLaunch(value: unknown): value is SavedLaunch {
  if (!isRecord(value) || !isOneOf(ACTIONS)(value.action) || !isText(value.node) || !Array.isArray(value.guests)) return false;
  const guestsFine = value.guests.every(
    (guest) => isRecord(guest) && isVmid(guest.vmid) && isOneOf(GUEST_TYPES)(guest.type) && optional(isText)(guest.name),
  );
  const paramsFine =
    isRecord(value.params) && Object.values(value.params).every((param) => ['string', 'number', 'boolean'].includes(typeof param));
  return guestsFine && paramsFine;
}

function isResults(value: unknown): value is SavedTask['guestResults'] {
  return (
    isRecord(value) &&
    Object.entries(value).every(
      ([vmid, result]) =>
        /^\d+$/.test(vmid) &&
        isRecord(result) &&
        isOneOf(OUTCOMES)(result.outcome) &&
        optional(isText)(result.message) &&
        optional(isCount)(result.warningCount) &&
        optional(isTime)(result.durationSeconds),
    )
  );
}

const TASK_FIELDS: Record<keyof SavedTask, (value: unknown) => boolean> = {
  key: (value) => isText(value) && value !== '',
  upid: optional(isText),
  node: isText,
  type: isText,
  taskId: isText,
  user: optional(isText),
  startedAt: optional(isTime),
  description: isText,
  vmids: (value) => Array.isArray(value) && value.every(isVmid),
  guestName: optional(isText),
  deadline: optional(isTime),
  firstSeenAt: isTime,
  state: isOneOf(STATES),
  exitStatus: optional(isText),
  lateOutcome: optional(isOneOf(OUTCOMES)),
  lateExitStatus: optional(isText),
  endedAt: optional(isTime),
  message: optional(isText),
  postCheck: optional(isCheck),
  launch: optional(isLaunch),
  sentAt: optional(isTime),
  guestResults: optional(isResults),
};

/** The entry as a SavedTask (its other fields dropped), or undefined when any field has the wrong shape. */
export function readSavedTask(entry: unknown): SavedTask | undefined {
  if (!isRecord(entry)) return undefined;
  const task: Fields = {};
  for (const [field, check] of Object.entries(TASK_FIELDS)) {
    const value = entry[field];
    if (!check(value)) return undefined;
    if (value !== undefined) task[field] = value;
  }
  return task as unknown as SavedTask;
}

export type ParsedSessionFile = { tasks: SavedTask[]; malformed: number; cluster?: string; user?: string } | { problem: string };

/** The tasks of a session file's text (version 1 or 2), or why it cannot be read at all. */
export function parseSessionFile(text: string): ParsedSessionFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: 'corrupt' };
  }
  if (!isRecord(parsed)) return { problem: 'corrupt' };
  const entries = parsed.version === 2 ? parsed.tasks : parsed.version === 1 ? parsed.rows : undefined;
  if (entries === undefined && isTime(parsed.version) && parsed.version > SESSION_FORMAT_VERSION) {
    return { problem: `of a newer format (version ${parsed.version})` };
  }
  if (!Array.isArray(entries)) return { problem: 'corrupt' };
  const tasks: SavedTask[] = [];
  for (const entry of entries) {
    const task = readSavedTask(entry);
    if (task) tasks.push(task);
  }
  const owner = { ...(isText(parsed.cluster) ? { cluster: parsed.cluster } : {}), ...(isText(parsed.user) ? { user: parsed.user } : {}) };
  return { tasks, malformed: entries.length - tasks.length, ...owner };
}
