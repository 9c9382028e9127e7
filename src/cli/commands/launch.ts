/**
 * `pvetasks start|backup|snapshot <guests>...`: checks what the operator typed, connects, resolves the
 * guests and the storage, opens the session, then runs the launch on a runtime (launch-run.ts).
 */
import type { PveClient, PveClientOptions } from '../../api/index.js';
import { malformedMessage, readClusterTasks, readNodeTasks, readPermissions, readStorages, type ListedTask } from '../../tasks/answers.js';
import { describeTask } from '../../tasks/describe.js';
import { checkLaunch, type Verdict } from '../../tasks/launch-check.js';
import { seesClusterTasks } from '../../tasks/privileges.js';
import type { LaunchRequest } from '../../tasks/launch-plan.js';
import { openSession } from '../../tasks/session.js';
import type { Guest } from '../../tasks/store.js';
import { snapshotNameError } from '../../tasks/snapshot-name.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { echo } from '../../util/echo.js';
import { lastValue, parseCommandArgs, parseCountArg, parseDurationArg, parseGuestArg, type GuestRef } from '../args.js';
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
import { launchAndWatch } from './launch-run.js';
import { COMMANDS } from '../command-table.js';
import { commandHelp } from '../help.js';

type Action = Extract<LaunchRequest['action'], 'start' | 'backup' | 'snapshot'>;

const OPTIONS = { start: COMMANDS.start.options, backup: COMMANDS.backup.options, snapshot: COMMANDS.snapshot.options };
const HELP: Record<Action, string> = { start: commandHelp('start'), backup: commandHelp('backup'), snapshot: commandHelp('snapshot') };

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

async function runLaunch(action: Action, args: string[], io: CliIo, deps: LaunchCommandDeps, secrets: string[]): Promise<number> {
  const clock = deps.clock ?? systemClock;
  const { values, positionals } = parseCommandArgs(action, args, OPTIONS[action], { positionals: true });
  const flags = values as Record<string, string | boolean | string[] | undefined>;
  const text = (name: string) => lastValue(flags[name] as string | string[] | undefined);
  if (flags.help) {
    io.stdout.write(HELP[action]);
    return ExitCode.ok;
  }
  // Everything the operator typed is checked before anything is asked of the cluster.
  if (positionals.length === 0) throw new CliError(`'pvetasks ${action}' needs at least one guest (VMID or NODE:VMID)`);
  const refs = positionals.map(parseGuestArg);
  const timeoutText = text('timeout');
  const timeoutMs = timeoutText === undefined ? undefined : parseDurationArg('--timeout', timeoutText);
  const parallelText = text('parallel');
  const parallel = parallelText === undefined ? 4 : parseCountArg('--parallel', parallelText, { min: 1, max: 64 });
  const perNodeText = text('per-node');
  const perNode = perNodeText === undefined ? 4 : parseCountArg('--per-node', perNodeText, { min: 1, max: 64 });
  const request = requestFor(action, refs, text, flags);

  const config = loadCommandConfig(io, secrets, { tokenFile: text('token-file'), interval: text('interval') });

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
    const verdicts = await checkBeforeLaunch(client, clock, io.signal, request, guests, { noSkip: flags['no-skip'] === true });
    const cluster = await clusterName(client, config.endpoints[0]!, clock, io.signal);
    const session = openSession({
      stateDir: config.stateDir,
      cluster,
      user: client.userid,
      clock,
      onWarning: (message) => io.stderr.write(`pvetasks: warning: ${message}\n`),
    });
    return await launchAndWatch({
      client,
      clock,
      io,
      request,
      verdicts,
      guests,
      session,
      parallel,
      perNode,
      timeoutMs,
      intervalMs: config.intervalMs,
      json: flags.json === true,
      noColor: flags['no-color'] === true,
    });
  } finally {
    await client.close();
  }
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
 */
async function checkBeforeLaunch(
  client: PveClient,
  clock: Clock,
  signal: AbortSignal,
  request: LaunchRequest,
  guests: Map<number, Guest>,
  options: { noSkip: boolean },
): Promise<Verdict[]> {
  const quietly = <T>(read: () => Promise<T>) => retryingPassingFailures(clock, signal, read).catch(() => undefined);
  const permissions = await quietly(() => readPermissions(client, { signal }));
  const access = permissions && { permissions, clusterTasks: seesClusterTasks(permissions) };
  const nodes = [...new Set(request.vmids.map((vmid) => guests.get(vmid)?.node).filter((node): node is string => !!node))];
  const busy = new Map<number, string>();
  const note = (tasks: readonly ListedTask[]) => {
    for (const task of tasks) if (task.running && /^\d+$/.test(task.id)) busy.set(Number(task.id), describeTask(task.type, task.id));
  };
  if (access?.clusterTasks !== false) note((await quietly(() => readClusterTasks(client, { signal })))?.items ?? []);
  else
    for (const node of nodes)
      note((await quietly(() => readNodeTasks(client, node, { source: 'active', limit: 500 }, { signal })))?.items ?? []);
  return checkLaunch(request, { guests, taskInFlight: (vmid) => busy.get(vmid), ...(access ? { access } : {}) }, options);
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
