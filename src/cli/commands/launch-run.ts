/**
 * A launch command's run on its runtime: recover an earlier run's intents, launch what is new, follow
 * what was already under way (with this run's --timeout), and report per requested guest: progress on
 * stderr, `--json` events on stdout, the summary, the exit code.
 */
import type { PveClient } from '../../api/index.js';
import type { TaskOutcome } from '../../tasks/exit-status.js';
import { recordNotSent, type Verdict } from '../../tasks/launch-check.js';
import { planLaunches, type LaunchRequest } from '../../tasks/launch-plan.js';
import { allFinal } from '../../tasks/launch-queue.js';
import { createRuntime } from '../../tasks/runtime.js';
import type { openSession } from '../../tasks/session.js';
import {
  rowsOf,
  subscribeRowChanges,
  type Guest,
  type GuestResult,
  type LaunchSpec,
  type TaskRow,
  type TaskStore,
} from '../../tasks/store.js';
import type { Clock } from '../../util/clock.js';
import type { CliIo } from '../io.js';
import type { TaskReporter, Target, TargetResult } from '../output.js';
import { printMessages } from '../runtime-io.js';

export interface WatchOptions {
  client: PveClient;
  clock: Clock;
  io: CliIo;
  request: LaunchRequest;
  /** What to do with each requested guest (launch-check.ts). */
  verdicts: readonly Verdict[];
  guests: Map<number, Guest>;
  session: ReturnType<typeof openSession>;
  parallel: number;
  perNode: number;
  timeoutMs: number | undefined;
  intervalMs: number;
  /** Shared by every cluster of the run: one summary, one exit code. */
  reporter: TaskReporter;
  /** The cluster's name on each target, when the run names clusters. */
  cluster?: string;
}

/**
 * How one cluster's launch ended: every target final, or Ctrl-C with tasks still running there; with
 * this run's rows as they were then (for `--report`, written once every cluster is done).
 */
export type ClusterRunEnd = ({ interrupted: false } | { interrupted: true; running: number }) & { rows: TaskRow[] };

/** Launches and follows one cluster's guests; the caller prints the summary once every cluster is done. */
export async function launchAndWatch(options: WatchOptions): Promise<ClusterRunEnd> {
  const { client, clock, io, request, verdicts, guests, session, reporter } = options;
  const prefix = options.cluster ? `cluster ${options.cluster}: ` : '';
  const runtime = createRuntime({
    client,
    clock,
    intervalMs: options.intervalMs,
    session,
    parallel: options.parallel,
    perNode: options.perNode,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  const { store, queue } = runtime;
  const stopMessages = printMessages(runtime, io, prefix);
  try {
    // A crashed earlier run: requests that went out are looked up on their nodes (never sent again);
    // launches it never sent are dropped: whatever is requested now is launched afresh.
    const recovered = await queue.recover();
    const dropped = queue.heldKeys().length;
    queue.releaseHeld(false);
    if (recovered.adopted > 0) io.stderr.write(`pvetasks: ${prefix}found ${recovered.adopted} task(s) an earlier run had started\n`);
    if (dropped > 0) io.stderr.write(`pvetasks: ${prefix}dropped ${dropped} launch(es) an earlier run had queued but never sent\n`);

    // Guests whose launch an earlier run already made are followed, not launched again (nor skipped as
    // busy: the task in flight is ours), with this run's --timeout (from when they were first seen).
    const guestRecord = Object.fromEntries(guests);
    const reused = reuseUnfinished(store, planLaunches(request, guestRecord));
    if (options.timeoutMs !== undefined) applyTimeout(store, reused, options.timeoutMs);
    const followed = new Set(reused.flatMap((key) => store.getState().row(key)!.vmids));
    const fresh = verdicts.filter((verdict) => !followed.has(verdict.vmid));
    const going = fresh.filter((verdict) => 'go' in verdict).map((verdict) => verdict.vmid);
    const keys = [
      ...reused,
      ...queue.enqueue(planLaunches({ ...request, vmids: going }, guestRecord), guestRecord),
      ...recordNotSent(store, clock.now(), request, fresh, guestRecord),
    ];

    // One target per requested guest; guests of one vzdump share its task.
    const targets = new Map<string, Target[]>();
    for (const key of keys) {
      const row = store.getState().row(key)!;
      targets.set(
        key,
        row.vmids.map((vmid) => {
          const targetNode = request.action === 'migrate' ? request.targets[vmid] : undefined;
          const label = labelFor(vmid, guests) + (targetNode ? ` -> ${targetNode}` : '');
          return {
            upid: row.upid ?? null,
            node: row.node,
            vmid,
            type: row.type,
            label,
            ...(targetNode ? { targetNode } : {}),
            ...(options.cluster ? { cluster: options.cluster } : {}),
          };
        }),
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
    const rowsNow = () => keys.map((key) => store.getState().row(key)).filter((row): row is TaskRow => row !== undefined);
    const unsubscribe = subscribeRowChanges(store, (state, before) => {
      for (const key of before.keys()) {
        const row = state.row(key);
        if (wanted.has(key) && row) report(row);
      }
    });
    for (const key of keys) report(store.getState().row(key)!);
    runtime.poller.start();
    try {
      await untilFinal(store, keys, io.signal);
    } catch (error) {
      if (!io.signal.aborted) throw error;
      unsubscribe();
      for (const key of queue.pending().map((row) => row.key)) queue.cancel(key);
      const running = keys.filter((key) => store.getState().row(key)?.state === 'running').length;
      return { interrupted: true, running, rows: rowsNow() };
    }
    unsubscribe();
    return { interrupted: false, rows: rowsNow() };
  } finally {
    stopMessages();
    await runtime.close();
  }
}

/** Unfinished rows of an earlier run for the same action and guests: followed, not launched again. */
function reuseUnfinished(store: TaskStore, specs: LaunchSpec[]): string[] {
  const reused: string[] = [];
  const open = rowsOf(store.getState(), 'mine').filter((row) => row.launch && (row.state === 'running' || row.state === 'queued'));
  for (const spec of specs) {
    const match = open.find(
      (row) =>
        row.launch!.action === spec.action &&
        row.launch!.node === spec.node &&
        row.vmids.length === spec.guests.length &&
        spec.guests.every((guest) => row.vmids.includes(guest.vmid)),
    );
    if (match && !reused.includes(match.key)) reused.push(match.key);
  }
  return reused;
}

/** Deadlines count from when pvetasks first saw the task, with the timeout this run was given. */
function applyTimeout(store: TaskStore, keys: readonly string[], timeoutMs: number): void {
  store.getState().update((tx) => {
    for (const key of keys) {
      const row = tx.row(key);
      if (row?.state === 'running') tx.patch(key, { deadline: row.firstSeenAt + timeoutMs });
    }
  });
}

function untilFinal(store: TaskStore, keys: string[], signal: AbortSignal): Promise<void> {
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

function labelFor(vmid: number, guests: Map<number, Guest>): string {
  const guest = guests.get(vmid);
  const kind = guest?.type === 'lxc' ? 'CT' : 'VM';
  return guest?.name ? `${kind} ${vmid} (${guest.name})` : `${kind} ${vmid}`;
}

/**
 * A target's result. A guest of a backup job (one vzdump task for several guests) gets its own outcome,
 * exit status (`OK`, `WARNINGS: N` with its own count, or its own error) and duration from the job's
 * log: the job's `job errors` and the whole job's time are not the guest's. A guest the log gives no
 * time for failed before its backup started, or the job ended before it: 0 s.
 */
export function resultFor(row: TaskRow, vmid: number, now: number): TargetResult {
  const job = row.vmids.length > 1 && row.state !== 'timeout';
  const perGuest = job ? row.guestResults?.[vmid] : undefined;
  const outcome = (row.state === 'timeout' ? 'timeout' : (perGuest?.outcome ?? row.state)) as TaskOutcome;
  const started = row.startedAt ?? row.sentAt ?? row.firstSeenAt;
  const taskMs = Math.max(0, (row.state === 'timeout' ? now : (row.endedAt ?? now)) - started);
  const result: TargetResult = {
    outcome,
    exitStatus: (perGuest && ownExitStatus(perGuest)) ?? row.exitStatus ?? null,
    durationMs: perGuest ? (perGuest.durationSeconds ?? 0) * 1000 : taskMs,
  };
  const message = perGuest?.message ?? row.message;
  if (message) result.message = message;
  return result;
}

/** A guest's own exit status in PVE's words, when its part of the log says it. */
function ownExitStatus(result: GuestResult): string | undefined {
  if (result.outcome === 'ok') return 'OK';
  if (result.outcome === 'warnings' && result.warningCount) return `WARNINGS: ${result.warningCount}`;
  if (result.outcome === 'failed') return result.message;
  return undefined;
}
