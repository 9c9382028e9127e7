/**
 * `pvetasks start|backup|snapshot|shutdown|stop|reboot|migrate <guests>...`: checks what the operator
 * typed, connects to each cluster the guests are in, resolves the guests (and the storage, or the
 * migration target), opens the sessions, then runs the launch on one runtime per cluster
 * (launch-run.ts). `drain` (drain.ts) plans its migration, then runs it the same way (runPlans).
 */
import type { PveClient, PveClientOptions } from '../../api/index.js';
import { malformedMessage } from '../../tasks/answers.js';
import { restartNote } from '../../tasks/drain.js';
import type { Verdict } from '../../tasks/launch-check.js';
import type { LaunchRequest } from '../../tasks/launch-plan.js';
import { openSession } from '../../tasks/session.js';
import type { Guest, TaskRow } from '../../tasks/store.js';
import { snapshotNameError } from '../../tasks/snapshot-name.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { echo } from '../../util/echo.js';
import { lastValue, parseCommandArgs, parseNodeArg } from '../args.js';
import {
  clusterFlagsOf,
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
import { asCliError, fetchGuests, reportingCliErrors } from '../connect.js';
import { parseGuestRef, placeGuests, type GuestRef } from '../guest-refs.js';
import { CliError, ExitCode, type CliIo, type Command } from '../io.js';
import { TaskReporter } from '../output.js';
import { launchOptions, shutdownTimeoutArg, type LaunchOptions } from './launch-options.js';
import { checkBackupStorage, checkBeforeLaunch, checkTargetNode } from './launch-checks.js';
import { launchAndWatch } from './launch-run.js';
import { COMMANDS, type OptionTable } from '../command-table.js';
import { commandHelp } from '../help.js';
import { finishWithReport, reportTarget, type ReportTarget } from '../report-file.js';

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
  // Everything the operator typed is checked before anything is asked of a cluster.
  if (positionals.length === 0) throw new CliError(`'pvetasks ${action}' needs at least one guest (VMID or NODE:VMID)`);
  const typed = positionals.map((operand) => parseGuestRef(operand, 'unknown'));
  const options = launchOptions(text, flags);
  const request = requestFor(action, typed, text, flags);
  const report = reportTarget(text('report'), io.cwd);

  const clusters = await loadClusters(io, secrets, clusterFlagsOf(flags));
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
      if (clusterRequest.action === 'migrate')
        await checkTargetNode(cluster.client, clock, io.signal, clusterRequest.targets[clusterRequest.vmids[0]!]!);
      const verdicts = await checkBeforeLaunch(cluster.client, clock, io.signal, clusterRequest, value.guests, { noSkip: options.noSkip });
      const restarting = clusterRequest.action === 'migrate' ? restartNote(verdicts, value.guests) : undefined;
      if (restarting) io.stderr.write(`pvetasks: note: ${named ? `cluster ${cluster.name}: ` : ''}${restarting}\n`);
      plans.push({ cluster, request: clusterRequest, guests: value.guests, verdicts });
    }
    const code = await runPlans({ plans, clock, io, options, report, command: action, named });
    return worstExitCode([code, ...notReachedCodes]);
  } finally {
    await closeClients(up.map(({ cluster }) => cluster.client));
  }
}

export interface ClusterPlan {
  cluster: ConnectedCluster;
  request: LaunchRequest;
  guests: Map<number, Guest>;
  verdicts: readonly Verdict[];
}

/**
 * Opens every plan's session (one that cannot be opened stops them all, before anything is sent),
 * launches and follows each cluster's plan on its own runtime, then writes the summary and `--report`
 * over every cluster. Returns the exit code.
 */
export async function runPlans(run: {
  plans: readonly ClusterPlan[];
  clock: Clock;
  io: CliIo;
  options: LaunchOptions;
  report: ReportTarget | undefined;
  /** The command's name, for the report. */
  command: string;
  /** Several clusters, or a configured one: events and lines name the cluster. */
  named: boolean;
}): Promise<number> {
  const { plans, clock, io, options, report, named } = run;
  const warn = (line: string) => io.stderr.write(`pvetasks: warning: ${line}\n`);
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
  const reporter = new TaskReporter(io, { json: options.json, noColor: options.noColor });
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
        parallel: options.parallel,
        perNode: options.perNode,
        timeoutMs: options.timeoutMs,
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
          command: run.command,
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
  return withReport(plans.length > 0 ? reporter.summary() : ExitCode.ok);
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
