/**
 * Draining a node: every guest on it migrated to the other nodes, before an upgrade or a reboot.
 *
 * The plan spreads the guests over the targets (by default every other online node) by free memory:
 * each guest, largest configured memory first, goes to the target with the most memory left, counting
 * the node's free memory (`maxmem - mem` in /cluster/resources) minus what the plan already put there.
 * Stopped guests count with their memory too: they may be started during the window. Credentials
 * without Sys.Audit on the nodes do not see their memory: then the guests are spread evenly by count,
 * and the plan says so. Templates stay (they never run; `--no-skip` moves them too), and so does every
 * guest the launch check skips or refuses; the plan lists each with its reason.
 */
import type { PveClient } from '../api/index.js';
import type { ReadInit } from './answers.js';
import { checkLaunch, type CheckView, type Verdict } from './launch-check.js';
import type { LaunchRequest } from './launch-plan.js';
import { readMigrationBlockers, readNodeCapacities, type NodeCapacity } from './migration-reads.js';
import type { Guest } from './store.js';

export class DrainError extends Error {
  override name = 'DrainError';
}

export interface DrainPlan {
  node: string;
  /** The nodes the guests may go to. */
  targets: string[];
  /** `count` when the node memory could not be read. */
  spreadBy: 'memory' | 'count';
  /** The migration request: every guest of the node, each with a target. */
  request: Extract<LaunchRequest, { action: 'migrate' }>;
  /** What the launch check says of each guest (go, skip or refuse, with the reason). */
  verdicts: Verdict[];
  /** Lines worth saying beside the plan (memory unseen, a target short of memory). */
  notes: string[];
}

export interface DrainOptions {
  node: string;
  /** Targets named by the operator; default every other online node. */
  to?: readonly string[];
  withLocalDisks?: boolean;
  /** CT restart migrations: PVE's wait for the shutdown (seconds). */
  shutdownTimeout?: number;
  noSkip?: boolean;
}

const GiB = 1024 ** 3;

/** The targets a drain may use, or why there are none (a DrainError names the node). */
export function drainTargets(options: Pick<DrainOptions, 'node' | 'to'>, nodes: readonly NodeCapacity[]): NodeCapacity[] {
  const byName = new Map(nodes.map((node) => [node.node, node]));
  if (!byName.has(options.node)) throw new DrainError(`${options.node} is not a node of this cluster`);
  if (options.to) {
    return [...new Set(options.to)].map((name) => {
      const node = byName.get(name);
      if (!node) throw new DrainError(`target ${name} is not a node of this cluster`);
      if (name === options.node) throw new DrainError(`target ${name} is the node being drained`);
      if (!node.online) throw new DrainError(`target ${name} is offline`);
      return node;
    });
  }
  const targets = nodes.filter((node) => node.node !== options.node && node.online);
  if (targets.length === 0) throw new DrainError(`no other node is online to take the guests of ${options.node}`);
  return targets;
}

/**
 * Puts each guest of `guests` on a target. `weighs(guest)` says whether it counts against the target's
 * memory (a guest that will not go does not). Pure: the same input gives the same plan.
 */
export function assignTargets(
  guests: readonly Guest[],
  targets: readonly NodeCapacity[],
  weighs: (guest: Guest) => boolean,
): { targets: Record<number, string>; spreadBy: 'memory' | 'count'; overcommitted: string[] } {
  const byMemory = targets.every((node) => node.maxmem !== undefined && node.mem !== undefined);
  const free = new Map(targets.map((node) => [node.node, byMemory ? node.maxmem! - node.mem! : 0]));
  const placed = new Map(targets.map((node) => [node.node, 0]));
  const order = [...guests].sort((a, b) => (b.maxmem ?? 0) - (a.maxmem ?? 0) || a.vmid - b.vmid);
  const assigned: Record<number, string> = {};
  for (const guest of order) {
    const best = [...targets].sort(
      (a, b) =>
        (byMemory ? free.get(b.node)! - free.get(a.node)! : 0) || placed.get(a.node)! - placed.get(b.node)! || (a.node < b.node ? -1 : 1),
    )[0]!;
    assigned[guest.vmid] = best.node;
    if (!weighs(guest)) continue;
    placed.set(best.node, placed.get(best.node)! + 1);
    free.set(best.node, free.get(best.node)! - (guest.maxmem ?? 0));
  }
  const overcommitted = byMemory ? targets.filter((node) => free.get(node.node)! < 0).map((node) => node.node) : [];
  return { targets: assigned, spreadBy: byMemory ? 'memory' : 'count', overcommitted };
}

/**
 * The plan for draining `options.node`: reads the nodes (state and memory) and the VMs' migration
 * preconditions, assigns the targets and checks every guest. `view` is the launch check's view of the
 * cluster (guests, tasks in flight, privileges); the nodes read here complete it.
 */
export async function planDrain(
  client: PveClient,
  view: Omit<CheckView, 'nodeOnline' | 'migrationBlocker'>,
  options: DrainOptions,
  init: ReadInit = {},
): Promise<DrainPlan> {
  const nodes = await readNodeCapacities(client, init);
  const targets = drainTargets(options, nodes);
  const all = view.guests instanceof Map ? [...view.guests.values()] : Object.values(view.guests);
  const guests = all.filter((guest) => guest.node === options.node).sort((a, b) => a.vmid - b.vmid);
  const online = new Map(nodes.map((node) => [node.node, node.online]));
  const baseView: CheckView = { ...view, nodeOnline: (node) => online.get(node) };
  const vmids = guests.map((guest) => guest.vmid);
  const request = (targetsByVmid: Record<number, string>): DrainPlan['request'] => ({
    action: 'migrate',
    vmids,
    targets: targetsByVmid,
    ...(options.withLocalDisks ? { withLocalDisks: true } : {}),
    ...(options.shutdownTimeout !== undefined ? { shutdownTimeout: options.shutdownTimeout } : {}),
  });
  // A first check, before any target is known, says which guests will not go whatever their target.
  const anywhere = Object.fromEntries(vmids.map((vmid) => [vmid, targets[0]!.node]));
  const first = new Map(checkLaunch(request(anywhere), baseView, { noSkip: options.noSkip ?? false }).map((v) => [v.vmid, v]));
  const assigned = assignTargets(guests, targets, (guest) => 'go' in first.get(guest.vmid)!);
  const going = guests.filter((guest) => 'go' in first.get(guest.vmid)!);
  const blockers = await readMigrationBlockers(client, going, assigned.targets, options.withLocalDisks ?? false, init);
  const finalRequest = request(assigned.targets);
  const verdicts = checkLaunch(
    finalRequest,
    { ...baseView, migrationBlocker: (vmid) => blockers.get(vmid) },
    { noSkip: options.noSkip ?? false },
  );
  const notes: string[] = [];
  if (assigned.spreadBy === 'count') {
    notes.push('node memory is not visible to these credentials (Sys.Audit on the nodes): guests spread evenly by count');
  }
  for (const node of assigned.overcommitted) notes.push(`${node} gets more configured guest memory than it has free`);
  const restarting = restartNote(verdicts, view.guests);
  if (restarting) notes.push(restarting);
  return {
    node: options.node,
    targets: targets.map((node) => node.node),
    spreadBy: assigned.spreadBy,
    request: finalRequest,
    verdicts,
    notes,
  };
}

/**
 * Containers move by restart migration (live migration of containers does not exist in PVE): the
 * running ones that go are shut down, moved and started again on their target. Undefined when none.
 */
export function restartNote(
  verdicts: readonly Verdict[],
  guests: ReadonlyMap<number, Guest> | Readonly<Record<number, Guest>>,
): string | undefined {
  const lookup = (vmid: number) => (guests instanceof Map ? guests.get(vmid) : (guests as Record<number, Guest>)[vmid]);
  const restarting = verdicts
    .filter((verdict) => 'go' in verdict)
    .map((verdict) => lookup(verdict.vmid))
    .filter((guest): guest is Guest => guest?.type === 'lxc' && guest.status === 'running')
    .map((guest) => `CT ${guest.vmid}`);
  if (restarting.length === 0) return undefined;
  const which = restarting.length > 3 ? `${restarting.length} running containers` : restarting.join(', ');
  return `${which} restart${restarting.length === 1 ? 's' : ''}: containers move by restart migration (shut down, moved, started again on the target)`;
}

/** The plan as lines for a terminal: each guest, where it goes or why it stays; then the notes. */
export function describeDrainPlan(plan: DrainPlan, guests: ReadonlyMap<number, Guest> | Readonly<Record<number, Guest>>): string[] {
  const lookup = (vmid: number) => (guests instanceof Map ? guests.get(vmid) : (guests as Record<number, Guest>)[vmid]);
  const going = plan.verdicts.filter((verdict) => 'go' in verdict).length;
  const lines = [
    `drain ${plan.node}: ${going} of ${plan.verdicts.length} guest${plan.verdicts.length === 1 ? '' : 's'} to ${plan.targets.join(', ')} (spread by ${plan.spreadBy === 'memory' ? 'free memory' : 'count'})`,
  ];
  for (const verdict of plan.verdicts) {
    const guest = lookup(verdict.vmid);
    const kind = guest?.type === 'lxc' ? 'CT' : 'VM';
    const name = guest?.name ? ` (${guest.name})` : '';
    const memory = guest?.maxmem ? `, ${(guest.maxmem / GiB).toFixed(1)} GiB` : '';
    const state = guest ? ` [${guest.status}${guest.hastate ? `, HA` : ''}${memory}]` : '';
    // The guest's own VMID: a view over several clusters keys its guests by ids of its own.
    const what = `${kind} ${guest?.vmid ?? verdict.vmid}${name}${state}`;
    if ('go' in verdict) lines.push(`  ${what} -> ${plan.request.targets[verdict.vmid]}`);
    else if ('skip' in verdict) lines.push(`  ${what} stays: ${verdict.skip}`);
    else lines.push(`  ${what} cannot move: ${verdict.refuse}`);
  }
  for (const note of plan.notes) lines.push(`note: ${note}`);
  return lines;
}
