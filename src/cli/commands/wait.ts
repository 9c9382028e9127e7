/**
 * `pvetasks wait <UPID>... [--timeout DURATION] [--interval 2s] [--json] [--token-file PATH]`: follows
 * tasks to their end on the task tracker (a few requests per cycle however many UPIDs), one `finished`
 * event per UPID, and the exit code of the worst outcome.
 */
import { createRuntime } from '../../tasks/runtime.js';
import type { TaskRow } from '../../tasks/store.js';
import type { TaskOutcome } from '../../tasks/exit-status.js';
import { InvalidUpidError, parseUpid } from '../../tasks/upid.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { lastValue, parseCommandArgs, parseDurationArg } from '../args.js';
import { clusterName, connect, loadCommandConfig, reportingCliErrors } from '../connect.js';
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
  // Every UPID is checked before anything is asked of the cluster.
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
  const config = loadCommandConfig(io, secrets, { tokenFile: lastValue(values['token-file']), interval: lastValue(values.interval) });

  const client = await connect(config, clock, undefined, io.signal);
  // The report names the cluster (one more request, only when it is asked for).
  const cluster = report ? await clusterName(client, config.endpoints[0]!, clock, io.signal) : '';
  const runtime = createRuntime({ client, clock, intervalMs: config.intervalMs, resourcesEveryMs: 0 });
  const { tracker } = runtime;
  const stopMessages = printMessages(runtime, io);
  const reporter = new TaskReporter(io, { json: values.json === true, noColor: values['no-color'] === true });
  const targets = new Map<string, Target>(); // by UPID
  tracker.subscribe((event) => {
    const target = event.row.upid ? targets.get(event.row.upid) : undefined;
    if (!target) return;
    if (event.type === 'started') reporter.started(target, event.row.startedAt ?? event.row.firstSeenAt);
    else reporter.finished(target, resultOf(event.row, clock.now()));
  });
  try {
    for (const upid of upids) {
      const parsed = parseUpid(upid);
      targets.set(upid, {
        upid,
        node: parsed.node,
        vmid: /^\d+$/.test(parsed.id) ? Number(parsed.id) : null,
        type: parsed.type,
      });
      tracker.track(upid, timeoutMs === undefined ? {} : { timeoutMs });
    }
    const withReport = (code: number): number =>
      finishWithReport(
        report,
        () => {
          const state = runtime.store.getState();
          const rows = upids.map((upid) => state.row(state.keyOf(upid) ?? '')).filter((row): row is TaskRow => row !== undefined);
          return { command: 'wait', cluster, user: client.userid, rows, writtenAt: clock.now() };
        },
        io.stderr,
        code,
      );
    try {
      await tracker.waitForAll({ signal: io.signal });
    } catch (error) {
      if (!io.signal.aborted) throw error;
      const running = tracker.summary().running;
      io.stderr.write(
        `pvetasks: interrupted; stopped waiting${running ? `, ${running} task${running === 1 ? '' : 's'} keep running on the server` : ''}\n`,
      );
      return withReport(ExitCode.interrupted);
    }
    return withReport(reporter.summary());
  } finally {
    stopMessages();
    await runtime.close();
    await client.close();
  }
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
