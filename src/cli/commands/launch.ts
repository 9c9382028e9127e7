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
import type { Guest, TaskRow } from '../../tasks/store.js';
import { snapshotNameError } from '../../tasks/snapshot-name.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { echo } from '../../util/echo.js';
import { lastValue, parseCommandArgs, parseCountArg, parseDurationArg } from '../args.js';
import {
  closeClients,
  connectEach,
  failed,
  loadClusters,
  namesClusters,
  reached,
  reportClusterFailure,
  sessionClusterName,
  worstExitCode,
  type ClusterTarget,
  type Clusters,
  type ConnectedCluster,
} from '../clusters.js';
import { asCliError, fetchGuests, reportingCliErrors, retryingPassingFailures } from '../connect.js';
import { parseGuestRef, placeGuests, type GuestRef } from '../guest-refs.js';
import { CliError, ExitCode, type CliIo, type Command } from '../io.js';
import { TaskReporter } from '../output.js';
import { launchAndWatch } from './launch-run.js';
import { COMMANDS } from '../command-table.js';
import { commandHelp } from '../help.js';
import { finishWithReport, reportTarget } from '../report-file.js';

type Action = LaunchRequest['action'];

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
  // Everything the operator typed is checked before anything is asked of a cluster.
  if (positionals.length === 0) throw new CliError(`'pvetasks ${action}' needs at least one guest (VMID or NODE:VMID)`);
  const typed = positionals.map((operand) => parseGuestRef(operand, 'unknown'));
  const timeoutText = text('timeout');
  const timeoutMs = timeoutText === undefined ? undefined : parseDurationArg('--timeout', timeoutText);
  const parallelText = text('parallel');
  const parallel = parallelText === undefined ? 4 : parseCountArg('--parallel', parallelText, { min: 1, max: 64 });
  const perNodeText = text('per-node');
  const perNode = perNodeText === undefined ? 4 : parseCountArg('--per-node', perNodeText, { min: 1, max: 64 });
  const request = requestFor(action, typed, text, flags);
  const report = reportTarget(text('report'), io.cwd);

  const clusters = await loadClusters(io, secrets, {
    cluster: flags.cluster as string[] | undefined,
    config: text('config'),
    tokenFile: text('token-file'),
    interval: text('interval'),
  });
  // Now that the configured names are known, `east:101` names a cluster.
  const refs = positionals.map((operand) => parseGuestRef(operand, clusters.names));
  const { targets, bare } = clustersFor(refs, clusters);
  const named = namesClusters(targets);
  const warn = (line: string) => io.stderr.write(`pvetasks: warning: ${line}\n`);

  // Every cluster's guest list first: a bare VMID may be in any of them.
  const results = await connectEach(
    targets,
    clock,
    io.signal,
    async (cluster, signal) => {
      try {
        return await fetchGuests(cluster.client, clock, signal);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        throw asCliError(error, "cannot read the cluster's guests");
      }
    },
    deps.createClient,
  );
  const up = reached(results).map((result) => result.value);
  const down = failed(results);
  try {
    const lists = new Map(up.map(({ cluster, value }) => [cluster.name, value]));
    for (const { cluster, value } of up) {
      if (value.malformed > 0)
        warn(`${named ? `cluster ${cluster.name}: ` : ''}${malformedMessage(value.malformed, '/cluster/resources')}`);
    }
    const placement = placeGuests(refs, bare, lists);
    const notReachedCodes = reportNotReached(io, down, placement.notReached);
    // Everything is checked on every cluster before anything is launched on any.
    const plans: ClusterPlan[] = [];
    for (const { cluster, value } of up) {
      const mine = placement.byCluster.get(cluster.name);
      if (!mine) continue;
      const clusterRequest = { ...request, vmids: mine.map((ref) => ref.vmid) };
      if (clusterRequest.action === 'backup') {
        const nodes = [...new Set(clusterRequest.vmids.map((vmid) => value.guests.get(vmid)!.node))];
        await checkBackupStorage(cluster.client, clock, io.signal, nodes, clusterRequest.storage, warn);
      }
      const verdicts = await checkBeforeLaunch(cluster.client, clock, io.signal, clusterRequest, value.guests, {
        noSkip: flags['no-skip'] === true,
      });
      plans.push({ cluster, request: clusterRequest, guests: value.guests, verdicts });
    }
    // Every session is open before any cluster launches: one that cannot be opened stops them all.
    const sessions: Array<ReturnType<typeof openSession>> = [];
    const sessionNames: string[] = [];
    try {
      for (const plan of plans) {
        const cluster = await sessionClusterName(plan.cluster, clock, io.signal);
        sessionNames.push(cluster);
        sessions.push(
          openSession({ stateDir: plan.cluster.config.stateDir, cluster, user: plan.cluster.client.userid, clock, onWarning: warn }),
        );
      }
    } catch (error) {
      await Promise.all(sessions.map((session) => session.close()));
      throw error;
    }
    const reporter = new TaskReporter(io, { json: flags.json === true, noColor: flags['no-color'] === true });
    const settled = await Promise.allSettled(
      plans.map((plan, index) =>
        launchAndWatch({
          client: plan.cluster.client,
          clock,
          io,
          request: plan.request,
          verdicts: plan.verdicts,
          guests: plan.guests,
          session: sessions[index]!,
          parallel,
          perNode,
          timeoutMs,
          intervalMs: plan.cluster.config.intervalMs,
          reporter,
          ...(named ? { cluster: plan.cluster.name } : {}),
        }),
      ),
    );
    // Only once every cluster is done: a failure of one must not close the clients the others use.
    const ends = settled.map((result) => {
      if (result.status === 'rejected') throw result.reason;
      return result.value;
    });
    // `--report`: every cluster's rows in one file, written last (also when interrupted).
    const withReport = (code: number) =>
      finishWithReport(
        report,
        () => {
          const clusterOf = new Map(ends.flatMap((end, index) => end.rows.map((row) => [row, sessionNames[index]!] as const)));
          return {
            command: action,
            cluster: sessionNames.join(', '),
            user: [...new Set(plans.map((plan) => plan.cluster.client.userid))].join(', '),
            rows: ends.flatMap((end) => end.rows),
            ...(plans.length > 1 ? { clusterOf: (row: TaskRow) => clusterOf.get(row) ?? '' } : {}),
            guestNames: Object.fromEntries(plans.flatMap((plan) => [...plan.guests].map(([vmid, guest]) => [vmid, guest.name]))),
            writtenAt: clock.now(),
          };
        },
        io.stderr,
        code,
      );
    const running = ends.reduce((sum, end) => sum + (end.interrupted ? end.running : 0), 0);
    if (ends.some((end) => end.interrupted)) {
      io.stderr.write(
        `pvetasks: interrupted; stopped waiting${running ? `, ${running} task(s) keep running on the server` : ''}; queued launches were not sent\n`,
      );
      return withReport(ExitCode.interrupted);
    }
    const code = plans.length > 0 ? reporter.summary() : ExitCode.ok;
    return withReport(worstExitCode([code, ...notReachedCodes]));
  } finally {
    await closeClients(up.map(({ cluster }) => cluster.client));
  }
}

interface ClusterPlan {
  cluster: ConnectedCluster;
  request: LaunchRequest;
  guests: Map<number, Guest>;
  verdicts: Verdict[];
}

/**
 * The clusters a launch talks to: those its guests name (`east:101`), and for guests without one the
 * run's clusters (--cluster, PVETASKS_CLUSTER, the environment's, the file's only one). A guest may not
 * name a cluster that --cluster leaves out.
 */
function clustersFor(refs: readonly GuestRef[], clusters: Clusters): { targets: ClusterTarget[]; bare: ClusterTarget[] } {
  for (const ref of refs) {
    if (ref.cluster && clusters.flagged && !clusters.flagged.includes(ref.cluster)) {
      throw new CliError(`${ref.text} names cluster ${ref.cluster}, which --cluster ${clusters.flagged.join(',')} leaves out`);
    }
  }
  const bare = refs.some((ref) => !ref.cluster) ? clusters.chosen('error') : [];
  const targets = [...bare];
  for (const ref of refs) {
    if (ref.cluster && !targets.some((target) => target.configured && target.name === ref.cluster))
      targets.push(clusters.target(ref.cluster));
  }
  return { targets, bare };
}

/** One line per cluster that could not be asked, naming the guests left alone there; their exit codes. */
function reportNotReached(
  io: CliIo,
  down: ReadonlyArray<{ target: ClusterTarget; error: CliError }>,
  notReached: ReadonlyMap<string, GuestRef[]>,
): number[] {
  const codes: number[] = [];
  for (const failure of down) {
    const guests = notReached.get(failure.target.name) ?? [];
    const left = guests.length > 0 ? ` (nothing was started there: ${guests.map((ref) => ref.text).join(' ')})` : '';
    reportClusterFailure(io, failure, left);
    codes.push(failure.error.exitCode);
  }
  const unplaced = notReached.get('') ?? [];
  if (unplaced.length > 0) {
    const silent = down.map((failure) => failure.target.name).join(', ');
    io.stderr.write(
      `pvetasks: not started: ${unplaced.map((ref) => ref.text).join(' ')}: ${silent} could not be asked, so each may be there too; ` +
        'write CLUSTER:VMID to start it where it is\n',
    );
  }
  return codes;
}

function requestFor(
  action: Action,
  refs: readonly { vmid: number }[],
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
