/**
 * What the launch commands read from a cluster before anything is sent: the migration target, each
 * guest's verdict (privileges, tasks in flight, PVE's migration check) and the backup storage. A
 * failure here stops the launch with nothing started.
 */
import type { PveClient } from '../../api/index.js';
import {
  malformedMessage,
  readClusterTasks,
  readNodes,
  readNodeTasks,
  readPermissions,
  readStorages,
  type ListedTask,
} from '../../tasks/answers.js';
import { describeTask } from '../../tasks/describe.js';
import { checkLaunch, type CheckView, type Verdict } from '../../tasks/launch-check.js';
import type { LaunchRequest } from '../../tasks/launch-plan.js';
import { migrationCheckView } from '../../tasks/migration-reads.js';
import { seesClusterTasks } from '../../tasks/privileges.js';
import type { Guest } from '../../tasks/store.js';
import type { Clock } from '../../util/clock.js';
import { echo } from '../../util/echo.js';
import { asCliError, retryingPassingFailures } from '../connect.js';
import { CliError, ExitCode } from '../io.js';

/** A migration target that is not a node of the cluster, or is offline: nothing is sent (exit 2). */
export async function checkTargetNode(client: PveClient, clock: Clock, signal: AbortSignal, target: string): Promise<void> {
  let nodes: Array<{ node: string; online: boolean }>;
  try {
    nodes = (await retryingPassingFailures(clock, signal, () => readNodes(client, { signal }))).items;
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw asCliError(error, "cannot read the cluster's nodes");
  }
  const node = nodes.find((item) => item.node === target);
  if (!node)
    throw new CliError(
      `--target ${target} is not a node of this cluster (nothing was started); nodes: ${nodes.map((item) => item.node).join(', ')}`,
    );
  if (!node.online) throw new CliError(`--target ${target} is offline (nothing was started)`);
}

/**
 * What to do with each guest (launch-check.ts): the credentials' privileges and the tasks in flight on
 * the guests' nodes are read once; where they cannot be read, the launch goes on without that check.
 * A migration also reads which nodes are online and each VM's migration preconditions.
 */
export async function checkBeforeLaunch(
  client: PveClient,
  clock: Clock,
  signal: AbortSignal,
  request: LaunchRequest,
  guests: Map<number, Guest>,
  options: { noSkip: boolean },
): Promise<Verdict[]> {
  const nodes = request.vmids.map((vmid) => guests.get(vmid)?.node).filter((node): node is string => !!node);
  const view = await readCheckView(client, clock, signal, guests, nodes);
  if (request.action !== 'migrate') return checkLaunch(request, view, options);
  const listed = request.vmids.map((vmid) => guests.get(vmid)).filter((guest): guest is Guest => guest !== undefined);
  const migration = await quietly(clock, signal, () => migrationCheckView(client, view, listed, request, { signal }));
  return checkLaunch(request, migration ?? view, options);
}

/** A read that may fail without stopping the launch (PVE's own checks then decide). */
function quietly<T>(clock: Clock, signal: AbortSignal, read: () => Promise<T>): Promise<T | undefined> {
  return retryingPassingFailures(clock, signal, read).catch(() => undefined);
}

/** The launch check's view of the cluster: the guests, the credentials' privileges, the tasks in flight on these nodes. */
export async function readCheckView(
  client: PveClient,
  clock: Clock,
  signal: AbortSignal,
  guests: Map<number, Guest>,
  guestNodes: readonly string[],
): Promise<CheckView> {
  const permissions = await quietly(clock, signal, () => readPermissions(client, { signal }));
  const access = permissions && { permissions, clusterTasks: seesClusterTasks(permissions) };
  const busy = new Map<number, string>();
  const note = (tasks: readonly ListedTask[]) => {
    for (const task of tasks) if (task.running && /^\d+$/.test(task.id)) busy.set(Number(task.id), describeTask(task.type, task.id));
  };
  if (access?.clusterTasks !== false) note((await quietly(clock, signal, () => readClusterTasks(client, { signal })))?.items ?? []);
  else
    for (const node of new Set(guestNodes))
      note((await quietly(clock, signal, () => readNodeTasks(client, node, { source: 'active', limit: 500 }, { signal })))?.items ?? []);
  return { guests, taskInFlight: (vmid) => busy.get(vmid), ...(access ? { access } : {}) };
}

/** vzdump to a storage that does not take backups fails late, in its task: say so before launching. */
export async function checkBackupStorage(
  client: PveClient,
  clock: Clock,
  signal: AbortSignal,
  nodes: readonly string[],
  storage: string,
  warn: (text: string) => void,
): Promise<void> {
  for (const node of nodes) {
    let ids: string[];
    let malformed: number;
    try {
      const storages = await retryingPassingFailures(clock, signal, () => readStorages(client, node, 'backup', { signal }));
      ids = storages.items.map((entry) => entry.storage);
      malformed = storages.malformed;
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw asCliError(error, `cannot read the storages of ${node}`);
    }
    if (malformed > 0) warn(malformedMessage(malformed, `/nodes/${node}/storage`));
    if (!ids.includes(storage)) {
      throw new CliError(
        `storage ${echo(storage)} does not take backups on ${node} (nothing was started); backup storages there: ${ids.join(', ') || 'none'}`,
        malformed > 0 ? ExitCode.failed : ExitCode.usage,
      );
    }
  }
}
