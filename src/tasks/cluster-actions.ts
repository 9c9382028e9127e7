/**
 * The board's actions over several clusters: one RuntimeActions that sends each call to the runtime of
 * the cluster it concerns, in the combined view's terms (cluster-view.ts): a row key `alpha/t...` goes
 * to alpha with `t...`; guest ids (index * 10^9 + VMID) are grouped by cluster and each group goes to
 * its cluster with plain VMIDs (a migration's targets and given verdicts too; a drain's node is
 * `cluster/node`); what comes back is put into the view's terms again. Calls that concern
 * no one cluster (pause, refresh, queue controls) go to every cluster.
 *
 * Every action is routed by one line of ROUTES, so a new action only needs its line there.
 */
import type { RuntimeActions } from './actions.js';
import { clusterOfKey, guestId, splitGuestId } from './cluster-view.js';
import type { DrainOptions, DrainPlan } from './drain.js';
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

/** The part of a request (or a plan's request) for one cluster: its VMIDs, and its migration targets keyed by them. */
function clusterRequest<R extends LaunchRequest>(request: R, index: number, vmids: number[]): R {
  if (!('targets' in request)) return { ...request, vmids };
  const targets = Object.fromEntries(vmids.map((vmid) => [vmid, request.targets[guestId(index, vmid)]!]));
  return { ...request, vmids, targets };
}

/** Verdicts given with a request (a checked migration, a drain's plan), of one cluster, in its own VMIDs. */
function clusterOptions(options: unknown, index: number): unknown {
  const verdicts = (options as { verdicts?: readonly Verdict[] } | undefined)?.verdicts;
  if (!verdicts) return options;
  const own = verdicts.filter((verdict) => splitGuestId(verdict.vmid).index === index);
  return { ...(options as object), verdicts: own.map((verdict) => ({ ...verdict, vmid: splitGuestId(verdict.vmid).vmid })) };
}

/** A launch request (first argument) split by cluster; each cluster's answer list in view terms, joined. */
const byRequestGuests =
  (back: (index: number, parts: readonly ClusterActionsPart[], item: never) => unknown): Router =>
  (parts, name) =>
  (request: never, options?: never) => {
    const out: unknown[] = [];
    for (const [index, vmids] of groupGuests((request as LaunchRequest).vmids)) {
      const part = parts[index];
      if (!part) continue;
      const call = part.actions[name] as (...a: unknown[]) => readonly never[];
      for (const item of call(clusterRequest(request as LaunchRequest, index, vmids), clusterOptions(options, index))) {
        out.push(back(index, parts, item));
      }
    }
    return out;
  };

/** The same for an action that answers later (PVE's migration check): the clusters asked at once. */
const byRequestGuestsLater =
  (back: (index: number, parts: readonly ClusterActionsPart[], item: never) => unknown): Router =>
  (parts, name) =>
  async (request: never, options?: never) => {
    const asked = [...groupGuests((request as LaunchRequest).vmids)].flatMap(([index, vmids]) => {
      const part = parts[index];
      if (!part) return [];
      const call = part.actions[name] as (...a: unknown[]) => Promise<readonly never[]>;
      return [
        call(clusterRequest(request as LaunchRequest, index, vmids), options).then((items) =>
          items.map((item) => back(index, parts, item)),
        ),
      ];
    });
    return (await Promise.all(asked)).flat();
  };

/** The nodes of the cluster the guests are in (the migrate dialog's targets): the first guest's cluster. */
const byFirstGuest: Router = (parts, name) => (ids: never) => {
  const part = parts[splitGuestId((ids as readonly number[])[0] ?? 0).index] ?? parts[0]!;
  return (part.actions[name] as (ids: readonly number[]) => unknown)((ids as readonly number[]).map((id) => splitGuestId(id).vmid));
};

/** A drain names its node as the view does (`alpha/pve1`): that cluster plans it, in its terms, given back in the view's. */
const byNodeKey: Router = (parts, name) => async (options: never) => {
  const { node } = options as DrainOptions;
  const index = Math.max(
    0,
    parts.findIndex((part) => node.startsWith(`${part.name}/`)),
  );
  const part = parts[index]!;
  const plain = node.startsWith(`${part.name}/`) ? node.slice(part.name.length + 1) : node;
  const plan = await (part.actions[name] as (options: DrainOptions) => Promise<DrainPlan>)({ ...(options as DrainOptions), node: plain });
  const ids = (vmids: readonly number[]) => vmids.map((vmid) => guestId(index, vmid));
  return {
    ...plan,
    node,
    request: {
      ...plan.request,
      vmids: ids(plan.request.vmids),
      targets: Object.fromEntries(Object.entries(plan.request.targets).map(([vmid, target]) => [guestId(index, Number(vmid)), target])),
    },
    verdicts: plan.verdicts.map((verdict) => ({ ...verdict, vmid: guestId(index, verdict.vmid) })),
  } satisfies DrainPlan;
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
  checkMigration: byRequestGuestsLater(verdictBack),
  launch: byRequestGuests(keyBack),
  clusterNodes: byFirstGuest,
  planDrain: byNodeKey,
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
