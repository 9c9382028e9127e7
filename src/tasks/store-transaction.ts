/**
 * One write to the task store: the transaction API and what it changes. Rows and the UPID index are
 * maps updated in place (copying thousands of entries on every write was most of a write's cost); a
 * changed row is a new object, and the write's `rowsChange` says which rows changed and what they were.
 * Tallies and the per-scope orders are kept on write. A write that throws is undone.
 */
import { rowFromInput, sameGuest, samePollError, sameValue } from './row-values.js';
import {
  SCOPES,
  compareRows,
  inScope,
  isFinal,
  type Access,
  type ConnectionStatus,
  type FinalOutcome,
  type FocusLog,
  type Guest,
  type GuestResult,
  type Message,
  type NewRow,
  type NodeHealth,
  type PollStatus,
  type QueueStatus,
  type RowsChange,
  type Scope,
  type SessionInfo,
  type Tally,
  type TaskRow,
  type TaskState,
} from './task-row.js';

export type RowPatch = Partial<Omit<TaskRow, 'key'>>;

/** The write API, valid only inside `update`. */
export interface TaskTransaction {
  row(key: string): TaskRow | undefined;
  keyOf(upid: string): string | undefined;
  /** Every row, in no particular order, as it is at this point of the write. */
  allRows(): Iterable<TaskRow>;
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
  setMessage(message: Message | undefined): void;
  setAccess(access: Access): void;
  setQueue(queue: QueueStatus): void;
  setConnection(connection: ConnectionStatus): void;
}

/** The parts of the state a write may replace (rows and the index change in place). */
export interface WritableState {
  rowsChange: RowsChange;
  order: Readonly<Record<Scope, readonly string[]>>;
  tallies: Readonly<Record<Scope, Tally>>;
  guests: Readonly<Record<number, Guest>>;
  guestOrder: readonly number[];
  nodes: Readonly<Record<string, NodeHealth>>;
  poll: PollStatus;
  session?: SessionInfo;
  focusLog?: FocusLog;
  message?: Message;
  access?: Access;
  queue: QueueStatus;
  connection?: ConnectionStatus;
}

// Above this many moved rows a full sort is cheaper than one insertion each.
const INCREMENTAL_REORDER_LIMIT = 64;

function addToTally(tally: Tally, state: TaskState, sign: 1 | -1): void {
  tally.total += sign;
  tally[state] += sign;
}

/**
 * Applies `write` to the maps and returns the replaced parts of the state, or undefined when nothing
 * changed.
 */
export function runTransaction(
  rows: Map<string, TaskRow>,
  index: Map<string, string>,
  state: WritableState,
  write: (tx: TaskTransaction) => void,
): Partial<WritableState> | undefined {
  /** Each touched row as it was before this write (undefined: it is new). */
  const before = new Map<string, TaskRow | undefined>();
  let tallies: Record<Scope, Tally> | undefined;
  const reordered = new Set<string>();
  /** Scopes whose order may change: a list no moved row belongs to keeps its array. */
  const touched = new Set<Scope>();
  const changes: Partial<WritableState> = {};

  const setRow = (key: string, row: TaskRow | undefined) => {
    if (!before.has(key)) before.set(key, rows.get(key));
    if (row) rows.set(key, row);
    else rows.delete(key);
  };
  const undo: Array<[string, string | undefined]> = [];
  const setIndex = (upid: string, key: string | undefined) => {
    undo.push([upid, index.get(upid)]);
    if (key === undefined) index.delete(upid);
    else index.set(upid, key);
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
    row: (key) => rows.get(key),
    keyOf: (upid) => index.get(upid),
    // No copy: a session holds thousands of rows and callers only walk them (patching a row as they go is safe).
    allRows: () => rows.values(),
    add(input) {
      if (input.upid) {
        const existing = index.get(input.upid);
        if (existing) return existing;
      }
      const row = rowFromInput(input);
      if (rows.has(row.key)) throw new Error(`duplicate row key ${row.key}`);
      replace(undefined, row);
      return row.key;
    },
    patch(key, patch) {
      const current = rows.get(key);
      if (!current) return;
      let after: Record<string, unknown> | undefined;
      for (const [field, value] of Object.entries(patch)) {
        const old = (current as unknown as Record<string, unknown>)[field];
        if (sameValue(field, old, value)) continue;
        // Object.assign, not a spread: V8 gives every spread copy that then gains a field a hidden class
        // of its own (about 500 bytes a row, and megamorphic reads of rows everywhere).
        after ??= Object.assign({} as Record<string, unknown>, current);
        if (value === undefined) delete after[field];
        else after[field] = value;
      }
      if (after) replace(current, after as unknown as TaskRow);
    },
    finish(key, outcome, fields = {}) {
      const row = rows.get(key);
      if (!row) return;
      if (row.state === 'timeout') {
        tx.patch(key, { lateOutcome: outcome, lateExitStatus: fields.exitStatus, endedAt: row.endedAt ?? fields.endedAt });
        return;
      }
      tx.patch(key, { state: outcome, ...fields, pollError: undefined });
    },
    timeOut(key) {
      const row = rows.get(key);
      if (row && !isFinal(row.state)) tx.patch(key, { state: 'timeout' });
    },
    remove(key) {
      const row = rows.get(key);
      if (row) replace(row, undefined);
    },
    setGuests(guests) {
      const next: Record<number, Guest> = {};
      let changed = guests.length !== state.guestOrder.length;
      for (const guest of guests) {
        const old = state.guests[guest.vmid];
        const same = old !== undefined && sameGuest(old, guest);
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
    setMessage(message) {
      changes.message = message;
    },
    setAccess(access) {
      changes.access = access;
    },
    setQueue(queue) {
      const old = state.queue;
      if (old.paused !== queue.paused || old.parallel !== queue.parallel || old.perNode !== queue.perNode) changes.queue = queue;
    },
    setConnection(connection) {
      changes.connection = connection;
    },
  };

  try {
    write(tx);
  } catch (error) {
    for (const [upid, key] of undo.reverse()) {
      if (key === undefined) index.delete(upid);
      else index.set(upid, key);
    }
    for (const [key, row] of before) {
      if (row) rows.set(key, row);
      else rows.delete(key);
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
  rows: Map<string, TaskRow>,
  before: ReadonlyMap<string, TaskRow | undefined>,
  moved: Set<string>,
  touched: ReadonlySet<Scope>,
): Record<Scope, readonly string[]> {
  const order = {} as Record<Scope, readonly string[]>;
  // The previous lists are sorted by the rows as they were: a moved row is found there by binary search.
  const asWas = (key: string) => (before.has(key) ? before.get(key) : rows.get(key))!;
  for (const scope of SCOPES) {
    if (!touched.has(scope)) {
      order[scope] = previous[scope];
      continue;
    }
    if (moved.size > INCREMENTAL_REORDER_LIMIT) {
      order[scope] = [...rows.values()]
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
      const row = rows.get(key);
      if (row && inScope(row, scope))
        keys.splice(
          searchSorted(keys, row, (k) => rows.get(k)!),
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
