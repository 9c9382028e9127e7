/**
 * The task tracker: the reference library's TaskManager (track, summary, wait for all) on the shared
 * store and the batched poller, so watching 200 UPIDs costs a few requests per cycle, not 200.
 * Commands run on it (`wait`, `start`, `backup`, `snapshot`); with a session it survives restarts.
 */
import type { PveClient } from '../api/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { defaultTimeoutFor } from './timeouts.js';
import { describeTask } from './describe.js';
import { Poller } from './poller.js';
import type { Session } from './session.js';
import { createTaskStore, isFinal, subscribeRowChanges, type Scope, type TaskRow, type TaskState, type TaskStore } from './store.js';
import { parseUpid } from './upid.js';

export interface TrackerOptions {
  client: PveClient;
  clock?: Clock;
  /** Poll interval, default 2 s. */
  intervalMs?: number;
  /** Share a store (the board does); default: a new one. */
  store?: TaskStore;
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

export interface TrackerSummary {
  total: number;
  running: number;
  queued: number;
  ok: number;
  warnings: number;
  failed: number;
  timeout: number;
  unknown: number;
}

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
  /** Stops polling and releases the session. */
  close(): Promise<void>;
}

export function createTaskTracker(options: TrackerOptions): TaskTracker {
  const clock = options.clock ?? systemClock;
  const store = options.store ?? createTaskStore();
  const intervalMs = options.intervalMs ?? 2000;
  const poller = new Poller({
    client: options.client,
    store,
    clock,
    intervalMs,
    scope: options.scope ?? 'mine',
    watchAfterTimeout: options.watchAfterTimeout ?? false,
    resourcesEveryMs: options.resourcesEveryMs ?? 10_000,
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  });
  // Every `mine` row is followed: tracked UPIDs, launches, rows restored from the session.
  const mineRows = () => store.getState().order.mine.map((key) => store.getState().rows[key]!);
  const reported = new Map<string, 'started' | 'finished'>();
  const listeners = new Set<(event: TrackerEvent) => void>();

  options.session?.attach(store);

  const emit = (event: TrackerEvent) => {
    for (const listener of listeners) listener(event);
  };

  // Reports transitions of mine rows; runs on every store change, looking only at rows that changed.
  const unsubscribeStore = subscribeRowChanges(store, (rows, before) => {
    for (const key of before.keys()) {
      const row = rows[key];
      if (!row?.mine) continue;
      const seen = reported.get(key);
      if (isFinal(row.state) && seen !== 'finished') {
        if (!seen && row.upid) emit({ type: 'started', row });
        reported.set(key, 'finished');
        emit({ type: 'finished', row });
      } else if (!seen && row.upid) {
        reported.set(key, 'started');
        emit({ type: 'started', row });
      }
    }
  });

  const tracker: TaskTracker = {
    store,
    poller,
    track(upid, trackOptions = {}) {
      const parsed = parseUpid(upid);
      const now = clock.now();
      let key = '';
      store.getState().update((tx) => {
        const existing = tx.keyOf(upid);
        if (existing) {
          const row = tx.row(existing)!;
          if (!row.mine) tx.patch(existing, { mine: true, deadline: now + (trackOptions.timeoutMs ?? defaultTimeoutFor(parsed.type)) });
          key = existing;
          return;
        }
        key = tx.add({
          upid,
          mine: true,
          firstSeenAt: now,
          deadline: now + (trackOptions.timeoutMs ?? defaultTimeoutFor(parsed.type)),
          description: trackOptions.label ?? describeTask(parsed.type, parsed.id),
          ...(trackOptions.guestName ? { guestName: trackOptions.guestName } : {}),
          ...(trackOptions.vmids ? { vmids: trackOptions.vmids } : {}),
        });
      });
      // Report a row that was already final or known before the next store change.
      const row = store.getState().rows[key]!;
      if (!reported.has(key)) {
        reported.set(key, 'started');
        emit({ type: 'started', row });
      }
      if (isFinal(row.state) && reported.get(key) !== 'finished') {
        reported.set(key, 'finished');
        emit({ type: 'finished', row });
      }
      return key;
    },
    summary() {
      const summary: TrackerSummary = { total: 0, running: 0, queued: 0, ok: 0, warnings: 0, failed: 0, timeout: 0, unknown: 0 };
      for (const row of mineRows()) {
        summary.total++;
        summary[row.state as TaskState]++;
      }
      return summary;
    },
    waitForAll({ signal } = {}) {
      const rowsOf = mineRows;
      const done = () => rowsOf().every((row) => isFinal(row.state));
      if (done()) return Promise.resolve(rowsOf());
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
          resolve(rowsOf());
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
      await poller.stop();
      await options.session?.close();
    },
  };
  return tracker;
}
