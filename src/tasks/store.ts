/**
 * The live task registry: one zustand (vanilla) store that the poller, the launch queue, the tracker
 * and the board share. No React here: components read it through `useStore(store, selector)`.
 *
 * Rows are keyed by a local key (a queued launch has no UPID yet) and read through `row(key)`: a row
 * is immutable (a change makes a new object, an unchanged row keeps its identity), so `s => s.row(key)`
 * is a safe selector and a board row re-renders only when its own task changed. The row collection
 * itself is not in the state (it changes in place, for speed with thousands of rows): follow
 * `rowsChange` (its version goes up on every write that touched a row) or the per-scope `order`
 * arrays, which are replaced when they change. Every write goes through `update(tx => ...)`.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Clock } from '../util/clock.js';
import { runTransaction, type TaskTransaction, type WritableState } from './store-transaction.js';
import { emptyTally, isFinal, type Message, type Scope, type TaskRow } from './task-row.js';

export * from './task-row.js';
export type { RowPatch, TaskTransaction } from './store-transaction.js';

export interface TaskStoreState extends Readonly<WritableState> {
  /** The row with this key, as it is now (immutable: select it, do not keep it). */
  row(key: string): TaskRow | undefined;
  /** The key of the row that follows this UPID. */
  keyOf(upid: string): string | undefined;
  update(write: (tx: TaskTransaction) => void): void;
  /** Set on the read-only view over several clusters only (cluster-view.ts): each cluster's name and state. */
  readonly clusters?: ReadonlyArray<{ readonly name: string; readonly state: TaskStoreState }>;
}

export type TaskStore = StoreApi<TaskStoreState>;

/** Launches in flight for a cluster at once, unless told otherwise (`--parallel`). */
export const DEFAULT_PARALLEL = 4;
/** Launches in flight per node at once (`--per-node`): PVE's own `max_workers` default. */
export const DEFAULT_PER_NODE = 4;

/** Creates an empty registry. */
export function createTaskStore(): TaskStore {
  const rows = new Map<string, TaskRow>();
  const index = new Map<string, string>();
  return createStore<TaskStoreState>()((set, get) => ({
    rowsChange: { version: 0, before: new Map() },
    order: { mine: [], cluster: [] },
    tallies: { mine: emptyTally(), cluster: emptyTally() },
    guests: {},
    guestOrder: [],
    nodes: {},
    poll: { paused: false, cycles: 0 },
    queue: { paused: false, parallel: DEFAULT_PARALLEL, perNode: DEFAULT_PER_NODE },
    row: (key) => rows.get(key),
    keyOf: (upid) => index.get(upid),
    update(write) {
      const next = runTransaction(rows, index, get(), write);
      if (next) set(next);
    },
  }));
}

/** The store's one message channel: a line (the board's status line) stamped on `clock`. */
export function messageChannel(store: TaskStore, clock: Clock): (text: string, level?: Message['level']) => void {
  return (text, level = 'info') => store.getState().update((tx) => tx.setMessage({ text, level, at: clock.now() }));
}

/** The rows of a scope in its order (running and queued first, then newest first). */
export function rowsOf(state: Pick<TaskStoreState, 'order' | 'row'>, scope: Scope): TaskRow[] {
  const out: TaskRow[] = [];
  for (const key of state.order[scope]) {
    const row = state.row(key);
    if (row) out.push(row);
  }
  return out;
}

/**
 * The running and queued rows of a scope, in its order. The order lists them first, so the finished
 * rows (most of a long session) are not even looked at: the poller and the launch queue call this on
 * every cycle and every change.
 */
export function activeRowsOf(state: Pick<TaskStoreState, 'order' | 'row'>, scope: Scope): TaskRow[] {
  const out: TaskRow[] = [];
  for (const key of state.order[scope]) {
    const row = state.row(key);
    if (!row || isFinal(row.state)) break;
    out.push(row);
  }
  return out;
}

/**
 * The task running or queued for a guest, if any (ours or anyone's the registry holds): the active rows
 * sort first in the cluster order, so only they are looked at.
 */
export function activeTaskFor(state: Pick<TaskStoreState, 'order' | 'row'>, vmid: number): TaskRow | undefined {
  for (const key of state.order.cluster) {
    const row = state.row(key);
    if (!row || isFinal(row.state)) return undefined;
    if (row.vmids.includes(vmid)) return row;
  }
  return undefined;
}

/**
 * Calls `onWrite` after every write that touched rows, with the store's state and each touched row
 * as it was before (undefined: new; a key whose `row()` is now undefined: removed). Returns the
 * unsubscribe.
 */
export function subscribeRowChanges(
  store: TaskStore,
  onWrite: (state: TaskStoreState, before: ReadonlyMap<string, TaskRow | undefined>) => void,
): () => void {
  let seen = store.getState().rowsChange;
  return store.subscribe((state) => {
    if (state.rowsChange === seen) return;
    seen = state.rowsChange;
    onWrite(state, seen.before);
  });
}
