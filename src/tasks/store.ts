/**
 * The live task registry: one zustand (vanilla) store that the poller, the launch queue, the tracker
 * and the board share. No React here: components read it through `useStore(store, selector)`.
 *
 * Rows are keyed by a local key (a queued launch has no UPID yet). Every write goes through
 * `store.getState().update(tx => ...)`: one notification per batch, tallies and sort orders kept on
 * write, and a row that did not change keeps its object identity, so a board row re-renders only when
 * its own task changed.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { describeTask } from './describe.js';
import type { TaskProgress } from './progress.js';
import { parseUpid } from './upid.js';

export type TaskState = 'queued' | 'running' | 'ok' | 'warnings' | 'failed' | 'timeout' | 'unknown';
/** How a task ended, as PVE classes its exit status (plus `unknown`). */
export type FinalOutcome = 'ok' | 'warnings' | 'failed' | 'unknown';
export type Scope = 'mine' | 'cluster';
export type GuestType = 'qemu' | 'lxc';

export type { TaskProgress };

export interface PollError {
  message: string;
  /** Epoch ms of the first failure in the current run of failures. */
  since: number;
}

/**
 * What must be read after PVE reports the end before the row is final: an HA start is only a request
 * to the HA stack (OK once the guest runs), a snapshot is checked in the guest's snapshot list, and a
 * multi-guest backup's log says how each guest fared.
 */
export type PostCheck =
  | { kind: 'guest-running'; vmid: number }
  | { kind: 'snapshot-exists'; node: string; guestType: GuestType; vmid: number; snapname: string }
  /** A multi-guest backup: which guest failed is only in the log. */
  | { kind: 'backup-guests' };

/** What a queued or launched action will do (the launch queue owns its meaning). */
export interface LaunchSpec {
  action: 'start' | 'backup' | 'snapshot';
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
}

export interface GuestResult {
  outcome: FinalOutcome;
  message?: string;
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
}

export interface PollStatus {
  paused: boolean;
  /** Epoch ms of the last cycle that reached at least one node. */
  lastSuccessAt?: number;
  cycles: number;
}

/** A one-line message for the board's status line: what an action did, or why it could not. */
export interface Notice {
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

/** What the last write did to the rows: which it touched, and what each was before (undefined: new). */
export interface RowsChange {
  /** Goes up by one with every write that touched a row. */
  version: number;
  before: ReadonlyMap<string, TaskRow | undefined>;
}

export interface TaskStoreState {
  /**
   * Rows by key. The record itself is updated in place; a row that changed is a new object and an
   * unchanged one keeps its identity, so select single rows (`s => s.rows[key]`), and follow
   * `rowsChange` to learn which rows changed.
   */
  rows: Readonly<Record<string, TaskRow>>;
  rowsChange: RowsChange;
  /** Row keys per scope, running and queued first, then newest first. */
  order: Readonly<Record<Scope, readonly string[]>>;
  tallies: Readonly<Record<Scope, Tally>>;
  /** UPID -> row key; a live index, updated in place. */
  byUpid: Readonly<Record<string, string>>;
  guests: Readonly<Record<number, Guest>>;
  /** VMIDs in ascending order. */
  guestOrder: readonly number[];
  nodes: Readonly<Record<string, NodeHealth>>;
  poll: PollStatus;
  session?: SessionInfo;
  focusLog?: FocusLog;
  notice?: Notice;
  update(write: (tx: TaskTransaction) => void): void;
}

export type TaskStore = StoreApi<TaskStoreState>;

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

export type RowPatch = Partial<Omit<TaskRow, 'key'>>;

/** The write API, valid only inside `update`. */
export interface TaskTransaction {
  readonly rows: Readonly<Record<string, TaskRow>>;
  row(key: string): TaskRow | undefined;
  keyOf(upid: string): string | undefined;
  /** Adds a row, or returns the key of the row that already has this UPID. */
  add(input: NewRow): string;
  /** Merges `patch` into the row; a patch that changes nothing keeps the row object. */
  patch(key: string, patch: RowPatch): void;
  /**
   * Records a final outcome. A row that already timed out keeps `timeout` and gets the late outcome
   * beside it, so it is counted once, as timed out.
   */
  finish(
    key: string,
    outcome: FinalOutcome,
    fields?: { exitStatus?: string; endedAt?: number; message?: string; guestResults?: Readonly<Record<number, GuestResult>> },
  ): void;
  /** The deadline passed: the row counts as timed out; the task itself may still run on the server. */
  timeOut(key: string): void;
  remove(key: string): void;
  setGuests(guests: readonly Guest[]): void;
  setNode(name: string, health: Omit<NodeHealth, 'name'>): void;
  setPoll(patch: Partial<PollStatus>): void;
  setSession(info: SessionInfo): void;
  setFocusLog(log: FocusLog | undefined): void;
  setNotice(notice: Notice | undefined): void;
}

export const ACTIVE_STATES: ReadonlySet<TaskState> = new Set(['queued', 'running']);

/**
 * Calls `onWrite` after every write that touched rows, with the rows as they are now and each touched
 * row as it was before (undefined: new; a key missing from `rows`: removed). Returns the unsubscribe.
 */
export function subscribeRowChanges(
  store: TaskStore,
  onWrite: (rows: TaskStoreState['rows'], before: RowsChange['before']) => void,
): () => void {
  let seen = store.getState().rowsChange;
  return store.subscribe((state) => {
    if (state.rowsChange === seen) return;
    seen = state.rowsChange;
    onWrite(state.rows, seen.before);
  });
}

export function isFinal(state: TaskState): boolean {
  return !ACTIVE_STATES.has(state);
}

export function emptyTally(): Tally {
  return { total: 0, queued: 0, running: 0, ok: 0, warnings: 0, failed: 0, timeout: 0, unknown: 0 };
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

const SCOPES: readonly Scope[] = ['mine', 'cluster'];
const inScope = (row: TaskRow, scope: Scope) => scope === 'cluster' || row.mine;
// Above this many moved rows a full sort is cheaper than one insertion each.
const INCREMENTAL_REORDER_LIMIT = 64;

let keySequence = 0;
/** Local keys: unique in this process and across restarts (they are saved in session files). */
export function newRowKey(): string {
  keySequence = (keySequence + 1) % 1_000_000;
  return `t${Date.now().toString(36)}${keySequence.toString(36).padStart(4, '0')}`;
}

function sameProgress(a: TaskProgress | undefined, b: TaskProgress | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return a.percent === b.percent && a.bytesDone === b.bytesDone && a.bytesTotal === b.bytesTotal;
}

function samePollError(a: PollError | undefined, b: PollError | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return a.message === b.message && a.since === b.since;
}

function sameValue(field: string, a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (field === 'progress') return sameProgress(a as TaskProgress, b as TaskProgress);
  if (field === 'pollError') return samePollError(a as PollError, b as PollError);
  if (field === 'vmids') {
    const x = a as readonly number[] | undefined;
    const y = b as readonly number[] | undefined;
    return !!x && !!y && x.length === y.length && x.every((v, i) => v === y[i]);
  }
  return false;
}

function addToTally(tally: Tally, state: TaskState, sign: 1 | -1): void {
  tally.total += sign;
  tally[state] += sign;
}

function rowFromInput(input: NewRow): TaskRow {
  const parsed = input.upid ? parseUpid(input.upid) : undefined;
  const vmidFromId = parsed && /^\d+$/.test(parsed.id) ? [Number(parsed.id)] : [];
  const type = input.type ?? parsed?.type ?? '';
  const taskId = input.taskId ?? parsed?.id ?? '';
  const row: TaskRow = {
    key: input.key ?? newRowKey(),
    node: input.node ?? parsed?.node ?? '',
    type,
    taskId,
    description: input.description || (type ? describeTask(type, taskId) : ''),
    vmids: input.vmids ?? vmidFromId,
    mine: input.mine,
    firstSeenAt: input.firstSeenAt,
    state: input.state ?? (input.upid ? 'running' : 'queued'),
  };
  const optional: Partial<TaskRow> = {
    upid: input.upid,
    user: input.user ?? parsed?.user,
    startedAt: parsed ? parsed.starttime * 1000 : undefined,
    guestName: input.guestName,
    deadline: input.deadline,
    exitStatus: input.exitStatus,
    endedAt: input.endedAt,
    message: input.message,
    postCheck: input.postCheck,
    launch: input.launch,
    sentAt: input.sentAt,
  };
  for (const [field, value] of Object.entries(optional)) {
    if (value !== undefined) (row as unknown as Record<string, unknown>)[field] = value;
  }
  return row;
}

/** Creates an empty registry. */
export function createTaskStore(): TaskStore {
  return createStore<TaskStoreState>()((set, get) => ({
    rows: {},
    rowsChange: { version: 0, before: new Map() },
    order: { mine: [], cluster: [] },
    tallies: { mine: emptyTally(), cluster: emptyTally() },
    byUpid: {},
    guests: {},
    guestOrder: [],
    nodes: {},
    poll: { paused: false, cycles: 0 },
    update(write) {
      const next = runTransaction(get(), write);
      if (next) set(next);
    },
  }));
}

/**
 * Applies `write`; returns the changed parts, or undefined when nothing changed. Rows and the UPID index
 * are updated in place (copying thousands of entries on every write was most of a write's cost); a
 * changed row is a new object, and `rowsChange` says which rows changed and what they were. A write that
 * throws is undone.
 */
function runTransaction(state: TaskStoreState, write: (tx: TaskTransaction) => void): Partial<TaskStoreState> | undefined {
  const rows = state.rows as Record<string, TaskRow>;
  /** Each touched row as it was before this write (undefined: it is new). */
  const before = new Map<string, TaskRow | undefined>();
  let tallies: Record<Scope, Tally> | undefined;
  const reordered = new Set<string>();
  /** Scopes whose order may change: a list no moved row belongs to keeps its array. */
  const touched = new Set<Scope>();
  const changes: Partial<TaskStoreState> = {};

  const setRow = (key: string, row: TaskRow | undefined) => {
    if (!before.has(key)) before.set(key, rows[key]);
    if (row) rows[key] = row;
    else delete rows[key];
  };
  const index = state.byUpid as Record<string, string>;
  const undo: Array<[string, string | undefined]> = [];
  const setIndex = (upid: string, key: string | undefined) => {
    undo.push([upid, index[upid]]);
    if (key === undefined) delete index[upid];
    else index[upid] = key;
  };
  const mutableTallies = () => (tallies ??= { mine: { ...state.tallies.mine }, cluster: { ...state.tallies.cluster } });

  const count = (row: TaskRow, sign: 1 | -1) => {
    const t = mutableTallies();
    for (const scope of SCOPES) if (inScope(row, scope)) addToTally(t[scope], row.state, sign);
  };

  const replace = (old: TaskRow | undefined, after: TaskRow | undefined) => {
    const key = (after ?? old)!.key;
    if (old) count(old, -1);
    if (after) {
      count(after, 1);
      setRow(key, after);
      if (after.upid && after.upid !== old?.upid) setIndex(after.upid, key);
    } else {
      setRow(key, undefined);
    }
    if (old?.upid && old.upid !== after?.upid) setIndex(old.upid, undefined);
    if (!old || !after || old.mine !== after.mine || compareRows(old, after) !== 0) {
      reordered.add(key);
      for (const scope of SCOPES) if ((old && inScope(old, scope)) || (after && inScope(after, scope))) touched.add(scope);
    }
  };

  const tx: TaskTransaction = {
    get rows() {
      return rows;
    },
    row: (key) => rows[key],
    keyOf: (upid) => index[upid],
    add(input) {
      if (input.upid) {
        const existing = tx.keyOf(input.upid);
        if (existing) return existing;
      }
      const row = rowFromInput(input);
      if (rows[row.key]) throw new Error(`duplicate row key ${row.key}`);
      replace(undefined, row);
      return row.key;
    },
    patch(key, patch) {
      const before = rows[key];
      if (!before) return;
      let after: Record<string, unknown> | undefined;
      for (const [field, value] of Object.entries(patch)) {
        const old = (before as unknown as Record<string, unknown>)[field];
        if (sameValue(field, old, value)) continue;
        // Object.assign, not a spread: V8 gives every spread copy that then gains a field a hidden class
        // of its own (about 500 bytes a row, and megamorphic reads of rows everywhere).
        after ??= Object.assign({} as Record<string, unknown>, before);
        if (value === undefined) delete after[field];
        else after[field] = value;
      }
      if (after) replace(before, after as unknown as TaskRow);
    },
    finish(key, outcome, fields = {}) {
      const row = rows[key];
      if (!row) return;
      if (row.state === 'timeout') {
        tx.patch(key, { lateOutcome: outcome, lateExitStatus: fields.exitStatus, endedAt: row.endedAt ?? fields.endedAt });
        return;
      }
      tx.patch(key, { state: outcome, ...fields, pollError: undefined });
    },
    timeOut(key) {
      const row = rows[key];
      if (row && !isFinal(row.state)) tx.patch(key, { state: 'timeout' });
    },
    remove(key) {
      const row = rows[key];
      if (row) replace(row, undefined);
    },
    setGuests(guests) {
      const next: Record<number, Guest> = {};
      let changed = guests.length !== state.guestOrder.length;
      for (const guest of guests) {
        const old = state.guests[guest.vmid];
        const same =
          old &&
          old.name === guest.name &&
          old.node === guest.node &&
          old.status === guest.status &&
          old.type === guest.type &&
          old.template === guest.template &&
          old.hastate === guest.hastate &&
          old.tags === guest.tags &&
          old.lock === guest.lock;
        next[guest.vmid] = same ? old : guest;
        if (!same) changed = true;
      }
      if (!changed) return;
      changes.guests = next;
      changes.guestOrder = guests.map((g) => g.vmid).sort((a, b) => a - b);
    },
    setNode(name, health) {
      const nodes = (changes.nodes ?? state.nodes) as Record<string, NodeHealth>;
      const old = nodes[name];
      if (old && old.online === health.online && samePollError(old.error, health.error)) return;
      const node: NodeHealth = { name, online: health.online };
      if (health.error) node.error = health.error;
      changes.nodes = { ...nodes, [name]: node };
    },
    setPoll(patch) {
      const poll = changes.poll ?? state.poll;
      if (Object.entries(patch).every(([k, v]) => (poll as unknown as Record<string, unknown>)[k] === v)) return;
      changes.poll = { ...poll, ...patch };
    },
    setSession(info) {
      changes.session = info;
    },
    setFocusLog(log) {
      changes.focusLog = log;
    },
    setNotice(notice) {
      changes.notice = notice;
    },
  };

  try {
    write(tx);
  } catch (error) {
    for (const [upid, key] of undo.reverse()) {
      if (key === undefined) delete index[upid];
      else index[upid] = key;
    }
    for (const [key, row] of before) {
      if (row) rows[key] = row;
      else delete rows[key];
    }
    throw error;
  }

  if (before.size > 0) {
    changes.rowsChange = { version: state.rowsChange.version + 1, before };
    changes.tallies = tallies ?? state.tallies;
    if (reordered.size > 0) changes.order = reorder(state.order, rows, before, reordered, touched);
  }
  return Object.keys(changes).length > 0 ? changes : undefined;
}

function reorder(
  previous: Readonly<Record<Scope, readonly string[]>>,
  rows: Record<string, TaskRow>,
  before: ReadonlyMap<string, TaskRow | undefined>,
  moved: Set<string>,
  touched: ReadonlySet<Scope>,
): Record<Scope, readonly string[]> {
  const order = {} as Record<Scope, readonly string[]>;
  // The previous lists are sorted by the rows as they were: a moved row is found there by binary search.
  const asWas = (key: string) => (before.has(key) ? before.get(key) : rows[key])!;
  for (const scope of SCOPES) {
    if (!touched.has(scope)) {
      order[scope] = previous[scope];
      continue;
    }
    if (moved.size > INCREMENTAL_REORDER_LIMIT) {
      order[scope] = Object.values(rows)
        .filter((row) => inScope(row, scope))
        .sort(compareRows)
        .map((row) => row.key);
      continue;
    }
    const keys = previous[scope].slice();
    for (const key of moved) {
      const old = before.get(key);
      if (!old || !inScope(old, scope)) continue;
      const at = searchSorted(keys, old, asWas);
      keys.splice(keys[at] === key ? at : keys.indexOf(key), 1);
    }
    // What is left holds no moved row, so the rows as they are now keep it sorted.
    for (const key of moved) {
      const row = rows[key];
      if (row && inScope(row, scope))
        keys.splice(
          searchSorted(keys, row, (k) => rows[k]!),
          0,
          key,
        );
    }
    order[scope] = keys;
  }
  return order;
}

/** The first index whose row sorts at or after `row`. */
function searchSorted(keys: readonly string[], row: TaskRow, rowOf: (key: string) => TaskRow): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareRows(rowOf(keys[mid]!), row) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}
