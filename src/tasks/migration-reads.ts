/**
 * What a migration or a drain reads before it sends anything, shape-checked like every answer
 * (answers.ts): each node's state and memory (`/cluster/resources?type=node`), and for each VM what
 * qemu-server's migration precondition check says (`GET /nodes/{node}/qemu/{vmid}/migrate`): the local
 * devices that pin it, its local disks, storages missing on the target. pve-manager's own "migrate all"
 * reads the same and skips the same VMs (PVE/API2/Nodes.pm, `create_migrate_worker`).
 */
import type { PveClient } from '../api/index.js';
import { checkList, isNodeName, type ReadInit } from './answers.js';
import { cleanText } from './clean-text.js';
import type { Guest } from './store.js';

/** A node as /cluster/resources shows it; memory only with Sys.Audit on the node (and only when online). */
export interface NodeCapacity {
  node: string;
  online: boolean;
  /** Bytes. */
  maxmem?: number;
  /** Bytes in use. */
  mem?: number;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;

export async function readNodeCapacities(client: PveClient, init: ReadInit = {}): Promise<NodeCapacity[]> {
  const response = await client.GET('/cluster/resources', { params: { query: { type: 'node' } }, ...init });
  const checked = checkList(response.data, (raw) => {
    if (raw.type !== undefined && raw.type !== 'node') return null;
    if (!isNodeName(raw.node)) return undefined;
    const node: NodeCapacity = { node: raw.node, online: raw.status === 'online' };
    const maxmem = count(raw.maxmem);
    const mem = count(raw.mem);
    if (maxmem !== undefined && maxmem > 0 && mem !== undefined) {
      node.maxmem = maxmem;
      node.mem = mem;
    }
    return node;
  });
  return checked.items.filter((item): item is NodeCapacity => item !== null);
}

/** Names from a list of strings, cleaned; anything else in it is left out. */
function names(value: unknown, pick: (item: unknown) => unknown = (item) => item): string[] {
  if (!Array.isArray(value)) return [];
  return value
    .map(pick)
    .filter((item): item is string => typeof item === 'string' && item !== '')
    .map((item) => cleanText(item));
}

/**
 * Why PVE would not move this VM to `target`, from its precondition answer (undefined: nothing found),
 * as pve-manager's migrate-all decides: local devices; local disks of a running VM without
 * with-local-disks; storages or mapped devices the target lacks.
 */
export function blockerOf(data: unknown, target: string, withLocalDisks: boolean): string | undefined {
  if (!isObject(data)) return undefined;
  const problems: string[] = [];
  const devices = names(data.local_resources);
  if (devices.length > 0) problems.push(`uses local devices: ${devices.join(', ')}`);
  const disks = names(data.local_disks, (disk) => (isObject(disk) ? disk.volid : undefined));
  if (data.running === 1 && !withLocalDisks && disks.length > 0) {
    problems.push(`runs with local disks (${disks.join(', ')}) and with-local-disks was not given`);
  }
  const refused = isObject(data.not_allowed_nodes) ? data.not_allowed_nodes[target] : undefined;
  if (isObject(refused)) {
    const storages = names(refused.unavailable_storages);
    if (storages.length > 0) problems.push(`storage ${storages.join(', ')} not available on ${target}`);
    const mapped = names(refused['unavailable-resources']);
    if (mapped.length > 0) problems.push(`mapped devices ${mapped.join(', ')} missing on ${target}`);
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** Precondition reads in flight at once: each is a pvedaemon worker on the guest's node. */
const AT_ONCE = 4;

/**
 * The blockers of the VMs that would go (`targets` by VMID), asked of each VM's node. HA-managed VMs are
 * not asked: the HA stack migrates them with `force` and `with-local-disks` itself. A check that cannot
 * be read (a 403, a lock, a node not answering) concludes nothing: PVE's own refusal will tell.
 */
export async function readMigrationBlockers(
  client: PveClient,
  guests: readonly Guest[],
  targets: Readonly<Record<number, string>>,
  withLocalDisks: boolean,
  init: ReadInit = {},
): Promise<Map<number, string>> {
  const blockers = new Map<number, string>();
  const queue = guests.filter((guest) => guest.type === 'qemu' && guest.hastate === undefined && targets[guest.vmid] !== undefined);
  const worker = async () => {
    for (let guest = queue.shift(); guest; guest = queue.shift()) {
      const target = targets[guest.vmid]!;
      try {
        const response = await client.GET('/nodes/{node}/qemu/{vmid}/migrate', {
          params: { path: { node: guest.node, vmid: guest.vmid }, query: { target } },
          ...init,
        });
        const blocker = blockerOf(response.data, target, withLocalDisks);
        if (blocker) blockers.set(guest.vmid, blocker);
      } catch (error) {
        if (init.signal?.aborted) throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: AT_ONCE }, worker));
  return blockers;
}

/**
 * The launch check's view for a migration, completed with what only the cluster can say: which nodes
 * are online, and what blocks each VM from moving to its target (read before anything is sent).
 */
export async function migrationCheckView<V extends object>(
  client: PveClient,
  view: V,
  guests: readonly Guest[],
  request: { targets: Readonly<Record<number, string>>; withLocalDisks?: boolean },
  init: ReadInit = {},
): Promise<V & { nodeOnline(node: string): boolean | undefined; migrationBlocker(vmid: number): string | undefined }> {
  const nodes = await readNodeCapacities(client, init);
  const online = new Map(nodes.map((node) => [node.node, node.online]));
  const movable = guests.filter((guest) => {
    const target = request.targets[guest.vmid];
    return !guest.template && target !== undefined && target !== guest.node && online.get(target) === true;
  });
  const blockers = await readMigrationBlockers(client, movable, request.targets, request.withLocalDisks ?? false, init);
  return { ...view, nodeOnline: (node) => online.get(node), migrationBlocker: (vmid) => blockers.get(vmid) };
}
