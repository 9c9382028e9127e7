/**
 * The launch queue: start, back up, snapshot, shut down, stop, reboot or migrate many guests without
 * overrunning the cluster.
 *
 * - `parallel` slots per cluster and `perNode` per node (the node the guest is on when the request
 *   goes out); a slot is held from the request until the task ends or times out, and until its
 *   post-check holds (an HA request until the guest is where it should be, a reboot until it is up
 *   again), but no longer than the task type's default deadline: a hung start frees its slot after 2
 *   minutes even under a longer --timeout (the task stays watched). One vzdump per node, holding
 *   several guests, is one slot. Both limits change live, and the queue can be paused (nothing more is
 *   sent) and emptied.
 * - Every launch is a `mine` row from the moment it is queued, so the board shows it and `x` can
 *   cancel it until it is sent.
 * - The intent is saved (session flush) before the POST. A POST is never retried. When its fate is
 *   unknown (the connection broke after sending, or the process died), the task is looked up on its
 *   node instead of launching it again.
 * - A synchronous refusal (HTTP error) fails the row with PVE's message; vzdump answering `OK`
 *   instead of a UPID means none of the guests was on that node.
 */
import { PveApiError, type PveClient } from '../api/index.js';
import { failureKind } from '../api/failures.js';
import { retrying } from '../util/backoff.js';
import type { Clock } from '../util/clock.js';
import { describeTask } from './describe.js';
import { expectedTaskType, hasHaVariant, launchDeadlineMs, taskIdOf } from './launch-plan.js';
import { recordAnswer, refusalMessage } from './launch-answer.js';
import { lookUpLaunch } from './launch-lookup.js';
import { sendLaunch } from './launch-requests.js';
import type { Session } from './session.js';
import { activeRowsOf, isFinal, type Guest, type LaunchSpec, type TaskRow, type TaskStore } from './store.js';

export interface LaunchQueueOptions {
  client: PveClient;
  store: TaskStore;
  clock: Clock;
  /** Launch slots for the cluster. Default 4. */
  parallel?: number;
  /** Launch slots per node. Default 4 (PVE's max_workers). */
  perNode?: number;
  /** Flushed before every POST, so an intent survives a crash. */
  session?: Session;
  /** Deadline for every launched task; default by task type. */
  timeoutMs?: number;
}

/** A lookup that failed is tried again after this long, doubling up to the maximum. */
const LOOKUP_RETRY_MS = 2_000;
const LOOKUP_RETRY_MAX_MS = 30_000;

export class LaunchQueue {
  private readonly inFlight = new Set<string>();
  private pumping = false;
  private readonly unsubscribe: () => void;
  private closed = false;
  /** Aborted on close: a lookup waiting to try again stops waiting. */
  private readonly closing = new AbortController();
  private readonly idleWaiters = new Set<() => void>();
  /** Queued launches restored from a session: they wait for `releaseHeld` (the board asks first). */
  private readonly held = new Set<string>();

  constructor(private readonly options: LaunchQueueOptions) {
    const { queue } = options.store.getState();
    this.setLimits({ parallel: options.parallel ?? queue.parallel, perNode: options.perNode ?? queue.perNode });
    for (const row of this.activeMineRows()) {
      if (row.launch && row.state === 'queued' && row.sentAt === undefined) this.held.add(row.key);
    }
    // Any change may free a slot (a task ended or timed out; an HA guest came up).
    this.unsubscribe = options.store.subscribe(() => this.schedulePump());
  }

  private activeMineRows(): TaskRow[] {
    // Launches waiting or holding a slot are queued or running: the active rows, listed first.
    return activeRowsOf(this.options.store.getState(), 'mine');
  }

  /** Queues the specs as `queued` rows; returns their keys. They go out as slots free up. */
  enqueue(specs: readonly LaunchSpec[], guests: Readonly<Record<number, Pick<Guest, 'hastate'>>> = {}): string[] {
    const { store, clock } = this.options;
    const keys: string[] = [];
    store.getState().update((tx) => {
      for (const spec of specs) {
        const haManaged = hasHaVariant(spec.action) && spec.guests.some((guest) => guests[guest.vmid]?.hastate !== undefined);
        const type = expectedTaskType(spec, haManaged);
        const taskId = taskIdOf(spec);
        const names = spec.guests
          .map((guest) => guest.name)
          .filter(Boolean)
          .join(', ');
        keys.push(
          tx.add({
            mine: true,
            node: spec.node,
            type,
            taskId,
            description: describeTask(type, taskId),
            vmids: spec.guests.map((guest) => guest.vmid),
            ...(names ? { guestName: names } : {}),
            firstSeenAt: clock.now(),
            launch: spec,
          }),
        );
      }
    });
    this.schedulePump();
    return keys;
  }

  /** Changes the limits at once; launches in flight over a lower limit finish normally. */
  setLimits(limits: { parallel?: number; perNode?: number }): void {
    const { store } = this.options;
    const queue = store.getState().queue;
    const parallel = Math.max(1, Math.floor(limits.parallel ?? queue.parallel));
    const perNode = Math.max(1, Math.floor(limits.perNode ?? queue.perNode));
    store.getState().update((tx) => tx.setQueue({ ...queue, parallel, perNode }));
    this.schedulePump();
  }

  /** Paused: queued launches wait (none is dropped); those already sent go on. */
  setPaused(paused: boolean): void {
    const { store } = this.options;
    store.getState().update((tx) => tx.setQueue({ ...store.getState().queue, paused }));
    this.schedulePump();
  }

  /** Drops every queued launch not sent yet; returns how many. */
  cancelAll(): number {
    const keys = this.pending().map((row) => row.key);
    this.options.store.getState().update((tx) => keys.forEach((key) => tx.remove(key)));
    return keys.length;
  }

  /** Drops a launch that has not been sent; false when it already went out. */
  cancel(key: string): boolean {
    const row = this.options.store.getState().row(key);
    if (!row?.mine || !row.launch || row.state !== 'queued' || row.sentAt !== undefined || this.inFlight.has(key)) return false;
    this.options.store.getState().update((tx) => tx.remove(key));
    return true;
  }

  /** Restored queued launches waiting for a decision. */
  heldKeys(): string[] {
    return [...this.held].filter((key) => this.options.store.getState().row(key));
  }

  /** Sends the restored queued launches (`resume`), or drops them. */
  releaseHeld(resume: boolean): void {
    const keys = this.heldKeys();
    this.held.clear();
    if (!resume) this.options.store.getState().update((tx) => keys.forEach((key) => tx.remove(key)));
    this.schedulePump();
  }

  /** Resolves when no launch of this queue is queued or in flight (tasks may still run). */
  whenAllSent(): Promise<void> {
    if (this.pending().length === 0 && this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.add(resolve));
  }

  close(): void {
    this.closed = true;
    this.closing.abort();
    this.unsubscribe();
  }

  /** Queued launches, oldest first, not yet sent. */
  pending(): TaskRow[] {
    return this.activeMineRows()
      .filter(
        (row) => row.launch && row.state === 'queued' && row.sentAt === undefined && !this.inFlight.has(row.key) && !this.held.has(row.key),
      )
      .sort((a, b) => a.firstSeenAt - b.firstSeenAt || (a.key < b.key ? -1 : 1));
  }

  /**
   * Launches holding a slot, in all and per node: sent and not final (an HA start also until its guest
   * runs), for at most their type's default deadline from the start of their task.
   */
  private occupied(): { all: number; byNode: Map<string, number> } {
    const now = this.options.clock.now();
    const byNode = new Map<string, number>();
    let all = 0;
    for (const row of this.activeMineRows()) {
      if (!row.launch) continue;
      const sending = this.inFlight.has(row.key) || (row.state === 'queued' && row.sentAt !== undefined);
      const holding = row.state === 'running' && now - (row.startedAt ?? row.firstSeenAt) < launchDeadlineMs(row.launch, row.type);
      if (!sending && !holding) continue;
      all++;
      byNode.set(row.launch.node, (byNode.get(row.launch.node) ?? 0) + 1);
    }
    return { all, byNode };
  }

  private schedulePump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    queueMicrotask(() => {
      this.pumping = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.closed) return;
    const { paused, parallel, perNode } = this.options.store.getState().queue;
    const { all, byNode } = this.occupied();
    let free = paused ? 0 : parallel - all;
    // Oldest first; a launch whose node is at its limit waits without holding up the others.
    for (const row of this.pending()) {
      if (free <= 0) break;
      const node = row.launch!.node;
      const onNode = byNode.get(node) ?? 0;
      if (onNode >= perNode) continue;
      byNode.set(node, onNode + 1);
      free--;
      void this.send(row.key);
    }
    if (this.pending().length === 0 && this.inFlight.size === 0) {
      for (const wake of this.idleWaiters) wake();
      this.idleWaiters.clear();
    }
  }

  private async send(key: string): Promise<void> {
    const { store, clock, session, client } = this.options;
    this.inFlight.add(key);
    try {
      store.getState().update((tx) => tx.patch(key, { sentAt: clock.now() }));
      // The intent is on disk before the request leaves: after a crash it is looked up, not resent.
      session?.flush();
      const row = store.getState().row(key)!;
      let answer: string;
      try {
        answer = await sendLaunch(client, row.launch!);
      } catch (error) {
        await this.handleFailedPost(key, error);
        return;
      }
      recordAnswer(this.options, key, answer);
    } finally {
      this.inFlight.delete(key);
      this.schedulePump();
    }
  }

  private async handleFailedPost(key: string, error: unknown): Promise<void> {
    const { store, clock } = this.options;
    // PVE refused it (an HTTP answer), or it never left: a failed row with the reason. Not retried.
    const refused = error instanceof PveApiError && (error.status > 0 || error.notSent || error.kind === 'config');
    if (refused || !(error instanceof PveApiError)) {
      const message = error instanceof PveApiError ? refusalMessage(error) : String((error as Error)?.message ?? error);
      store.getState().update((tx) => tx.finish(key, 'failed', { message, endedAt: clock.now() }));
      return;
    }
    // Sent, but no answer (timeout, reset): it may have started. Look it up rather than send it again.
    const lookup = await this.lookUpPatiently(key);
    if (lookup.found) recordAnswer(this.options, key, lookup.found);
    else if (store.getState().row(key)) {
      const node = store.getState().row(key)?.node;
      const why = lookup.error
        ? `and ${node} could not be asked whether it started (${lookup.error.message})`
        : `and no task found on ${node}`;
      store
        .getState()
        .update((tx) =>
          tx.finish(key, 'unknown', { message: `no answer to the request (${error.message}) ${why}; not retried`, endedAt: clock.now() }),
        );
    }
  }

  /**
   * `lookUpLaunch`, tried again while the node cannot be asked (a GET may be repeated, a POST never): a
   * failed lookup is not an answer, and taking it for "not started" would lose a running task. Gives
   * up when the launch's deadline passes or the queue closes.
   */
  private async lookUpPatiently(key: string): Promise<{ found?: string; error?: Error }> {
    const { clock, store, client } = this.options;
    const row = store.getState().row(key);
    try {
      const found = await retrying(() => lookUpLaunch(client, store, key), {
        clock,
        signal: this.closing.signal,
        retryable: (error) => failureKind(error) !== 'final',
        baseMs: LOOKUP_RETRY_MS,
        maxMs: LOOKUP_RETRY_MAX_MS,
        giveUpAt: clock.now() + (this.options.timeoutMs ?? launchDeadlineMs(row?.launch, row?.type ?? '')),
        stop: () => this.closed || !store.getState().row(key),
      });
      return found === undefined ? {} : { found };
    } catch (error) {
      return { error: error as Error };
    }
  }

  /** For tests and recovery: the task this unanswered launch may have started. */
  lookUp(key: string): Promise<string | undefined> {
    return lookUpLaunch(this.options.client, this.options.store, key);
  }

  /**
   * After a restart: intents that were sent but have no UPID are looked up (adopted when found; if not,
   * they go back to the queue unsent and held, since the request never made a task). Returns how many rows are
   * queued and unsent, which the board offers to resume.
   */
  async recover(): Promise<{ adopted: number; requeued: number; queued: number }> {
    const { store } = this.options;
    let adopted = 0;
    let requeued = 0;
    const orphans = this.activeMineRows().filter((row) => row.launch && row.state === 'queued' && row.sentAt !== undefined);
    for (const row of orphans) {
      const { found, error } = await this.lookUpPatiently(row.key);
      if (error) {
        // Never sent again: its fate stays unknown rather than risking a second start.
        store.getState().update((tx) =>
          tx.finish(row.key, 'unknown', {
            message: `an earlier run sent this request; ${row.node} could not be asked whether it started (${error.message}); not retried`,
            endedAt: this.options.clock.now(),
          }),
        );
      } else if (found) {
        recordAnswer(this.options, row.key, found);
        adopted++;
      } else {
        // Never made a task: back in the queue, but held like any restored launch until confirmed.
        store.getState().update((tx) => tx.patch(row.key, { sentAt: undefined }));
        this.held.add(row.key);
        requeued++;
      }
    }
    return { adopted, requeued, queued: this.pending().length };
  }
}

/** True when every row of these keys is final. */
export function allFinal(store: TaskStore, keys: readonly string[]): boolean {
  const state = store.getState();
  return keys.every((key) => {
    const row = state.row(key);
    return !row || isFinal(row.state);
  });
}
