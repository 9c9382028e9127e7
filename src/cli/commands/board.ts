/**
 * `pvetasks [--demo] ...`: the live board. Reads the configuration, hands the terminal to the board
 * (drawn at once, connecting), then connects (or starts the embedded demo cluster when asked, or when
 * no endpoint is configured), restores each cluster's session, runs the pollers and the launch queues
 * behind the board, and prints the session's summary on the normal screen.
 */
import { setFlagsFromString } from 'node:v8';
import { validateToken } from '../../api/credentials.js';
import type { RuntimeActions } from '../../tasks/actions.js';
import { routeActions, watchWhenKnown } from '../../tasks/cluster-actions.js';
import { clusterOfKey, combineStores } from '../../tasks/cluster-view.js';
import { connectingBoard } from '../../tasks/connecting.js';
import { createRuntime, type Runtime } from '../../tasks/runtime.js';
import { InvalidUpidError, parseUpid } from '../../tasks/upid.js';
import { openSession, type Session } from '../../tasks/session.js';
import { rowsOf, type SessionInfo, type TaskRow } from '../../tasks/store.js';
import { colorEnabled, renderSummary, runBoard, shouldUseAscii } from '../../ui/index.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { echo } from '../../util/echo.js';
import { lastValue, parseCommandArgs, parseCountArg, parseDurationArg } from '../args.js';
import { openBoardClusters, planBoardClusters, type BoardCluster, type BoardPlan } from '../board-clusters.js';
import { clusterFlagsOf } from '../clusters.js';
import { reportingCliErrors } from '../connect.js';
import { osc52 } from '../../ui/clipboard.js';
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

/** What the board's flags ask for, checked before anything is asked of the cluster. */
export interface BoardFlags {
  parallel: number;
  perNode: number;
  timeoutMs?: number;
  noSkip: boolean;
  /** UPIDs to watch from the start (`--watch`, and the UPIDs after it). */
  watch: string[];
  /** `y` copies a UPID with OSC 52: only when asked (`--osc52` or PVETASKS_OSC52=1). */
  osc52: boolean;
}

export function boardFlags(
  values: ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'],
  positionals: readonly string[],
  env: NodeJS.ProcessEnv,
): BoardFlags {
  const count = (flag: 'parallel' | 'per-node') => {
    const text = lastValue(values[flag]);
    return text === undefined ? 4 : parseCountArg(`--${flag}`, text, { min: 1, max: 64 });
  };
  const timeoutText = lastValue(values.timeout);
  // `--watch A B C`: the board has no operands of its own, so the words after --watch are UPIDs too.
  if (positionals.length > 0 && !values.watch) {
    throw new CliError(
      `'pvetasks board' takes no arguments, got ${echo(positionals[0]!, { maxLength: 40 })} (UPIDs to watch go after --watch); see 'pvetasks board --help'`,
      ExitCode.usage,
    );
  }
  const watch = [...(values.watch ?? []), ...positionals].map((text) => {
    try {
      return parseUpid(text).upid;
    } catch (error) {
      if (error instanceof InvalidUpidError) throw new CliError(`--watch: ${error.message}`, ExitCode.usage);
      throw error;
    }
  });
  return {
    parallel: count('parallel'),
    perNode: count('per-node'),
    ...(timeoutText !== undefined ? { timeoutMs: parseDurationArg('--timeout', timeoutText) } : {}),
    noSkip: values['no-skip'] === true,
    watch: [...new Set(watch)],
    osc52: values.osc52 === true || env.PVETASKS_OSC52 === '1',
  };
}

async function runBoardCommand(args: string[], io: CliIo, clock: Clock, secrets: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('board', args, OPTIONS, { positionals: true });
  if (values.help) {
    io.stdout.write(BOARD_HELP);
    return ExitCode.ok;
  }
  const flags = boardFlags(values, positionals, io.env);
  const reportTo = reportTarget(lastValue(values.report), io.cwd);
  if (!io.stdin.isTTY || !io.stdout.isTTY) {
    throw new CliError("the board needs a terminal; from scripts use 'pvetasks tasks' or 'pvetasks wait' (see --help)");
  }
  keepHeapSmall();
  const readOnly = values['read-only'] === true;
  // Configuration errors (and a password prompt) come before the board takes the terminal.
  const plan = await planBoardClusters(io, secrets, { demo: values.demo === true, ...clusterFlagsOf(values) });
  const ascii = values.ascii === true || shouldUseAscii(io.env);
  const color = colorEnabled({ env: io.env, flag: values['no-color'] === true ? false : undefined, isTTY: true });
  // Leaving the board while it connects stops the connecting.
  const leaving = new AbortController();
  const settings: RuntimeSettings = { flags, readOnly, fresh: values.fresh === true, io, clock };
  let live: LiveBoard | undefined;
  let opening: Promise<LiveBoard> | undefined;
  const open = async () => {
    opening = openLiveBoard(plan, settings, AbortSignal.any([io.signal, leaving.signal]));
    live = await opening;
    return { store: live.view.store, actions: live.actions, heldLaunches: live.heldLaunches };
  };
  try {
    // The board draws at once, before the HTTP client is loaded ("waiting for data" until the first
    // cycle lands, as top does); what it watches takes over when it is connected.
    const connecting = connectingBoard(connectingInfo(plan, readOnly), clock);
    const exit = await runBoard({
      store: connecting.store,
      actions: connecting.actions,
      ready: open,
      clock,
      stdin: io.stdin as NodeJS.ReadStream,
      stdout: io.stdout as NodeJS.WriteStream,
      ascii,
      color,
      readOnly,
      noSkip: flags.noSkip,
      ...(flags.osc52 ? { copyText: (text: string) => io.stdout.write(osc52(text)) } : {}),
      signal: io.signal,
    });
    const exitCode = exit.reason === 'interrupt' ? ExitCode.interrupted : ExitCode.ok;
    // Left before anything was connected: nothing was watched or launched.
    if (!live) return exitCode;
    const { clusters, view } = live;
    const state = view.store.getState();
    const mine = rowsOf(state, 'mine');
    const summary = { ascii, color, columns: io.stdout.columns ?? 80, rows: io.stdout.rows ?? 24, now: clock.now() };
    io.stdout.write(renderSummary(mine, reportTo ? { ...summary, reportPath: reportTo.typed } : summary));
    const running = mine.filter((row) => row.state === 'running').length;
    if (running > 0) io.stdout.write(`${running} task(s) keep running on the server.\n`);
    const several = clusters.length > 1;
    const report = () => ({
      command: 'board',
      cluster: several ? clusters.map((cluster) => cluster.name).join(', ') : clusters[0]!.sessionName,
      user: [...new Set(clusters.map((cluster) => cluster.client.userid))].join(', '),
      rows: mine,
      ...(several ? { clusterOf: (row: TaskRow) => clusterOfKey(row.key) ?? '' } : {}),
      guestNames: Object.fromEntries(Object.values(state.guests).map((guest) => [guest.vmid, guest.name])),
      writtenAt: clock.now(),
    });
    return finishWithReport(reportTo, report, io.stderr, exitCode);
  } finally {
    leaving.abort();
    // Left while connecting: wait until that stops, then close whatever it opened.
    await opening?.catch(() => undefined);
    await live?.close();
  }
}

/** What the header says while the board connects: the cluster (or endpoint) and user it connects as. */
function connectingInfo(plan: BoardPlan, readOnly: boolean): SessionInfo | undefined {
  if (plan.demo) return undefined;
  const { targets } = plan;
  const first = targets[0]!.config;
  const userOf = ({ config }: (typeof targets)[number]) =>
    config.auth?.kind === 'token' ? validateToken(config.auth.token).authId : (config.auth?.username ?? '');
  return {
    endpoint: first.endpoints[0]!,
    user: [...new Set(targets.map(userOf))].join(', '),
    ...(targets.length > 1 || targets[0]!.configured ? { cluster: targets.map((target) => target.name).join(', ') } : {}),
    demo: false,
    intervalMs: first.intervalMs,
    readOnly,
    insecure: targets.some((target) => target.config.insecure),
  };
}

/** The connected board: its clusters, one runtime each, the one store and actions over them. */
interface LiveBoard {
  clusters: BoardCluster[];
  view: ReturnType<typeof combineStores>;
  actions: RuntimeActions;
  heldLaunches: number;
  close(): Promise<void>;
}

async function openLiveBoard(plan: BoardPlan, settings: RuntimeSettings, signal: AbortSignal): Promise<LiveBoard> {
  const { clock, flags } = settings;
  const clusters = await openBoardClusters(plan, clock, signal);
  const runtimes: Runtime[] = [];
  const sessions: Session[] = [];
  try {
    for (const cluster of clusters) {
      const runtime = startRuntime(cluster, settings);
      runtimes.push(runtime);
      if (runtime.session) sessions.push(runtime.session);
    }
  } catch (error) {
    await Promise.all([...runtimes.map((runtime) => runtime.close()), ...clusters.map((cluster) => cluster.close())]);
    throw error;
  }
  // One store and one set of actions for the board: the only cluster's own, or a view and a router over all.
  const parts = clusters.map((cluster, index) => ({
    name: cluster.name,
    store: runtimes[index]!.store,
    actions: runtimes[index]!.actions,
  }));
  const view = combineStores(parts, clock);
  const actions = routeActions(parts, view.notify);
  const flushOnHangup = () => {
    for (const session of sessions) session.flush();
  };
  process.on('SIGHUP', flushOnHangup);
  const close = async () => {
    process.off('SIGHUP', flushOnHangup);
    view.close();
    await Promise.all(runtimes.map((runtime) => runtime.close()));
    await Promise.all(clusters.map((cluster) => cluster.close()));
  };
  try {
    await Promise.all(runtimes.map((runtime) => runtime.queue.recover().catch(() => undefined)));
    watchWhenKnown(view.store, actions, flags.watch);
    for (const runtime of runtimes) runtime.poller.start();
    clusters.forEach((cluster, index) => {
      if (cluster.unreachable) runtimes[index]!.notify(`not reached at start, retrying: ${cluster.unreachable}`, 'error');
    });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    clusters,
    view,
    actions,
    heldLaunches: runtimes.reduce((sum, runtime) => sum + runtime.queue.heldKeys().length, 0),
    close,
  };
}

interface RuntimeSettings {
  flags: BoardFlags;
  readOnly: boolean;
  fresh: boolean;
  io: CliIo;
  clock: Clock;
}

/** One cluster's runtime: its client, session (per cluster and user; the demo saves nothing), poller and queue. */
function startRuntime(cluster: BoardCluster, { flags, readOnly, fresh, io, clock }: RuntimeSettings): Runtime & { session?: Session } {
  const { client, config } = cluster;
  const session = config
    ? openSession({
        stateDir: config.stateDir,
        cluster: cluster.sessionName,
        user: client.userid,
        clock,
        onWarning: (message) => io.stderr.write(`pvetasks: warning: ${message}\n`),
        fresh,
      })
    : undefined;
  const intervalMs = config?.intervalMs ?? 2000;
  const runtime = createRuntime({
    client,
    clock,
    intervalMs,
    scope: 'cluster',
    watchAfterTimeout: true,
    parallel: flags.parallel,
    perNode: flags.perNode,
    ...(flags.timeoutMs !== undefined ? { timeoutMs: flags.timeoutMs } : {}),
    // A saved log goes next to the session files, else where the board was started.
    logDirs: config ? [config.stateDir, io.cwd] : [io.cwd],
    // Another window's (or launch command's) tasks of this cluster and user show read-only.
    ...(session ? { session, otherWindows: true } : {}),
    info: {
      endpoint: cluster.endpoint,
      user: client.userid,
      cluster: cluster.demo ? cluster.name : cluster.sessionName,
      demo: cluster.demo,
      intervalMs,
      readOnly,
      insecure: !cluster.demo && config!.insecure,
    },
  });
  return session ? { ...runtime, session } : runtime;
}

/**
 * The board lives for hours and allocates steadily (each frame, each poll), so V8 sizes its heap for
 * throughput: the young generation grows to its maximum (16 MB per semi-space) and the old one runs
 * well past its live size (V8's growing factor may double it or more) before a full collection: some
 * 40 MB of resident memory that buy nothing for a program drawing a few frames a second. Growth
 * factor 1 keeps the young generation at its initial size; a heap growing by 25 % collects the old generation a
 * little more often, each collection small for a heap of some 35 MB (measured: README, Performance).
 * Both flags are read when the heap resizes, so setting them here, before the session is restored,
 * takes effect.
 */
function keepHeapSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=25');
}
