/**
 * One read-only task store over the stores of several clusters, so that the board's components keep
 * reading ONE store through their narrow selectors. With one cluster it is that cluster's store itself
 * (nothing added, nothing copied). With several:
 *
 * - row keys are the cluster's name, a slash and the cluster's own key (`alpha/t...`); `row(key)` gives
 *   the cluster's row with that key (a copy made once per row object, so selectors keep identity);
 * - each scope's order is the clusters' orders merged (running and queued first, then newest first, as
 *   each store orders), rebuilt only when one of them is replaced, never per row read;
 * - tallies are summed, guests are keyed by a number made of the cluster's index and the VMID
 *   (`guestId`), nodes by `cluster/node`, the newest message wins (named after its cluster);
 * - `clusters` gives each cluster's name and state, for the header's liveness per cluster.
 */
import { createStore } from 'zustand/vanilla';
import type { Clock } from '../util/clock.js';
import { activeTaskFor, messageChannel, type TaskStore, type TaskStoreState } from './store.js';
import {
  SCOPES,
  compareRows,
  emptyTally,
  inScope,
  type Guest,
  type Message,
  type NodeHealth,
  type Scope,
  type Tally,
  type TaskRow,
} from './task-row.js';

export interface ClusterPart {
  name: string;
  store: TaskStore;
}

/** One cluster as the combined state shows it. */
export interface ClusterPartState {
  readonly name: string;
  readonly state: TaskStoreState;
}

/** PVE's VMIDs are below 10^9: a guest's id in a view over several clusters is index * 10^9 + VMID. */
export const GUEST_ID_SPAN = 1_000_000_000;

/** Above this many rows touched by one write, the orders are merged again whole (as the store re-sorts). */
const INCREMENTAL_LIMIT = 64;

export function guestId(clusterIndex: number, vmid: number): number {
  return clusterIndex * GUEST_ID_SPAN + vmid;
}

/** The cluster index and VMID of a guest id (a plain VMID is cluster 0's). */
export function splitGuestId(id: number): { index: number; vmid: number } {
  return { index: Math.floor(id / GUEST_ID_SPAN), vmid: id % GUEST_ID_SPAN };
}

/** `alpha` of `alpha/t123`; undefined for a key of a single cluster's store (they hold no slash). */
export function clusterOfKey(key: string): string | undefined {
  const slash = key.indexOf('/');
  return slash < 0 ? undefined : key.slice(0, slash);
}

/** Whether the named cluster's API cannot be reached (its rows are as they were when it last answered). */
export function clusterOffline(state: Pick<TaskStoreState, 'clusters'>, name: string | undefined): boolean {
  if (name === undefined || !state.clusters) return false;
  return state.clusters.find((part) => part.name === name)?.state.connection?.outage !== undefined;
}

/** The cluster's name of a guest id, in a view over several clusters (else undefined). */
export function clusterOfGuest(state: Pick<TaskStoreState, 'clusters'>, id: number): string | undefined {
  return state.clusters?.[splitGuestId(id).index]?.name;
}

/** The task running or queued on a guest (by its id in this state), from its own cluster's rows. */
export function activeTaskOn(state: TaskStoreState, id: number): TaskRow | undefined {
  if (!state.clusters) return activeTaskFor(state, id);
  const { index, vmid } = splitGuestId(id);
  const part = state.clusters[index];
  return part ? activeTaskFor(part.state, vmid) : undefined;
}

/** The state of the cluster a row key belongs to, and the key there (the state itself with one cluster). */
export function clusterStateOf(state: TaskStoreState, key: string): { state: TaskStoreState; key: string } {
  const name = clusterOfKey(key);
  const part = name === undefined ? undefined : state.clusters?.find((candidate) => candidate.name === name);
  return part ? { state: part.state, key: key.slice(name!.length + 1) } : { state, key };
}

export interface CombinedStore {
  store: TaskStore;
  /** A line of the board's own (not a cluster's) on the combined message channel. */
  notify(text: string, level?: Message['level']): void;
  close(): void;
}

/** The one store the board reads; see the module's comment. */
export function combineStores(parts: readonly ClusterPart[], clock: Clock): CombinedStore {
  if (parts.length === 1) {
    const only = parts[0]!.store;
    return { store: only, notify: messageChannel(only, clock), close() {} };
  }
  const indexOf = new Map(parts.map((part, index) => [part.name, index]));
  const copies = new WeakMap<object, object>();
  /** A copy of `value` made once per object (stored values are immutable: identity keeps meaning "unchanged"). */
  const copied = <T extends object>(value: T, make: (value: T) => T): T => {
    let copy = copies.get(value) as T | undefined;
    if (!copy) {
      copy = make(value);
      copies.set(value, copy);
    }
    return copy;
  };
  const prefixedRow = (index: number, row: TaskRow): TaskRow => copied(row, (r) => ({ ...r, key: `${parts[index]!.name}/${r.key}` }));
  /** Each cluster's order with its keys prefixed, per order array. */
  const prefixedOrders = new WeakMap<readonly string[], readonly string[]>();
  const prefixed = (index: number, order: readonly string[]) => {
    let keys = prefixedOrders.get(order);
    if (!keys) {
      const prefix = `${parts[index]!.name}/`;
      keys = order.map((key) => prefix + key);
      prefixedOrders.set(order, keys);
    }
    return keys;
  };
  let ownMessage: Message | undefined;
  let version = 0;

  const read = (): TaskStoreState['row'] => (key) => {
    const name = clusterOfKey(key);
    const index = name === undefined ? undefined : indexOf.get(name);
    if (index === undefined) return undefined;
    const row = parts[index]!.store.getState().row(key.slice(name!.length + 1));
    return row ? prefixedRow(index, row) : undefined;
  };
  const keyOf = (upid: string) => {
    for (const [index, part] of parts.entries()) {
      const key = part.store.getState().keyOf(upid);
      if (key !== undefined) return `${parts[index]!.name}/${key}`;
    }
    return undefined;
  };

  /** Merges the clusters' sorted orders of a scope (each store's own order; ties go to the earlier cluster). */
  const mergeOrders = (states: readonly TaskStoreState[], scope: Scope): readonly string[] => {
    const lists = states.map((state) => state.order[scope]);
    const keyed = states.map((_, index) => prefixed(index, lists[index]!));
    const heads = lists.map(() => 0);
    // Each list's head row, read once per head (not once per comparison).
    const rowAt = (index: number) => {
      const key = lists[index]![heads[index]!];
      return key === undefined ? undefined : states[index]!.row(key);
    };
    const headRows = lists.map((_, index) => rowAt(index));
    const out: string[] = new Array(lists.reduce((sum, list) => sum + list.length, 0));
    for (let n = 0; n < out.length; n++) {
      let best = -1;
      for (let index = 0; index < lists.length; index++) {
        if (heads[index]! >= lists[index]!.length) continue;
        const row = headRows[index];
        // A key without its row is not expected (a store's order lists its rows only): taken as it comes.
        if (!row) {
          best = index;
          break;
        }
        if (best < 0 || compareRows(row, headRows[best]!) < 0) best = index;
      }
      out[n] = keyed[best]![heads[best]!]!;
      heads[best]! += 1;
      headRows[best] = rowAt(best);
    }
    return out;
  };

  /**
   * The merged order after a write to one cluster that touched a few rows: only those rows can have
   * moved (an order depends on the rows' own fields), so they are taken out and put back in by binary
   * search, in the full merge's order (the stores' order, then the earlier cluster). Undefined when a
   * full merge is needed (many rows touched, or the result does not add up).
   */
  const mergeTouched = (states: readonly TaskStoreState[], index: number, merged: readonly string[], scope: Scope) => {
    const state = states[index]!;
    const touched = state.rowsChange.before;
    if (touched.size > INCREMENTAL_LIMIT) return undefined;
    const prefix = `${parts[index]!.name}/`;
    const out = merged.filter((key) => !(key.startsWith(prefix) && touched.has(key.slice(prefix.length))));
    const underlying = (key: string) => {
      const slash = key.indexOf('/');
      const at = indexOf.get(key.slice(0, slash))!;
      return { at, row: states[at]!.row(key.slice(slash + 1))! };
    };
    for (const key of touched.keys()) {
      const row = state.row(key);
      if (!row || !inScope(row, scope)) continue;
      let low = 0;
      let high = out.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        const other = underlying(out[middle]!);
        if ((compareRows(row, other.row) || index - other.at) < 0) high = middle;
        else low = middle + 1;
      }
      out.splice(low, 0, prefix + key);
    }
    return out.length === states.reduce((sum, each) => sum + each.order[scope].length, 0) ? out : undefined;
  };

  const build = (states: readonly TaskStoreState[], previous: TaskStoreState | undefined): TaskStoreState => {
    const before = previous?.clusters?.map((part) => part.state);
    const changed = <T>(pick: (state: TaskStoreState) => T) => !before || states.some((state, i) => pick(state) !== pick(before[i]!));
    const order = { ...(previous?.order ?? { mine: [], cluster: [] }) } as Record<Scope, readonly string[]>;
    // One cluster's write (the usual case: each store's change is seen at once) moves only the rows it touched.
    const movedIn = before ? states.flatMap((state, i) => (state.rowsChange !== before[i]!.rowsChange ? [i] : [])) : [];
    for (const scope of SCOPES) {
      if (!changed((state) => state.order[scope])) continue;
      const one = movedIn.length === 1 && states.every((state, i) => i === movedIn[0] || state.order[scope] === before![i]!.order[scope]);
      order[scope] = (one ? mergeTouched(states, movedIn[0]!, order[scope], scope) : undefined) ?? mergeOrders(states, scope);
    }
    let tallies = previous?.tallies;
    if (!tallies || changed((state) => state.tallies)) {
      const sum = { mine: emptyTally(), cluster: emptyTally() };
      for (const state of states)
        for (const scope of SCOPES)
          for (const field of Object.keys(sum[scope]) as Array<keyof Tally>) sum[scope][field] += state.tallies[scope][field];
      tallies = sum;
    }
    let { guests, guestOrder, nodes, rowsChange } = previous ?? {
      guests: {},
      guestOrder: [],
      nodes: {},
      rowsChange: { version: 0, before: new Map() },
    };
    if (!previous || changed((state) => state.guests)) {
      const all: Record<number, Guest> = {};
      const ids: number[] = [];
      states.forEach((state, index) => {
        for (const vmid of state.guestOrder) {
          const guest = state.guests[vmid];
          if (!guest) continue;
          all[guestId(index, vmid)] = guest;
          ids.push(guestId(index, vmid));
        }
      });
      guests = all;
      guestOrder = ids;
    }
    if (!previous || changed((state) => state.nodes)) {
      const all: Record<string, NodeHealth> = {};
      states.forEach((state, index) => {
        for (const node of Object.values(state.nodes)) {
          const name = `${parts[index]!.name}/${node.name}`;
          all[name] = copied(node, (n) => ({ ...n, name }));
        }
      });
      nodes = all;
    }
    if (previous && changed((state) => state.rowsChange)) {
      const touched = new Map<string, TaskRow | undefined>();
      states.forEach((state, index) => {
        if (state.rowsChange === before![index]!.rowsChange) return;
        for (const [key, row] of state.rowsChange.before) touched.set(`${parts[index]!.name}/${key}`, row && prefixedRow(index, row));
      });
      rowsChange = { version: ++version, before: touched };
    }
    let message = ownMessage;
    states.forEach((state, index) => {
      const said = state.message;
      if (said && (!message || said.at > message.at)) message = copied(said, (m) => ({ ...m, text: `${parts[index]!.name}: ${m.text}` }));
    });
    const focused = states.findIndex((state) => state.focusLog !== undefined);
    const focusLog =
      focused < 0 ? undefined : copied(states[focused]!.focusLog!, (log) => ({ ...log, key: `${parts[focused]!.name}/${log.key}` }));
    const successes = states.map((state) => state.poll.lastSuccessAt);
    const first = states[0]!;
    const clusters = states.map((state, index) =>
      previous?.clusters?.[index]?.state === state ? previous.clusters[index]! : { name: parts[index]!.name, state },
    );
    return {
      rowsChange,
      order,
      tallies,
      guests,
      guestOrder,
      nodes,
      poll: {
        paused: states.every((state) => state.poll.paused),
        cycles: states.reduce((sum, state) => sum + state.poll.cycles, 0),
        // The oldest cluster's: the board ticks while any is late.
        ...(successes.every((at) => at !== undefined) ? { lastSuccessAt: Math.min(...(successes as number[])) } : {}),
      },
      ...(first.session ? { session: { ...first.session, cluster: parts.map((part) => part.name).join(', ') } } : {}),
      ...(focusLog ? { focusLog } : {}),
      ...(message ? { message } : {}),
      queue: first.queue,
      clusters,
      row: read(),
      keyOf,
      update() {
        throw new Error('the view over several clusters is read-only: write to a cluster runtime');
      },
    };
  };

  const current = () => parts.map((part) => part.store.getState());
  const store = createStore<TaskStoreState>()(() => build(current(), undefined));
  const refresh = () => store.setState(build(current(), store.getState()), true);
  const unsubscribes = parts.map((part) => part.store.subscribe(refresh));
  return {
    store,
    notify(text, level = 'info') {
      ownMessage = { text, level, at: clock.now() };
      refresh();
    },
    close() {
      for (const unsubscribe of unsubscribes) unsubscribe();
    },
  };
}
