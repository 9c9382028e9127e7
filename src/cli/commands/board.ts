/**
 * `pvetasks [--demo] ...`: the live board. Connects (or starts the embedded demo cluster when asked, or
 * when no endpoint is configured), restores this cluster's session, runs the poller and the launch
 * queue, hands the terminal to the board, and prints the session's summary on the normal screen.
 */
import { createPveClient, type PveClient } from '../../api/index.js';
import { startSimulator } from '../../sim/index.js';
import { createRuntime } from '../../tasks/runtime.js';
import { openSession, type Session } from '../../tasks/session.js';
import { rowsOf, type TaskStore } from '../../tasks/store.js';
import { colorEnabled, renderSummary, runBoard, shouldUseAscii } from '../../ui/index.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { lastValue, parseCommandArgs, parseCountArg } from '../args.js';
import type { ResolvedConfig } from '../config.js';
import { clusterName, connect, loadCommandConfig, reportingCliErrors } from '../connect.js';
import { CliError, ExitCode, type CliIo, type Command } from '../io.js';
import { COMMANDS } from '../command-table.js';
import { commandHelp } from '../help.js';
import { finishWithReport, reportTarget } from '../report-file.js';

export const BOARD_HELP = commandHelp('board');
const OPTIONS = COMMANDS.board.options;

export interface BoardCommandDeps {
  clock?: Clock;
}

export function createBoardCommand(deps: BoardCommandDeps = {}): Command {
  return (args, io) => {
    const secrets: string[] = [];
    return reportingCliErrors(io, secrets, () => runBoardCommand(args, io, deps.clock ?? systemClock, secrets));
  };
}

export const boardCommand: Command = createBoardCommand();

interface Connection {
  client: PveClient;
  endpoint: string;
  cluster: string;
  demo: boolean;
  close(): Promise<void>;
}

async function runBoardCommand(args: string[], io: CliIo, clock: Clock, secrets: string[]): Promise<number> {
  const { values } = parseCommandArgs('board', args, OPTIONS);
  if (values.help) {
    io.stdout.write(BOARD_HELP);
    return ExitCode.ok;
  }
  const reportTo = reportTarget(lastValue(values.report), io.cwd);
  if (!io.stdin.isTTY || !io.stdout.isTTY) {
    throw new CliError("the board needs a terminal; from scripts use 'pvetasks tasks' or 'pvetasks wait' (see --help)");
  }
  const parallelText = lastValue(values.parallel);
  const parallel = parallelText === undefined ? 4 : parseCountArg('--parallel', parallelText, { min: 1, max: 64 });
  const config = loadCommandConfig(
    io,
    secrets,
    { tokenFile: lastValue(values['token-file']), interval: lastValue(values.interval) },
    false,
  );
  const demo = values.demo === true || config.endpoints.length === 0;
  const readOnly = values['read-only'] === true;

  const connection = demo ? await startDemo(clock) : await connectCluster(config, clock, io.signal);
  const { client } = connection;
  // The demo cluster saves nothing; --fresh leaves the old session's tasks out.
  let session: Session | undefined;
  if (!demo) {
    session = openSession({
      stateDir: config.stateDir,
      cluster: connection.cluster,
      user: client.userid,
      clock,
      onWarning: (message) => io.stderr.write(`pvetasks: warning: ${message}\n`),
      fresh: values.fresh === true,
    });
  }
  const runtime = createRuntime({
    client,
    clock,
    intervalMs: config.intervalMs,
    scope: 'cluster',
    watchAfterTimeout: true,
    parallel,
    // Another window's (or launch command's) tasks of this cluster and user show read-only.
    ...(session ? { session, otherWindows: true } : {}),
    info: {
      endpoint: connection.endpoint,
      user: client.userid,
      cluster: connection.cluster,
      demo,
      intervalMs: config.intervalMs,
      readOnly,
      insecure: !demo && config.insecure,
    },
  });
  const flushOnHangup = () => session?.flush();
  process.on('SIGHUP', flushOnHangup);
  const ascii = values.ascii === true || shouldUseAscii(io.env);
  const color = colorEnabled({ env: io.env, flag: values['no-color'] === true ? false : undefined, isTTY: true });
  try {
    await runtime.queue.recover().catch(() => undefined);
    runtime.poller.start();
    // The first frame shows the cluster when it answers quickly (the demo always does).
    await firstCycle(runtime.store, clock, FIRST_CYCLE_WAIT_MS);
    const exit = await runBoard({
      store: runtime.store,
      actions: runtime.actions,
      clock,
      stdin: io.stdin as NodeJS.ReadStream,
      stdout: io.stdout as NodeJS.WriteStream,
      ascii,
      color,
      readOnly,
      heldLaunches: runtime.queue.heldKeys().length,
      signal: io.signal,
    });
    const state = runtime.store.getState();
    const mine = rowsOf(state, 'mine');
    const summary = { ascii, color, columns: io.stdout.columns ?? 80, rows: io.stdout.rows ?? 24, now: clock.now() };
    io.stdout.write(renderSummary(mine, reportTo ? { ...summary, reportPath: reportTo.typed } : summary));
    const running = mine.filter((row) => row.state === 'running').length;
    if (running > 0) io.stdout.write(`${running} task(s) keep running on the server.\n`);
    const report = () => ({
      command: 'board',
      cluster: connection.cluster,
      user: client.userid,
      rows: mine,
      guestNames: Object.fromEntries(Object.values(state.guests).map((guest) => [guest.vmid, guest.name])),
      writtenAt: clock.now(),
    });
    return finishWithReport(reportTo, report, io.stderr, exit.reason === 'interrupt' ? ExitCode.interrupted : ExitCode.ok);
  } finally {
    process.off('SIGHUP', flushOnHangup);
    await runtime.close();
    await connection.close();
  }
}

/** How long the board waits for the first poll before it shows "waiting for data" instead. */
const FIRST_CYCLE_WAIT_MS = 1500;

/** Resolves when the poller has finished its first cycle, or after `limitMs`. */
async function firstCycle(store: TaskStore, clock: Clock, limitMs: number): Promise<void> {
  if (store.getState().poll.cycles > 0) return;
  const stop = new AbortController();
  let unsubscribe = () => {};
  const polled = new Promise<void>((resolve) => {
    unsubscribe = store.subscribe((state) => {
      if (state.poll.cycles > 0) resolve();
    });
  });
  try {
    await Promise.race([polled, clock.sleep(limitMs, stop.signal).catch(() => undefined)]);
  } finally {
    unsubscribe();
    stop.abort();
  }
}

async function connectCluster(config: ResolvedConfig, clock: Clock, signal: AbortSignal): Promise<Connection> {
  const client = await connect(config, clock, undefined, signal);
  return {
    client,
    endpoint: config.endpoints[0]!,
    cluster: await clusterName(client, config.endpoints[0]!, clock, signal),
    demo: false,
    close: () => client.close(),
  };
}

/** The embedded simulator on a free loopback port, busy with other users' tasks. */
async function startDemo(clock: Clock): Promise<Connection> {
  const sim = await startSimulator({ background: true, clock, seed: 1 });
  const client = createPveClient({ endpoint: sim.url, token: sim.token, clock });
  return {
    client,
    endpoint: sim.url,
    cluster: 'demo',
    demo: true,
    async close() {
      await client.close();
      await sim.close();
    },
  };
}
