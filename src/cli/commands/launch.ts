/**
 * `pvetasks start|backup|snapshot|shutdown|stop|reboot|migrate <guests>...`: checks what the operator
 * typed, connects, resolves the guests (and the storage, or the migration target), opens the session,
 * then runs the launch on a runtime (launch-run.ts). `drain` (drain.ts) plans its migration, then runs
 * it the same way.
 */
import type { PveClient, PveClientOptions } from '../../api/index.js';
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
import { restartNote } from '../../tasks/drain.js';
import { checkLaunch, type CheckView, type Verdict } from '../../tasks/launch-check.js';
import { migrationCheckView } from '../../tasks/migration-reads.js';
import { seesClusterTasks } from '../../tasks/privileges.js';
import type { LaunchRequest } from '../../tasks/launch-plan.js';
import { openSession } from '../../tasks/session.js';
import type { Guest } from '../../tasks/store.js';
import { snapshotNameError } from '../../tasks/snapshot-name.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { echo } from '../../util/echo.js';
import { lastValue, parseCommandArgs, parseGuestArg, parseNodeArg, type GuestRef } from '../args.js';
import {
  asCliError,
  clusterName,
  connect,
  fetchGuests,
  loadCommandConfig,
  reportingCliErrors,
  retryingPassingFailures,
} from '../connect.js';
import { CliError, ExitCode, type CliIo, type Command } from '../io.js';
import { launchOptions, shutdownTimeoutArg, type LaunchOptions } from './launch-options.js';
import { launchAndWatch } from './launch-run.js';
import { COMMANDS, type OptionTable } from '../command-table.js';
import { commandHelp } from '../help.js';

type Action = LaunchRequest['action'];

const OPTIONS: Record<Action, OptionTable> = {
  start: COMMANDS.start.options,
  backup: COMMANDS.backup.options,
  snapshot: COMMANDS.snapshot.options,
  shutdown: COMMANDS.shutdown.options,
  stop: COMMANDS.stop.options,
  reboot: COMMANDS.reboot.options,
  migrate: COMMANDS.migrate.options,
};

const MODES = COMMANDS.backup.options.mode.choices;
const COMPRESSIONS = COMMANDS.backup.options.compress.choices;

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new CliError(`${flag} ${echo(value, { maxLength: 40 })} is not one of ${allowed.join(', ')}`);
}

export interface LaunchCommandDeps {
  clock?: Clock;
  /** Tests wrap the client (e.g. to die right after a POST). */
  createClient?: (options: PveClientOptions) => PveClient;
}

export function createLaunchCommand(action: Action, deps: LaunchCommandDeps = {}): Command {
  return (args, io) => {
    const secrets: string[] = [];
    return reportingCliErrors(io, secrets, () => runLaunch(action, args, io, deps, secrets));
  };
}

export const startCommand = createLaunchCommand('start');
export const backupCommand = createLaunchCommand('backup');
export const snapshotCommand = createLaunchCommand('snapshot');
export const shutdownCommand = createLaunchCommand('shutdown');
export const stopCommand = createLaunchCommand('stop');
export const rebootCommand = createLaunchCommand('reboot');
export const migrateCommand = createLaunchCommand('migrate');

async function runLaunch(action: Action, args: string[], io: CliIo, deps: LaunchCommandDeps, secrets: string[]): Promise<number> {
  const clock = deps.clock ?? systemClock;
  const { values, positionals } = parseCommandArgs(action, args, OPTIONS[action], { positionals: true });
  const flags = values as Record<string, string | boolean | string[] | undefined>;
  const text = (name: string) => lastValue(flags[name] as string | string[] | undefined);
  if (flags.help) {
    io.stdout.write(commandHelp(action));
    return ExitCode.ok;
  }
  // Everything the operator typed is checked before anything is asked of the cluster.
  if (positionals.length === 0) throw new CliError(`'pvetasks ${action}' needs at least one guest (VMID or NODE:VMID)`);
  const refs = positionals.map(parseGuestArg);
  const options = launchOptions(text, flags);
  const request = requestFor(action, refs, text, flags);

  const config = loadCommandConfig(io, secrets, { tokenFile: options.tokenFile, interval: options.interval });

  const client = await connect(config, clock, deps.createClient, io.signal);
  try {
    let guests: Map<number, Guest>;
    let malformed: number;
    try {
      ({ guests, malformed } = await fetchGuests(client, clock, io.signal));
    } catch (error) {
      if (io.signal.aborted) throw io.signal.reason;
      throw asCliError(error, "cannot read the cluster's guests");
    }
    const warn = (text: string) => io.stderr.write(`pvetasks: warning: ${text}\n`);
    if (malformed > 0) warn(malformedMessage(malformed, '/cluster/resources'));
    checkRefs(refs, guests, malformed);
    if (action === 'backup') {
      const nodes = [...new Set(refs.map((ref) => guests.get(ref.vmid)!.node))];
      await checkBackupStorage(client, clock, io.signal, nodes, String(request.action === 'backup' ? request.storage : ''), warn);
    }
    if (request.action === 'migrate') await checkTargetNode(client, clock, io.signal, request.targets[refs[0]!.vmid]!);
    const verdicts = await checkBeforeLaunch(client, clock, io.signal, request, guests, { noSkip: options.noSkip });
    const restarting = request.action === 'migrate' ? restartNote(verdicts, guests) : undefined;
    if (restarting) io.stderr.write(`pvetasks: note: ${restarting}\n`);
    return await runOnSession({ client, clock, io, request, verdicts, guests, options, config });
  } finally {
    await client.close();
  }
}

/** Opens the session of this cluster and user, then launches and follows (launch-run.ts). */
export async function runOnSession(run: {
  client: PveClient;
  clock: Clock;
  io: CliIo;
  request: LaunchRequest;
  verdicts: readonly Verdict[];
  guests: Map<number, Guest>;
  options: LaunchOptions;
  config: { endpoints: readonly string[]; stateDir: string; intervalMs: number };
}): Promise<number> {
  const { client, clock, io, options, config } = run;
  const cluster = await clusterName(client, config.endpoints[0]!, clock, io.signal);
  const session = openSession({
    stateDir: config.stateDir,
    cluster,
    user: client.userid,
    clock,
    onWarning: (message) => io.stderr.write(`pvetasks: warning: ${message}\n`),
  });
  return launchAndWatch({
    client,
    clock,
    io,
    request: run.request,
    verdicts: run.verdicts,
    guests: run.guests,
    session,
    parallel: options.parallel,
    perNode: options.perNode,
    timeoutMs: options.timeoutMs,
    intervalMs: config.intervalMs,
    json: options.json,
    noColor: options.noColor,
  });
}

/** A migration target that is not a node of the cluster, or is offline: nothing is sent (exit 2). */
async function checkTargetNode(client: PveClient, clock: Clock, signal: AbortSignal, target: string): Promise<void> {
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

function requestFor(
  action: Action,
  refs: GuestRef[],
  text: (name: string) => string | undefined,
  flags: Record<string, unknown>,
): LaunchRequest {
  const vmids = refs.map((ref) => ref.vmid);
  switch (action) {
    case 'start':
      return { action, vmids };
    case 'backup': {
      const storage = text('storage');
      if (!storage) throw new CliError("'pvetasks backup' needs --storage ID (a storage with backup content)");
      if (!/^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(storage))
        throw new CliError(`--storage ${echo(storage, { maxLength: 40 })} is not a storage id`);
      return {
        action,
        vmids,
        storage,
        mode: oneOf('--mode', text('mode'), MODES, 'snapshot'),
        compress: oneOf('--compress', text('compress'), COMPRESSIONS, 'zstd'),
      };
    }
    case 'shutdown': {
      const shutdownTimeout = shutdownTimeoutArg(text('shutdown-timeout'));
      return {
        action,
        vmids,
        ...(shutdownTimeout !== undefined ? { shutdownTimeout } : {}),
        ...(flags['force-stop'] ? { forceStop: true } : {}),
      };
    }
    case 'stop':
      return { action, vmids };
    case 'reboot': {
      const shutdownTimeout = shutdownTimeoutArg(text('shutdown-timeout'));
      return { action, vmids, ...(shutdownTimeout !== undefined ? { shutdownTimeout } : {}) };
    }
    case 'migrate': {
      const targetText = text('target');
      if (targetText === undefined) throw new CliError("'pvetasks migrate' needs --target NODE");
      const target = parseNodeArg('--target', targetText);
      const shutdownTimeout = shutdownTimeoutArg(text('shutdown-timeout'));
      return {
        action,
        vmids,
        targets: Object.fromEntries(vmids.map((vmid) => [vmid, target])),
        ...(flags['with-local-disks'] ? { withLocalDisks: true } : {}),
        ...(shutdownTimeout !== undefined ? { shutdownTimeout } : {}),
      };
    }
    case 'snapshot': {
      const snapname = text('name');
      if (snapname === undefined) throw new CliError("'pvetasks snapshot' needs --name SNAPNAME");
      const problem = snapshotNameError(snapname);
      if (problem) throw new CliError(`--name ${echo(snapname, { maxLength: 40 })}: ${problem}`);
      const description = text('description');
      return { action, vmids, snapname, ...(description ? { description } : {}), ...(flags.vmstate ? { vmstate: true } : {}) };
    }
  }
}

/**
 * Every guest typed exists, and on the node typed with it: otherwise nothing starts (exit 2). A guest
 * missing from a list that held entries we could not read may be one of them: that is the server's
 * fault (1), not the operator's (2).
 */
function checkRefs(refs: GuestRef[], guests: Map<number, Guest>, malformed: number): void {
  for (const ref of refs) {
    const guest = guests.get(ref.vmid);
    if (!guest && malformed > 0) {
      const unread = malformed === 1 ? '1 entry' : `${malformed} entries`;
      throw new CliError(
        `guest ${ref.vmid} is not in the guest list, of which ${unread} could not be read (nothing was started)`,
        ExitCode.failed,
      );
    }
    if (!guest) throw new CliError(`guest ${ref.vmid} does not exist in this cluster (nothing was started)`);
    if (ref.node && ref.node !== guest.node) {
      throw new CliError(`guest ${ref.vmid} is on ${guest.node}, not ${ref.node} (nothing was started)`);
    }
  }
}

/**
 * What to do with each guest (launch-check.ts): the credentials' privileges and the tasks in flight on
 * the guests' nodes are read once; where they cannot be read, the launch goes on without that check.
 * A migration also reads which nodes are online and each VM's migration preconditions.
 */
async function checkBeforeLaunch(
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
async function checkBackupStorage(
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
