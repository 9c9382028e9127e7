/**
 * What a list shows: the store's order (already sorted), narrowed by the filter. Memoised per board so
 * that the components and the input dispatcher see the same list, and so that a selector returns the
 * same object while nothing it depends on changed (zustand 5 loops on a fresh object per call).
 */
import { emptyTally, type Guest, type Scope, type Tally, type TaskRow, type TaskState, type TaskStoreState } from '../tasks/store.js';
import { clusterOfGuest, clusterOfKey } from '../tasks/cluster-view.js';
import { createDisplayOrder } from './display-order.js';
import { STATE_WORDS, taskStart, taskTitle } from './format.js';
import { windowTop } from './layout.js';
import type { Cursor, TaskSort } from './ui-state.js';

export interface VisibleTasks {
  keys: readonly string[];
  /** Rows in the scope before filtering: the M of "N of M". */
  total: number;
  /** Tally of the filtered rows; undefined without a filter (the store's own tally applies). */
  tally?: Tally;
}

export interface VisibleGuests {
  vmids: readonly number[];
  total: number;
}

/** Words of the filter; a row matches when its text contains every word, in any case. */
export function filterWords(filter: string): string[] {
  return filter.toLowerCase().split(/\s+/).filter(Boolean);
}

const rowText = new WeakMap<TaskRow, string>();
const guestText = new WeakMap<Guest, string>();

function taskHaystack(row: TaskRow): string {
  let text = rowText.get(row);
  if (text === undefined) {
    text = [
      // Over several clusters the key starts with the cluster's name (cluster-view.ts).
      clusterOfKey(row.key),
      ...row.vmids,
      row.taskId,
      row.guestName,
      row.node,
      row.type,
      taskTitle(row),
      row.user,
      STATE_WORDS[row.state],
      row.exitStatus,
      row.message,
      row.lateExitStatus,
      row.pollError ? 'unreachable' : undefined,
    ]
      .filter((part) => part !== undefined && part !== '')
      .join('\n')
      .toLowerCase();
    rowText.set(row, text);
  }
  return text;
}

function guestHaystack(guest: Guest): string {
  let text = guestText.get(guest);
  if (text === undefined) {
    text = [guest.vmid, guest.name, guest.node, guest.type, guest.status, guest.hastate, guest.tags, guest.template ? 'template' : '']
      .filter((part) => part !== undefined && part !== '')
      .join('\n')
      .toLowerCase();
    guestText.set(guest, text);
  }
  return text;
}

const matchesAll = (haystack: string, words: readonly string[]) => words.every((word) => haystack.includes(word));

/** What the `!` filter keeps: the tasks that need a look (failed, timed out, unknown). */
export function isProblem(row: TaskRow): boolean {
  return row.state === 'failed' || row.state === 'timeout' || row.state === 'unknown';
}

/** The `state` order: problems first, then what still runs, then what went well. */
const STATE_RANK: Readonly<Record<TaskState, number>> = {
  failed: 0,
  timeout: 1,
  unknown: 2,
  warnings: 3,
  running: 4,
  queued: 5,
  ok: 6,
  skipped: 7,
};

const byName = new Intl.Collator(undefined, { numeric: true }).compare;

/**
 * For the `duration` order, without a clock (the order must not change on every tick): running tasks
 * first, the longest running (earliest start) first; then ended ones, the longest first; then rows that
 * never ran (queued, skipped).
 */
function durationKey(row: TaskRow): [group: number, value: number] {
  if (row.endedAt !== undefined && row.state !== 'queued') return [1, -(row.endedAt - taskStart(row))];
  if (row.state === 'running' || row.state === 'timeout') return [0, taskStart(row)];
  return [2, 0];
}

const COMPARE: Readonly<Record<Exclude<TaskSort, 'start'>, (a: TaskRow, b: TaskRow) => number>> = {
  state: (a, b) => STATE_RANK[a.state] - STATE_RANK[b.state],
  guest: (a, b) => (a.vmids[0] ?? Infinity) - (b.vmids[0] ?? Infinity) || byName(a.guestName ?? '', b.guestName ?? ''),
  node: (a, b) => byName(a.node, b.node),
  duration: (a, b) => {
    const [groupA, valueA] = durationKey(a);
    const [groupB, valueB] = durationKey(b);
    return groupA - groupB || valueA - valueB;
  },
};

/**
 * `keys` (in the store's order, which is the `start` sort) in `sort` order. Stable: rows that compare
 * equal keep the store's order, newest first.
 */
export function sortTaskKeys(keys: readonly string[], state: Pick<TaskStoreState, 'row'>, sort: TaskSort): readonly string[] {
  if (sort === 'start') return keys;
  const compare = COMPARE[sort];
  const rows = keys.map((key) => state.row(key)).filter((row): row is TaskRow => row !== undefined);
  return rows.sort(compare).map((row) => row.key);
}

function sameArray<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function sameTally(a: Tally | undefined, b: Tally | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return (Object.keys(a) as Array<keyof Tally>).every((field) => a[field] === b[field]);
}

/** How the Tasks view lists its rows beyond the text filter: the sort, and problems only. */
export interface TaskListView {
  sort?: TaskSort;
  problems?: boolean;
}

export type TaskLister = (state: TaskStoreState, scope: Scope, filter: string, view?: TaskListView) => VisibleTasks;
export type GuestLister = (state: TaskStoreState, filter: string) => VisibleGuests;

/**
 * Keeps the last result per distinct argument (scope and filter): components that ask with different
 * filters at the same time (the view bar, the footer) must each get a stable result, or their
 * store subscriptions would see a new object on every check and re-render without end.
 */
function keyedCache<T>(): { get(key: string): T | undefined; set(key: string, value: T): void } {
  const entries = new Map<string, T>();
  return {
    get: (key) => entries.get(key),
    set(key, value) {
      // A handful of keys are live at once; forget old filters rather than grow.
      if (!entries.has(key) && entries.size >= 8) entries.delete(entries.keys().next().value!);
      entries.set(key, value);
    },
  };
}

export function createTaskLister(): TaskLister {
  const cache = keyedCache<{ order: readonly string[]; rowsVersion: number; result: VisibleTasks }>();
  const display = { mine: createDisplayOrder(), cluster: createDisplayOrder() };
  return (state, scope, filter, view = {}) => {
    // Rows move once per poll cycle, all together (display-order.ts).
    const order = display[scope](state.order[scope], state.poll.cycles);
    const words = filterWords(filter);
    const sort = view.sort ?? 'start';
    const problems = view.problems ?? false;
    const cacheKey = `${scope}\u0000${filter}\u0000${sort}\u0000${problems}`;
    const last = cache.get(cacheKey);
    const narrowed = words.length > 0 || problems;
    // Without a filter or a sort of its own the result depends on the order only, so row updates keep it identical.
    const rowsMatter = narrowed || sort !== 'start';
    if (last && last.order === order && (!rowsMatter || last.rowsVersion === state.rowsChange.version)) return last.result;
    let result: VisibleTasks;
    if (!rowsMatter) {
      result = { keys: order, total: order.length };
    } else {
      let keys: readonly string[] = order;
      let tally: Tally | undefined;
      if (narrowed) {
        const kept: string[] = [];
        tally = emptyTally();
        for (const key of order) {
          const row = state.row(key);
          if (!row || (problems && !isProblem(row)) || !matchesAll(taskHaystack(row), words)) continue;
          kept.push(key);
          tally.total += 1;
          tally[row.state] += 1;
        }
        keys = kept;
      }
      keys = sortTaskKeys(keys, state, sort);
      const previous = last?.result;
      result =
        previous && previous.total === order.length && sameArray(previous.keys, keys) && sameTally(previous.tally, tally)
          ? previous
          : { keys, total: order.length, tally };
    }
    cache.set(cacheKey, { order, rowsVersion: state.rowsChange.version, result });
    return result;
  };
}

export function createGuestLister(): GuestLister {
  const cache = keyedCache<{ order: readonly number[]; guests: TaskStoreState['guests']; result: VisibleGuests }>();
  return (state, filter) => {
    const order = state.guestOrder;
    const last = cache.get(filter);
    if (last && last.order === order && last.guests === state.guests) return last.result;
    const words = filterWords(filter);
    let result: VisibleGuests;
    if (words.length === 0) {
      result = { vmids: order, total: order.length };
    } else {
      const vmids = order.filter((vmid) => {
        const guest = state.guests[vmid];
        if (guest === undefined) return false;
        const cluster = clusterOfGuest(state, vmid);
        return matchesAll(cluster === undefined ? guestHaystack(guest) : `${cluster.toLowerCase()}\n${guestHaystack(guest)}`, words);
      });
      const previous = last?.result;
      result = previous && previous.total === order.length && sameArray(previous.vmids, vmids) ? previous : { vmids, total: order.length };
    }
    cache.set(filter, { order, guests: state.guests, result });
    return result;
  };
}

/** Index of the cursor in `keys`: on its item while that is listed, else where it was. */
export function cursorIndex<K>(keys: readonly K[], cursor: Cursor<K>): number {
  if (keys.length === 0) return -1;
  if (cursor.key !== undefined) {
    const found = keys.indexOf(cursor.key);
    if (found >= 0) return found;
  }
  return Math.min(cursor.index, keys.length - 1);
}

/** The cursor moved to `target` (clamped), with its window following. */
export function movedCursor<K>(keys: readonly K[], cursor: Cursor<K>, target: number, height: number): Cursor<K> {
  if (keys.length === 0) return { index: 0, top: 0 };
  const index = Math.max(0, Math.min(keys.length - 1, target));
  return { key: keys[index], index, top: windowTop(keys.length, index, height, cursor.top) };
}

const NO_LINES: readonly string[] = [];

/** Lines of the log shown for the open task (a stored array, so it is safe as a selector). */
export function logLines(state: TaskStoreState, key: string | undefined): readonly string[] {
  const log = state.focusLog;
  return log && key !== undefined && log.key === key ? log.lines : NO_LINES;
}
