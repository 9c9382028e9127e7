/**
 * `pvetasks wait <UPID>... [--timeout DURATION] [--interval 2s] [--json] [--cluster NAME]...`: follows
 * tasks to their end on the task tracker (a few requests per cycle however many UPIDs), one `finished`
 * event per UPID, and the exit code of the worst outcome. With several clusters, each UPID is followed
 * on the cluster that has its node, one runtime per cluster.
 */
import { readNodes, readTaskStatus } from '../../tasks/answers.js';
import { createRuntime, type Runtime } from '../../tasks/runtime.js';
import type { TaskRow } from '../../tasks/store.js';
import type { TaskOutcome } from '../../tasks/exit-status.js';
import { InvalidUpidError, parseUpid } from '../../tasks/upid.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { lastValue, parseCommandArgs, parseDurationArg } from '../args.js';
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
  type ConnectedCluster,
} from '../clusters.js';
import { asCliError, reportingCliErrors, retryingPassingFailures } from '../connect.js';
import { CliError, ExitCode, type CliIo, type Command } from '../io.js';
import { TaskReporter, type Target } from '../output.js';
import { printMessages } from '../runtime-io.js';
import { COMMANDS } from '../command-table.js';
import { commandHelp } from '../help.js';
import { finishWithReport, reportTarget } from '../report-file.js';

export const WAIT_HELP = commandHelp('wait');
const OPTIONS = COMMANDS.wait.options;

export interface WaitCommandDeps {
  clock?: Clock;
}

export function createWaitCommand(deps: WaitCommandDeps = {}): Command {
  return (args, io) => {
    const secrets: string[] = [];
    return reportingCliErrors(io, secrets, () => runWait(args, io, deps.clock ?? systemClock, secrets));
  };
}

export const waitCommand: Command = createWaitCommand();

async function runWait(args: string[], io: CliIo, clock: Clock, secrets: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('wait', args, OPTIONS, { positionals: true });
  if (values.help) {
    io.stdout.write(WAIT_HELP);
    return ExitCode.ok;
  }
  if (positionals.length === 0) throw new CliError("'pvetasks wait' needs at least one UPID; see 'pvetasks wait --help'");
  // Every UPID is checked before anything is asked of a cluster.
  const upids = [...new Set(positionals)];
  for (const upid of upids) {
    try {
      parseUpid(upid);
    } catch (error) {
      if (error instanceof InvalidUpidError) throw new CliError(error.message);
      throw error;
    }
  }
  const timeoutText = lastValue(values.timeout);
  const timeoutMs = timeoutText === undefined ? undefined : parseDurationArg('--timeout', timeoutText);
  const report = reportTarget(lastValue(values.report), io.cwd);
  const clusters = await loadClusters(io, secrets, clusterFlagsOf(values));
  const targets = clusters.chosen('all');
  const named = namesClusters(targets);

  // With several clusters, each one's nodes say where a UPID belongs (a task runs on the node it names).
  const results = await connectEach(targets, clock, io.signal, (cluster, signal) =>
    targets.length === 1 ? Promise.resolve(undefined) : nodesOf(cluster, clock, signal),
  );
  const up = reached(results).map((result) => result.value);
  const down = failed(results);
  const runtimes: Array<{ cluster: ConnectedCluster; runtime: Runtime; stop: () => void }> = [];
  try {
    const owners = await ownersOf(upids, up, down, clock, io.signal);
    const lost = upids.filter((upid) => !owners.has(upid));
    for (const failure of down) reportClusterFailure(io, failure, lost.length > 0 ? `; not watched: ${lost.join(' ')}` : '');
    const reporter = new TaskReporter(io, { json: values.json === true, noColor: values['no-color'] === true });
    for (const { cluster } of up) {
      const mine = upids.filter((upid) => owners.get(upid) === cluster);
      if (mine.length === 0) continue;
      const runtime = createRuntime({ client: cluster.client, clock, intervalMs: cluster.config.intervalMs, resourcesEveryMs: 0 });
      runtimes.push({ cluster, runtime, stop: printMessages(runtime, io, named ? `cluster ${cluster.name}: ` : '') });
      const targetsByUpid = new Map<string, Target>();
      runtime.tracker.subscribe((event) => {
        const target = event.row.upid ? targetsByUpid.get(event.row.upid) : undefined;
        if (!target) return;
        if (event.type === 'started') reporter.started(target, event.row.startedAt ?? event.row.firstSeenAt);
        else reporter.finished(target, resultOf(event.row, clock.now()));
      });
      for (const upid of mine) {
        const parsed = parseUpid(upid);
        targetsByUpid.set(upid, {
          upid,
          node: parsed.node,
          vmid: /^\d+$/.test(parsed.id) ? Number(parsed.id) : null,
          type: parsed.type,
          ...(named ? { cluster: cluster.name } : {}),
        });
        runtime.tracker.track(upid, timeoutMs === undefined ? {} : { timeoutMs });
      }
    }
    // `--report` names each cluster as its session would (one more request each, only when asked for).
    const reportNames = report
      ? await Promise.all(runtimes.map(({ cluster }) => sessionClusterName(cluster, clock, io.signal)))
      : runtimes.map(({ cluster }) => cluster.name);
    const withReport = (code: number): number =>
      finishWithReport(
        report,
        () => {
          const clusterOf = new Map<TaskRow, string>();
          for (const [index, { runtime }] of runtimes.entries()) {
            const state = runtime.store.getState();
            for (const upid of upids) {
              const row = state.row(state.keyOf(upid) ?? '');
              if (row) clusterOf.set(row, reportNames[index]!);
            }
          }
          return {
            command: 'wait',
            cluster: reportNames.join(', '),
            user: [...new Set(runtimes.map(({ cluster }) => cluster.client.userid))].join(', '),
            rows: [...clusterOf.keys()],
            ...(runtimes.length > 1 ? { clusterOf: (row: TaskRow) => clusterOf.get(row) ?? '' } : {}),
            writtenAt: clock.now(),
          };
        },
        io.stderr,
        code,
      );
    try {
      await Promise.all(runtimes.map(({ runtime }) => runtime.tracker.waitForAll({ signal: io.signal })));
    } catch (error) {
      if (!io.signal.aborted) throw error;
      const running = runtimes.reduce((sum, { runtime }) => sum + runtime.tracker.summary().running, 0);
      io.stderr.write(
        `pvetasks: interrupted; stopped waiting${running ? `, ${running} task${running === 1 ? '' : 's'} keep running on the server` : ''}\n`,
      );
      return withReport(ExitCode.interrupted);
    }
    const code = runtimes.length > 0 ? reporter.summary() : ExitCode.ok;
    return withReport(worstExitCode([code, ...down.map((failure) => (lost.length > 0 ? failure.error.exitCode : ExitCode.ok))]));
  } finally {
    for (const { runtime, stop } of runtimes) {
      stop();
      await runtime.close();
    }
    await closeClients(up.map(({ cluster }) => cluster.client));
  }
}

/** A cluster's node names (GET /nodes, which any user may read). */
async function nodesOf(cluster: ConnectedCluster, clock: Clock, signal: AbortSignal): Promise<Set<string>> {
  try {
    const { items } = await retryingPassingFailures(clock, signal, () => readNodes(cluster.client, { signal }));
    return new Set(items.map((item) => item.node));
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw asCliError(error, 'cannot read its nodes');
  }
}

/**
 * Which cluster each UPID belongs to: the only cluster, or the one whose nodes include the UPID's node.
 * Two clusters with a node of that name (every standalone node is called pve at first) are asked for
 * the task itself; the one that knows it owns it. A UPID whose node no cluster that answered has is
 * left without an owner when some cluster did not answer (it may be that one's), and is an error
 * otherwise (nothing is watched).
 */
async function ownersOf(
  upids: readonly string[],
  up: ReadonlyArray<{ cluster: ConnectedCluster; value: Set<string> | undefined }>,
  down: readonly unknown[],
  clock: Clock,
  signal: AbortSignal,
): Promise<Map<string, ConnectedCluster>> {
  const owners = new Map<string, ConnectedCluster>();
  for (const upid of upids) {
    const { node } = parseUpid(upid);
    const holders = up.filter(({ value }) => value === undefined || value.has(node)).map(({ cluster }) => cluster);
    if (holders.length === 1) owners.set(upid, holders[0]!);
    else if (holders.length > 1) {
      const knowing = await knowingClusters(upid, holders, clock, signal);
      if (knowing.length !== 1) {
        throw new CliError(
          `${upid}: its node ${node} is in the clusters ${holders.map((cluster) => cluster.name).join(', ')}` +
            `${knowing.length === 0 ? ', and none of them knows the task' : ''}: choose with --cluster NAME (nothing was watched)`,
        );
      }
      owners.set(upid, knowing[0]!);
    } else if (down.length === 0) {
      throw new CliError(
        `${upid}: its node ${node} is in none of the clusters ${up.map(({ cluster }) => cluster.name).join(', ')} (nothing was watched)`,
      );
    }
  }
  return owners;
}

/** The clusters whose node answers with this task's status (a node that does not know it answers 400). */
async function knowingClusters(
  upid: string,
  candidates: readonly ConnectedCluster[],
  clock: Clock,
  signal: AbortSignal,
): Promise<ConnectedCluster[]> {
  const answers = await Promise.all(
    candidates.map((cluster) =>
      retryingPassingFailures(clock, signal, () => readTaskStatus(cluster.client, upid, { signal })).then(
        () => true,
        () => false,
      ),
    ),
  );
  return candidates.filter((_, index) => answers[index]);
}

function resultOf(row: TaskRow, now: number) {
  const started = row.startedAt ?? row.firstSeenAt;
  const result: { outcome: TaskOutcome; exitStatus: string | null; durationMs: number; message?: string } = {
    outcome: row.state as TaskOutcome,
    exitStatus: row.exitStatus ?? null,
    durationMs: Math.max(0, (row.state === 'timeout' ? now : (row.endedAt ?? now)) - started),
  };
  if (row.message) result.message = row.message;
  return result;
}
