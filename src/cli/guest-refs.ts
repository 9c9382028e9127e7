/**
 * Guests as the operator types them for the launch commands: `VMID`, `NODE:VMID`, `CLUSTER:VMID` or
 * `CLUSTER:NODE:VMID`. A prefix that names a configured cluster is a cluster, anything else a node.
 * Then each guest is found in its cluster's guest list; a bare VMID in two clusters is refused with
 * both named, since starting (or stopping) the wrong one is not a mistake to make quietly.
 */
import type { Guest } from '../tasks/store.js';
import { echo } from '../util/echo.js';
import { isNodeName, parseGuestArg } from './args.js';
import { CLUSTER_NAME_RE } from './cluster-file.js';
import type { ClusterTarget } from './clusters.js';
import { CliError, ExitCode } from './io.js';

export interface GuestRef {
  /** As typed, for messages. */
  text: string;
  vmid: number;
  node?: string;
  /** A configured cluster's name. */
  cluster?: string;
}

const usage = 'use VMID, NODE:VMID, CLUSTER:VMID or CLUSTER:NODE:VMID';

/**
 * Checks the form of a guest operand. `clusters` are the configured names; `unknown` before the
 * configuration is read, when any prefix shaped like a cluster name passes (the form is checked before
 * anything is read, the names after).
 */
export function parseGuestRef(text: string, clusters: readonly string[] | 'unknown'): GuestRef {
  const isCluster = (name: string) => (clusters === 'unknown' ? CLUSTER_NAME_RE.test(name) : clusters.includes(name));
  const parts = text.split(':');
  if (parts.length === 2) {
    const [prefix, vmidText] = parts as [string, string];
    const configured = clusters !== 'unknown' && clusters.includes(prefix);
    // Without configured clusters, a prefix is a node, as it always was.
    const maybeCluster = clusters === 'unknown' || clusters.length > 0;
    if (!configured && maybeCluster && !isNodeName(prefix) && CLUSTER_NAME_RE.test(prefix)) {
      if (!isCluster(prefix)) {
        throw new CliError(
          `${echo(text, { maxLength: 40 })}: ${echo(prefix, { maxLength: 40 })} is neither a node name nor a configured cluster; ${usage}`,
        );
      }
      return { text, vmid: parseGuestArg(vmidText).vmid, cluster: prefix };
    }
    if (configured) return { text, vmid: parseGuestArg(vmidText).vmid, cluster: prefix };
  }
  // VMID or NODE:VMID, with the words it always had.
  if (parts.length <= 2) return { text, ...parseGuestArg(text) };
  if (parts.length > 3) throw new CliError(`${echo(text, { maxLength: 40 })} is not a guest; ${usage}`, ExitCode.usage);
  const [cluster, node, vmidText] = parts as [string, string, string];
  if (!isCluster(cluster)) {
    const known = clusters === 'unknown' || clusters.length === 0 ? 'none are configured' : `configured: ${clusters.join(', ')}`;
    throw new CliError(`${echo(text, { maxLength: 40 })}: ${echo(cluster, { maxLength: 40 })} is not a configured cluster (${known})`);
  }
  const ref = parseGuestArg(`${node}:${vmidText}`);
  return { text, vmid: ref.vmid, node: ref.node!, cluster };
}

/** One cluster's guest list as read for the launch. */
export interface ClusterGuests {
  guests: Map<number, Guest>;
  /** Entries of the list that could not be read. */
  malformed: number;
}

export interface GuestPlacement {
  /** The guests each reached cluster launches, by cluster name, VMIDs in the order typed (once each). */
  byCluster: Map<string, GuestRef[]>;
  /** Guests of clusters that could not be asked, by cluster name (an empty name: a bare VMID that may be on one of them). */
  notReached: Map<string, GuestRef[]>;
}

/**
 * Finds each guest's cluster. `bare` are the clusters a VMID without a cluster may be in; `lists` the
 * guest lists of the clusters that answered; a cluster in neither did not answer. Throws a one-line
 * CliError (nothing is launched) for a guest that is nowhere, on another node, or in two clusters.
 */
export function placeGuests(
  refs: readonly GuestRef[],
  bare: readonly ClusterTarget[],
  lists: ReadonlyMap<string, ClusterGuests>,
): GuestPlacement {
  const byCluster = new Map<string, GuestRef[]>();
  const notReached = new Map<string, GuestRef[]>();
  const add = (map: Map<string, GuestRef[]>, name: string, ref: GuestRef) => {
    const list = map.get(name) ?? [];
    if (!list.some((known) => known.vmid === ref.vmid)) list.push(ref);
    map.set(name, list);
  };
  // One unnamed cluster speaks as it always did: "this cluster".
  const single = bare.length === 1 && !bare[0]!.configured && !refs.some((ref) => ref.cluster);
  const inCluster = (name: string) => (single ? 'this cluster' : `cluster ${name}`);
  for (const ref of refs) {
    if (ref.cluster) {
      const list = lists.get(ref.cluster);
      if (!list) add(notReached, ref.cluster, ref);
      else add(byCluster, ref.cluster, checked(ref, list, inCluster(ref.cluster)));
      continue;
    }
    const silent = bare.filter((target) => !lists.has(target.name));
    const holders = bare.filter((target) => lists.get(target.name)?.guests.has(ref.vmid));
    if (holders.length > 1) {
      const choices = holders.map((target) => `${target.name}:${ref.vmid}`).join(' or ');
      throw new CliError(`guest ${ref.vmid} is in ${holders.length} clusters: write ${choices} (nothing was started)`);
    }
    if (silent.length > 0) {
      // It may be there too: only the operator can say which one is meant.
      add(notReached, '', ref);
      continue;
    }
    if (holders.length === 0) {
      const where = single
        ? 'this cluster'
        : bare.length === 1
          ? `cluster ${bare[0]!.name}`
          : `any of the clusters ${bare.map((t) => t.name).join(', ')}`;
      checked(ref, mergedUnread(bare, lists), where);
    }
    add(byCluster, holders[0]!.name, checked(ref, lists.get(holders[0]!.name)!, inCluster(holders[0]!.name)));
  }
  return { byCluster, notReached };
}

/** An empty list that says how many entries of the clusters' lists could not be read. */
function mergedUnread(bare: readonly ClusterTarget[], lists: ReadonlyMap<string, ClusterGuests>): ClusterGuests {
  return { guests: new Map(), malformed: bare.reduce((sum, target) => sum + (lists.get(target.name)?.malformed ?? 0), 0) };
}

/**
 * The guest exists, and on the node typed with it: otherwise nothing starts (exit 2). A guest missing
 * from a list that held entries we could not read may be one of them: that is the server's fault (1),
 * not the operator's (2).
 */
function checked(ref: GuestRef, list: ClusterGuests, where: string): GuestRef {
  const guest = list.guests.get(ref.vmid);
  if (!guest && list.malformed > 0) {
    const unread = list.malformed === 1 ? '1 entry' : `${list.malformed} entries`;
    throw new CliError(
      `guest ${ref.vmid} is not in the guest list, of which ${unread} could not be read (nothing was started)`,
      ExitCode.failed,
    );
  }
  if (!guest) throw new CliError(`guest ${ref.vmid} does not exist in ${where} (nothing was started)`);
  if (ref.node && ref.node !== guest.node)
    throw new CliError(`guest ${ref.vmid} is on ${guest.node}, not ${ref.node} (nothing was started)`);
  return ref;
}
