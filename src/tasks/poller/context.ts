/** What every part of the poller shares: its options, the client, the store, the clock. */
import { AnswerTooDeepError, AnswerTooLargeError } from '../../api/answer-limits.js';
import { PveApiError, type PveClient } from '../../api/index.js';
import type { Clock } from '../../util/clock.js';
import type { ReadInit } from '../answers.js';
import type { Scope, TaskRow, TaskStore } from '../store.js';

export interface PollerOptions {
  client: PveClient;
  store: TaskStore;
  clock: Clock;
  intervalMs: number;
  /** `cluster`: other users' tasks join the registry too (the board). */
  scope: Scope;
  /** Keep polling timed-out tasks to record their late outcome (the board); commands stop (false). */
  watchAfterTimeout: boolean;
  /** Guest names and states: refresh period, 0 for never. Default 10 s. */
  resourcesEveryMs?: number;
  /** Detail view cadence. Default 1 s. */
  focusEveryMs?: number;
  /** Per-request timeout for polls. Default: the client's. */
  requestTimeoutMs?: number;
  /** Cap on backoff for a failing node. Default 60 s. */
  maxBackoffMs?: number;
  /** Called at the start of every cycle (the runtime reads other windows' session files there). */
  onCycle?: () => void;
  /** Told when an answer held items of the wrong shape (they were skipped): `what` names the request. */
  onMalformed?: (what: string, count: number) => void;
}

export interface PollContext {
  readonly options: PollerOptions;
  readonly client: PveClient;
  readonly store: TaskStore;
  readonly clock: Clock;
  /** The signal and timeout every poll request carries. */
  requestInit(signal?: AbortSignal): ReadInit;
  /** Reports skipped items of an answer (nothing when `count` is 0). */
  malformed(what: string, count: number): void;
  /** Whether the poller still follows this row's task. */
  isWatched(row: TaskRow): boolean;
  /** Each guest's uptime (seconds) as the last /cluster/resources read stated it, and when that read was made. */
  guestUptimes: { seconds: ReadonlyMap<number, number>; readAt: number };
}

export function createPollContext(options: PollerOptions): PollContext {
  return {
    options,
    client: options.client,
    store: options.store,
    clock: options.clock,
    requestInit(signal) {
      const init: ReadInit = {};
      if (signal) init.signal = signal;
      if (options.requestTimeoutMs) init.timeoutMs = options.requestTimeoutMs;
      return init;
    },
    malformed(what, count) {
      if (count > 0) options.onMalformed?.(what, count);
    },
    guestUptimes: { seconds: new Map(), readAt: -Infinity },
    isWatched(row) {
      if (!row.upid) return false;
      if (row.state === 'running') return row.exitStatus === undefined; // else: a post-check is pending
      return row.state === 'timeout' && options.watchAfterTimeout && row.lateOutcome === undefined;
    },
  };
}

export function isAbort(error: unknown): boolean {
  return (error instanceof PveApiError && error.kind === 'aborted') || (error as Error)?.name === 'AbortError';
}

/**
 * What went wrong, first: it is clipped to the header's width, so no `GET /nodes/.../status: ` in
 * front of it (the node is named beside it anyway).
 */
export function shortError(error: unknown): string {
  if (error instanceof PveApiError) {
    if (error.status) return `${error.status} ${error.reason || error.message}`.trim();
    if (error.kind === 'timeout') return 'no answer (timeout)';
    if (error.kind === 'protocol') {
      // An answer our limits refused says so (`larger than 32 MiB`); any other is simply not PVE's JSON.
      const { cause } = error;
      const limit = cause instanceof AnswerTooLargeError || cause instanceof AnswerTooDeepError;
      return limit ? `an ${cause.message}; refused` : 'an answer that is not PVE JSON';
    }
    if (error.kind === 'connection') {
      if (error.reason === 'ECONNREFUSED') return 'connection refused';
      if (['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'].includes(error.reason)) {
        return `connection cut before the answer (${error.reason})`;
      }
    }
    const request = `${error.method} ${error.path}: `;
    return error.message.startsWith(request) ? error.message.slice(request.length) : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
