/**
 * `pvetasks drain [CLUSTER:]NODE [--to NODE,...]`: every guest off a node before its upgrade or reboot. It plans
 * first (tasks/drain.ts: each guest's target by free memory, and every guest that stays, with why),
 * prints the plan on stderr, asks on a terminal (`--yes` for scripts: without a terminal and without
 * it, nothing starts and it exits 2), then runs the migrations like `migrate`: the launch queue's
 * limits, crash-safe intents, one finished event per guest of the node.
 */
import { createInterface } from 'node:readline';
import type { PveClient, PveClientOptions } from '../../api/index.js';
import { malformedMessage } from '../../tasks/answers.js';
import { describeDrainPlan, DrainError, planDrain, type DrainPlan } from '../../tasks/drain.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { echo } from '../../util/echo.js';
import { sanitizeText } from '../../util/sanitize.js';
import { lastValue, parseCommandArgs, parseNodeArg } from '../args.js';
import { COMMANDS } from '../command-table.js';
import { clusterFlagsOf, closeClients, loadClusters, namesClusters, type ClusterTarget, type Clusters } from '../clusters.js';
import { asCliError, connect, fetchGuests, reportingCliErrors } from '../connect.js';
import { commandHelp } from '../help.js';
import { CliError, ExitCode, type CliIo, type Command } from '../io.js';
import { runPlans } from './launch.js';
import { readCheckView } from './launch-checks.js';
import { reportTarget } from '../report-file.js';
import { launchOptions, shutdownTimeoutArg } from './launch-options.js';

export interface DrainCommandDeps {
  clock?: Clock;
  /** Tests wrap the client (e.g. to count or cut requests). */
  createClient?: (options: PveClientOptions) => PveClient;
}

export function createDrainCommand(deps: DrainCommandDeps = {}): Command {
  return (args, io) => {
    const secrets: string[] = [];
    return reportingCliErrors(io, secrets, () => runDrain(args, io, deps, secrets));
  };
}

export const drainCommand = createDrainCommand();

/** `--to pve2,pve3 --to pve4`: every node named, in order, each checked. */
function targetsOf(values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const names = values.flatMap((value) => value.split(',')).map((name) => name.trim());
  if (names.some((name) => name === '')) throw new CliError('--to: an empty node name (use --to NODE,NODE)');
  return names.map((name) => parseNodeArg('--to', name));
}

async function runDrain(args: string[], io: CliIo, deps: DrainCommandDeps, secrets: string[]): Promise<number> {
  const clock = deps.clock ?? systemClock;
  const { values, positionals } = parseCommandArgs('drain', args, COMMANDS.drain.options, { positionals: true });
  const flags = values as Record<string, string | boolean | string[] | undefined>;
  const text = (name: string) => lastValue(flags[name] as string | string[] | undefined);
  if (flags.help) {
    io.stdout.write(commandHelp('drain'));
    return ExitCode.ok;
  }
  if (positionals.length !== 1) throw new CliError(`'pvetasks drain' takes one node, got ${positionals.length}`);
  // `east:pve1` names the cluster too (a node name has no colon).
  const typed = positionals[0]!;
  const colon = typed.indexOf(':');
  const named = colon > 0 ? typed.slice(0, colon) : undefined;
  const node = parseNodeArg('NODE', colon > 0 ? typed.slice(colon + 1) : typed);
  const to = targetsOf(flags.to as string[] | undefined);
  const options = launchOptions(text, flags);
  const shutdownTimeout = shutdownTimeoutArg(text('shutdown-timeout'));
  const report = reportTarget(text('report'), io.cwd);
  const clusters = await loadClusters(io, secrets, clusterFlagsOf(flags));
  // A node belongs to one cluster: a drain over several would guess which.
  const chosen = named === undefined ? clusters.chosen('error') : [namedCluster(clusters, named, typed)];
  if (chosen.length !== 1)
    throw new CliError(`'pvetasks drain' works on one cluster; name it with --cluster (chosen: ${chosen.map((c) => c.name).join(', ')})`);
  const client = await connect(chosen[0]!.config, clock, deps.createClient, io.signal);
  const cluster = { ...chosen[0]!, client };
  try {
    let plan: DrainPlan;
    let guests: Awaited<ReturnType<typeof fetchGuests>>['guests'];
    try {
      const fetched = await fetchGuests(client, clock, io.signal);
      guests = fetched.guests;
      if (fetched.malformed > 0) io.stderr.write(`pvetasks: warning: ${malformedMessage(fetched.malformed, '/cluster/resources')}\n`);
      const view = await readCheckView(client, clock, io.signal, guests, [node]);
      plan = await planDrain(
        client,
        view,
        {
          node,
          ...(to ? { to } : {}),
          ...(flags['with-local-disks'] ? { withLocalDisks: true } : {}),
          ...(shutdownTimeout !== undefined ? { shutdownTimeout } : {}),
          noSkip: options.noSkip,
        },
        { signal: io.signal },
      );
    } catch (error) {
      if (io.signal.aborted) throw io.signal.reason;
      if (error instanceof DrainError) throw new CliError(`${error.message} (nothing was started)`);
      throw asCliError(error, `cannot plan the drain of ${node}`);
    }
    if (plan.verdicts.length === 0) {
      io.stderr.write(`pvetasks: ${node} has no guests: nothing to drain\n`);
      return ExitCode.ok;
    }
    for (const line of describeDrainPlan(plan, guests)) io.stderr.write(`${sanitizeText(line, { maxLength: 400 })}\n`);
    if (!flags.yes) {
      if (!io.stdin.isTTY) {
        io.stderr.write('pvetasks: not started: add --yes to drain without a terminal (the plan is above)\n');
        return ExitCode.usage;
      }
      if (!(await confirm(io, `Drain ${node} as planned? [y/N] `))) {
        io.stderr.write('pvetasks: not started\n');
        return ExitCode.ok;
      }
    }
    const plans = [{ cluster, request: plan.request, verdicts: plan.verdicts, guests }];
    return await runPlans({ plans, clock, io, options, report, command: 'drain', named: namesClusters(chosen) });
  } finally {
    await closeClients([client]);
  }
}

/** The cluster `CLUSTER:NODE` names: a configured one, and one --cluster (when given) includes. */
function namedCluster(clusters: Clusters, name: string, typed: string): ClusterTarget {
  if (!clusters.names.includes(name)) {
    const known = clusters.names.length > 0 ? `configured: ${clusters.names.join(', ')}` : 'no cluster is configured';
    throw new CliError(
      `${echo(typed, { maxLength: 80 })} names cluster ${echo(name, { maxLength: 40 })}, which is not configured (${known})`,
    );
  }
  if (clusters.flagged && !clusters.flagged.includes(name)) {
    throw new CliError(`${typed} names cluster ${name}, which --cluster ${clusters.flagged.join(',')} leaves out`);
  }
  return clusters.target(name);
}

/** One line from the terminal: yes only for `y` or `yes`; Enter alone, or the end of input, is no. */
async function confirm(io: CliIo, question: string): Promise<boolean> {
  io.stderr.write(question);
  const lines = createInterface({ input: io.stdin, terminal: false });
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      lines.once('close', () => resolve(''));
      io.signal.addEventListener('abort', () => reject(io.signal.reason), { once: true });
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    lines.close();
  }
}
