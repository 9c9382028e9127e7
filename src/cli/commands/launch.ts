/**
 * `pvetasks start|backup|snapshot <guests>...`: launch through the launch queue (`--parallel` slots,
 * one vzdump per node, intents saved before each POST), follow every task on the tracker, and report
 * per requested guest: progress on stderr, `--json` events on stdout, the summary, the exit code.
 */
import type { PveClient, PveClientOptions } from '../../api/index.js';
import type { LaunchRequest } from '../../tasks/controller.js';
import type { TaskOutcome } from '../../tasks/exit-status.js';
import { LaunchQueue, allFinal, planLaunches, type GuestInfo } from '../../tasks/launcher.js';
import { openSession } from '../../tasks/session.js';
import { subscribeRowChanges, type Guest, type LaunchSpec, type TaskRow } from '../../tasks/store.js';
import { createTaskTracker } from '../../tasks/tracker.js';
import { snapshotNameError } from '../../tasks/snapshot-name.js';
import { systemClock, type Clock } from '../../util/clock.js';
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
import { TaskReporter, type Target, type TargetResult } from '../output.js';
import { COMMANDS } from '../command-table.js';
import { commandHelp } from '../help.js';

type Action = LaunchRequest['action'];

const OPTIONS = { start: COMMANDS.start.options, backup: COMMANDS.backup.options, snapshot: COMMANDS.snapshot.options };
const HELP: Record<Action, string> = { start: commandHelp('start'), backup: commandHelp('backup'), snapshot: commandHelp('snapshot') };

const MODES = COMMANDS.backup.options.mode.choices;
const COMPRESSIONS = COMMANDS.backup.options.compress.choices;

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new CliError(`${flag} '${value}' is not one of ${allowed.join(', ')}`);
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
  const request = requestFor(action, refs, text, flags);

  const config = loadCommandConfig(io, secrets, { tokenFile: text('token-file'), interval: text('interval') });

  const client = await connect(config, clock, deps.createClient, io.signal);
  try {
    let guests: Map<number, GuestInfo>;
    try {
      guests = await fetchGuests(client, clock, io.signal);
    } catch (error) {
      if (io.signal.aborted) throw io.signal.reason;
      throw asCliError(error, "cannot read the cluster's guests");
    }
    const specs = resolveSpecs(request, refs, guests);
    if (action === 'backup')
      await checkBackupStorage(client, clock, io.signal, specs, String(request.action === 'backup' ? request.storage : ''));
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
      specs,
      guests,
      session,
      parallel,
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
      if (!/^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(storage)) throw new CliError(`--storage '${storage}' is not a storage id`);
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
      if (problem) throw new CliError(`--name '${snapname}': ${problem}`);
      const description = text('description');
      return { action, vmids, snapname, ...(description ? { description } : {}), ...(flags.vmstate ? { vmstate: true } : {}) };
    }
  }
}

/** Guests resolved through /cluster/resources; a NODE:VMID must name the guest's node. */
function resolveSpecs(request: LaunchRequest, refs: GuestRef[], guests: Map<number, GuestInfo>): LaunchSpec[] {
  for (const ref of refs) {
    const guest = guests.get(ref.vmid);
    if (!guest) throw new CliError(`guest ${ref.vmid} does not exist in this cluster (nothing was started)`);
    if (ref.node && ref.node !== guest.node) {
      throw new CliError(`guest ${ref.vmid} is on ${guest.node}, not ${ref.node} (nothing was started)`);
    }
  }
  return planLaunches(request, guests);
}

/** vzdump to a storage that does not take backups fails late, in its task: say so before launching. */
async function checkBackupStorage(
  client: PveClient,
  clock: Clock,
  signal: AbortSignal,
  specs: LaunchSpec[],
  storage: string,
): Promise<void> {
  for (const node of new Set(specs.map((spec) => spec.node))) {
    let ids: string[];
    try {
      const response = await retryingPassingFailures(clock, signal, () =>
        client.GET('/nodes/{node}/storage', { params: { path: { node }, query: { content: 'backup' } }, signal }),
      );
      ids = (response.data as Array<{ storage: string }>).map((item) => item.storage);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw asCliError(error, `cannot read the storages of ${node}`);
    }
    if (!ids.includes(storage)) {
      throw new CliError(
        `storage '${storage}' does not take backups on ${node} (nothing was started); backup storages there: ${ids.join(', ') || 'none'}`,
      );
    }
  }
}

interface WatchOptions {
  client: PveClient;
  clock: Clock;
  io: CliIo;
  specs: LaunchSpec[];
  guests: Map<number, GuestInfo>;
  session: ReturnType<typeof openSession>;
  parallel: number;
  timeoutMs: number | undefined;
  intervalMs: number;
  json: boolean;
  noColor: boolean;
}

async function launchAndWatch(options: WatchOptions): Promise<number> {
  const { client, clock, io, specs, guests, session } = options;
  const tracker = createTaskTracker({ client, clock, intervalMs: options.intervalMs, session });
  const { store } = tracker;
  const queue = new LaunchQueue({
    client,
    store,
    clock,
    parallel: options.parallel,
    session,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  const reporter = new TaskReporter(io, { json: options.json, noColor: options.noColor });
  try {
    // A crashed earlier run: requests that went out are looked up on their nodes (never sent again);
    // launches it never sent are dropped: whatever is requested now is launched afresh.
    const recovered = await queue.recover();
    const dropped = queue.heldKeys().length;
    queue.releaseHeld(false);
    if (recovered.adopted > 0) io.stderr.write(`pvetasks: found ${recovered.adopted} task(s) an earlier run had started\n`);
    if (dropped > 0) io.stderr.write(`pvetasks: dropped ${dropped} launch(es) an earlier run had queued but never sent\n`);

    const { reused, fresh } = reuseUnfinished(store.getState().rows, specs);
    const haState: Record<number, Pick<Guest, 'hastate'>> = {};
    for (const [vmid, guest] of guests) if (guest.hastate) haState[vmid] = { hastate: guest.hastate };
    const keys = [...reused, ...queue.enqueue(fresh, haState)];

    // One target per requested guest; guests of one vzdump share its task.
    const targets = new Map<string, Target[]>();
    for (const key of keys) {
      const row = store.getState().rows[key]!;
      targets.set(
        key,
        row.vmids.map((vmid) => ({ upid: row.upid ?? null, node: row.node, vmid, type: row.type, label: labelFor(vmid, guests) })),
      );
    }
    const report = (row: TaskRow) => {
      const list = targets.get(row.key);
      if (!list) return;
      if (row.upid) {
        for (const target of list) {
          target.upid = row.upid;
          target.type = row.type;
          target.node = row.node;
          reporter.started(target, row.startedAt ?? row.firstSeenAt);
        }
      }
      if (row.state === 'queued' || row.state === 'running') return;
      for (const target of list) reporter.finished(target, resultFor(row, target.vmid!, clock.now()));
    };
    const wanted = new Set(keys);
    const unsubscribe = subscribeRowChanges(store, (rows, before) => {
      for (const key of before.keys()) if (wanted.has(key) && rows[key]) report(rows[key]!);
    });
    for (const key of keys) report(store.getState().rows[key]!);
    tracker.poller.start();
    try {
      await untilFinal(store, keys, io.signal);
    } catch (error) {
      if (!io.signal.aborted) throw error;
      unsubscribe();
      for (const key of queue.pending().map((row) => row.key)) queue.cancel(key);
      const running = keys.filter((key) => store.getState().rows[key]?.state === 'running').length;
      io.stderr.write(
        `pvetasks: interrupted; stopped waiting${running ? `, ${running} task(s) keep running on the server` : ''}; queued launches were not sent\n`,
      );
      return ExitCode.interrupted;
    }
    unsubscribe();
    return reporter.summary();
  } finally {
    queue.close();
    await tracker.close();
  }
}

/** Unfinished rows of an earlier run for the same action and guests: followed, not launched again. */
function reuseUnfinished(rows: Readonly<Record<string, TaskRow>>, specs: LaunchSpec[]): { reused: string[]; fresh: LaunchSpec[] } {
  const reused: string[] = [];
  const fresh: LaunchSpec[] = [];
  const open = Object.values(rows).filter((row) => row.mine && row.launch && (row.state === 'running' || row.state === 'queued'));
  for (const spec of specs) {
    const match = open.find(
      (row) =>
        row.launch!.action === spec.action &&
        row.launch!.node === spec.node &&
        row.vmids.length === spec.guests.length &&
        spec.guests.every((guest) => row.vmids.includes(guest.vmid)),
    );
    if (match && !reused.includes(match.key)) reused.push(match.key);
    else fresh.push(spec);
  }
  return { reused, fresh };
}

function untilFinal(store: ReturnType<typeof createTaskTracker>['store'], keys: string[], signal: AbortSignal): Promise<void> {
  if (allFinal(store, keys)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      reject(signal.reason);
    };
    const unsubscribe = store.subscribe(() => {
      if (!allFinal(store, keys)) return;
      done();
      resolve();
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function labelFor(vmid: number, guests: Map<number, GuestInfo>): string {
  const guest = guests.get(vmid);
  const kind = guest?.type === 'lxc' ? 'CT' : 'VM';
  return guest?.name ? `${kind} ${vmid} (${guest.name})` : `${kind} ${vmid}`;
}

function resultFor(row: TaskRow, vmid: number, now: number): TargetResult {
  const perGuest = row.guestResults?.[vmid];
  const outcome = (row.state === 'timeout' ? 'timeout' : (perGuest?.outcome ?? row.state)) as TaskOutcome;
  const started = row.startedAt ?? row.sentAt ?? row.firstSeenAt;
  const result: TargetResult = {
    outcome,
    exitStatus: row.exitStatus ?? null,
    durationMs: Math.max(0, (row.state === 'timeout' ? now : (row.endedAt ?? now)) - started),
  };
  const message = perGuest?.message ?? row.message;
  if (message) result.message = message;
  return result;
}
