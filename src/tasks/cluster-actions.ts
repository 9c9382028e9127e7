/**
 * The board's actions over several clusters: one RuntimeActions that sends each call to the runtime of
 * the cluster it concerns, in the combined view's terms (cluster-view.ts): a row key `alpha/t...` goes
 * to alpha with `t...`; guest ids (index * 10^9 + VMID) are grouped by cluster and each group goes to
 * its cluster with plain VMIDs; what comes back is put into the view's terms again. Calls that concern
 * no one cluster (pause, refresh, queue controls) go to every cluster.
 *
 * Every action is routed by one line of ROUTES, so a new action only needs its line there.
 */
import type { RuntimeActions } from './actions.js';
import { clusterOfKey, guestId, splitGuestId } from './cluster-view.js';
import type { LaunchRequest } from './launch-plan.js';
import type { Verdict } from './launch-check.js';
import type { TaskStore } from './store.js';
import { parseUpid } from './upid.js';

export interface ClusterActionsPart {
  name: string;
  actions: RuntimeActions;
  store: TaskStore;
}

type Name = keyof RuntimeActions;
type Router = (parts: readonly ClusterActionsPart[], name: Name, notify: RuntimeActions['notify']) => (...args: never[]) => unknown;

/** Calls the action of every cluster (what the first answers is the answer). */
const everyCluster: Router =
  (parts, name) =>
  (...args) =>
    parts.map((part) => (part.actions[name] as (...a: never[]) => unknown)(...args))[0];

/** The first argument is a row key: its cluster's action with the cluster's own key. */
const byRowKey: Router =
  (parts, name, notify) =>
  (key: never, ...rest: never[]) => {
    const cluster = clusterOfKey(key as string);
    const part = parts.find((candidate) => candidate.name === cluster);
    if (!part) {
      notify(`no cluster holds the task ${String(key)}`, 'error');
      return undefined;
    }
    return (part.actions[name] as (...a: unknown[]) => unknown)((key as string).slice(part.name.length + 1), ...rest);
  };

/** Groups guest ids by cluster: the plain VMIDs per cluster index, in the order given. */
function groupGuests(ids: readonly number[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (const id of ids) {
    const { index, vmid } = splitGuestId(id);
    const group = groups.get(index);
    if (group) group.push(vmid);
    else groups.set(index, [vmid]);
  }
  return groups;
}

/** A launch request (first argument) split by cluster; each cluster's answer list in view terms, joined. */
const byRequestGuests =
  (back: (index: number, parts: readonly ClusterActionsPart[], item: never) => unknown): Router =>
  (parts, name) =>
  (request: never, ...rest: never[]) => {
    const out: unknown[] = [];
    for (const [index, vmids] of groupGuests((request as LaunchRequest).vmids)) {
      const part = parts[index];
      if (!part) continue;
      const answer = (part.actions[name] as (...a: unknown[]) => readonly never[])({ ...(request as LaunchRequest), vmids }, ...rest);
      for (const item of answer) out.push(back(index, parts, item));
    }
    return out;
  };

const verdictBack = (index: number, _parts: readonly ClusterActionsPart[], verdict: never) => ({
  ...(verdict as Verdict),
  vmid: guestId(index, (verdict as Verdict).vmid),
});
const keyBack = (index: number, parts: readonly ClusterActionsPart[], key: never) => `${parts[index]!.name}/${key as string}`;

/** Backup storages common to the guests of every cluster asked (one dialog, one storage id). */
const commonStorages: Router = (parts) => async (ids: never) => {
  let common: Set<string> | undefined;
  for (const [index, vmids] of groupGuests(ids as readonly number[])) {
    const part = parts[index];
    if (!part) continue;
    const found = new Set(await part.actions.backupStorages(vmids));
    common = common ? new Set([...common].filter((id) => found.has(id))) : found;
  }
  return [...(common ?? [])].sort();
};

/** A UPID names its node: the cluster that has that node watches it (else the first cluster). */
const byUpidNode: Router = (parts, name) => (upid: never) => {
  let node: string | undefined;
  try {
    node = parseUpid(upid as string).node;
  } catch {
    // the first cluster says why it is not a UPID
  }
  const index = Math.max(
    0,
    parts.findIndex((part) => node !== undefined && part.store.getState().nodes[node] !== undefined),
  );
  const key = (parts[index]!.actions[name] as (upid: string) => string | undefined)(upid as string);
  return key === undefined ? undefined : `${parts[index]!.name}/${key}`;
};

/** How each action is routed: one line per action. */
const ROUTES: Readonly<Record<Exclude<Name, 'notify' | 'focusTask'>, Router>> = {
  setPaused: everyCluster,
  refreshNow: everyCluster,
  stopTask: byRowKey,
  cancelLaunch: byRowKey,
  saveTaskLog: byRowKey,
  checkLaunch: byRequestGuests(verdictBack),
  launch: byRequestGuests(keyBack),
  setQueuePaused: everyCluster,
  cancelQueued: everyCluster,
  setLaunchLimits: everyCluster,
  resumeLaunches: everyCluster,
  backupStorages: commonStorages,
  watchTask: byUpidNode,
};

/** The actions of the board over several clusters; with one cluster, that cluster's own. */
export function routeActions(parts: readonly ClusterActionsPart[], notify: RuntimeActions['notify']): RuntimeActions {
  if (parts.length === 1) return parts[0]!.actions;
  const routed = Object.fromEntries(Object.entries(ROUTES).map(([name, route]) => [name, route(parts, name as Name, notify)]));
  return {
    ...(routed as unknown as Omit<RuntimeActions, 'notify' | 'focusTask'>),
    notify,
    // The detail view reads one task every second: only its cluster does, the others stop.
    focusTask(key) {
      const cluster = key === undefined ? undefined : clusterOfKey(key);
      for (const part of parts) part.actions.focusTask(part.name === cluster ? key!.slice(part.name.length + 1) : undefined);
    },
  };
}

/**
 * Watches UPIDs given at start (`--watch`) on the cluster that has their node. Over several clusters
 * the nodes are known only once each cluster answered (or is found offline): each UPID waits for its
 * node to be known, or for every cluster's first cycle (then the first cluster takes it and says why).
 */
export function watchWhenKnown(store: TaskStore, actions: RuntimeActions, upids: readonly string[]): void {
  if (!store.getState().clusters) {
    for (const upid of upids) actions.watchTask(upid);
    return;
  }
  let pending = [...upids];
  let busy = false;
  const nodeOf = (upid: string) => {
    try {
      return parseUpid(upid).node;
    } catch {
      return undefined;
    }
  };
  const check = () => {
    if (busy || pending.length === 0) return;
    busy = true;
    const parts = store.getState().clusters ?? [];
    const everyAnswered = parts.every((part) => part.state.poll.cycles > 0 || part.state.connection?.outage);
    const ready = pending.filter((upid) => {
      const node = nodeOf(upid);
      return everyAnswered || node === undefined || parts.some((part) => part.state.nodes[node] !== undefined);
    });
    pending = pending.filter((upid) => !ready.includes(upid));
    for (const upid of ready) actions.watchTask(upid);
    if (pending.length === 0) unsubscribe();
    busy = false;
  };
  const unsubscribe = store.subscribe(check);
  check();
}
