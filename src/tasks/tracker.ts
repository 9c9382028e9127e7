/**
 * The task tracker: the reference library's TaskManager (track, summary, wait for all) on the shared
 * store and the batched poller, so watching 200 UPIDs costs a few requests per cycle, not 200.
 * Every runtime has one (runtime.ts); the library's `createTaskTracker` builds a runtime of its own.
 */
import type { PveClient } from '../api/index.js';
import type { Clock } from '../util/clock.js';
import type { Poller } from './poller/index.js';
import type { Session } from './session.js';
import { isFinal, rowsOf, subscribeRowChanges, type Scope, type Tally, type TaskRow, type TaskState, type TaskStore } from './store.js';
import { defaultTimeoutFor } from './timeouts.js';
import { describeTask } from './describe.js';
import { parseUpid } from './upid.js';

export interface TrackerOptions {
  client: PveClient;
  clock?: Clock;
  /** Poll interval, default 2 s. */
  intervalMs?: number;
  /** Persist `mine` rows; restored rows are tracked again. */
  session?: Session;
  /** Keep following timed-out tasks for their late outcome (the board); commands stop. Default false. */
  watchAfterTimeout?: boolean;
  /** Guests refresh period for post-checks and names; default 10 s. */
  resourcesEveryMs?: number;
  /** `cluster`: other users' tasks join the registry too (the board). Default `mine`. */
  scope?: Scope;
  requestTimeoutMs?: number;
}

export interface TrackOptions {
  /** Deadline from now; default by task type (DESIGN.md). */
  timeoutMs?: number;
  label?: string;
  guestName?: string;
  vmids?: readonly number[];
}

export type TrackerEvent = { type: 'started'; row: TaskRow } | { type: 'finished'; row: TaskRow };

/** The tracked tasks counted by state, with their total. */
export type TrackerSummary = Tally;

export interface TaskTracker {
  readonly store: TaskStore;
  readonly poller: Poller;
  /** Watches a task (idempotent per UPID) and returns its row key. Polling starts with waitForAll or poller.start(). */
  track(upid: string, options?: TrackOptions): string;
  /** Counts over the `mine` rows (tracked, launched, restored). */
  summary(): TrackerSummary;
  /** Resolves with the `mine` rows once every one is final (a timeout is final for commands). */
  waitForAll(options?: { signal?: AbortSignal }): Promise<TaskRow[]>;
  /** `finished` fires once per tracked row when it becomes final; `started` when its UPID is known. */
  subscribe(listener: (event: TrackerEvent) => void): () => void;
  /** Stops following the store (the runtime closes the rest; the library's tracker closes its runtime). */
  close(): Promise<void>;
}

/** The tracker over a runtime's store and poller. */
export function createTracker({ store, poller, clock }: { store: TaskStore; poller: Poller; clock: Clock }): TaskTracker {
  const reported = new Map<string, 'started' | 'finished'>();
  const listeners = new Set<(event: TrackerEvent) => void>();
  const emit = (event: TrackerEvent) => {
    for (const listener of listeners) listener(event);
  };
  const mineRows = () => rowsOf(store.getState(), 'mine');

  /** Reports what is new about a mine row: its task known, then its end (each once). */
  const report = (row: TaskRow) => {
    const seen = reported.get(row.key);
    if (!seen && row.upid) {
      reported.set(row.key, 'started');
      emit({ type: 'started', row });
    }
    if (isFinal(row.state) && reported.get(row.key) !== 'finished') {
      reported.set(row.key, 'finished');
      emit({ type: 'finished', row });
    }
  };

  // Runs on every store change, looking only at rows that changed.
  const unsubscribeStore = subscribeRowChanges(store, (state, before) => {
    for (const key of before.keys()) {
      const row = state.row(key);
      if (row?.mine) report(row);
    }
  });

  return {
    store,
    poller,
    track(upid, trackOptions = {}) {
      const parsed = parseUpid(upid);
      const now = clock.now();
      const deadline = now + (trackOptions.timeoutMs ?? defaultTimeoutFor(parsed.type));
      let key = '';
      store.getState().update((tx) => {
        const existing = tx.keyOf(upid);
        if (existing) {
          if (!tx.row(existing)!.mine) tx.patch(existing, { mine: true, deadline });
          key = existing;
          return;
        }
        key = tx.add({
          upid,
          mine: true,
          firstSeenAt: now,
          deadline,
          description: trackOptions.label ?? describeTask(parsed.type, parsed.id),
          ...(trackOptions.guestName ? { guestName: trackOptions.guestName } : {}),
          ...(trackOptions.vmids ? { vmids: trackOptions.vmids } : {}),
        });
      });
      // Report a row that was already known (or final) before the next store change.
      report(store.getState().row(key)!);
      return key;
    },
    summary() {
      const summary: TrackerSummary = {
        total: 0,
        running: 0,
        queued: 0,
        ok: 0,
        warnings: 0,
        failed: 0,
        timeout: 0,
        unknown: 0,
        skipped: 0,
      };
      for (const row of mineRows()) {
        summary.total++;
        summary[row.state as TaskState]++;
      }
      return summary;
    },
    waitForAll({ signal } = {}) {
      const done = () => mineRows().every((row) => isFinal(row.state));
      if (done()) return Promise.resolve(mineRows());
      poller.start();
      return new Promise<TaskRow[]>((resolve, reject) => {
        const finish = () => {
          unsubscribe();
          signal?.removeEventListener('abort', onAbort);
        };
        const onAbort = () => {
          finish();
          reject(signal!.reason ?? new DOMException('aborted', 'AbortError'));
        };
        const unsubscribe = store.subscribe(() => {
          if (!done()) return;
          finish();
          resolve(mineRows());
        });
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      unsubscribeStore();
    },
  };
}
