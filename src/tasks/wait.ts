/**
 * Reading and waiting for one task: `isTaskRunning`, `getTaskExitStatus` and `waitForTask`.
 *
 * Unlike the reference libraries (task-tools-anchors.md), the wait always asks the node named in the
 * UPID, never has two requests in flight (one sequential loop on the clock), retries transient failures
 * with backoff inside its deadline instead of giving up or spinning, and returns a classified outcome:
 * `WARNINGS: N` is a success, a timeout is reported as such and leaves the task running.
 */
import type { PveClient } from '../api/client.js';
import type { PveApiError } from '../api/errors.js';
import { failureKind, isNoSuchTask } from '../api/failures.js';
import { backoffDelay } from '../util/backoff.js';
import { systemClock, type Clock } from '../util/clock.js';
import { readTaskStatus, type TaskStatusAnswer } from './answers.js';
import { classifyExitStatus, type TaskOutcome } from './exit-status.js';
import { parseUpid } from './upid.js';

export type TaskStatus = TaskStatusAnswer;

export interface TaskReadOptions {
  signal?: AbortSignal;
  /** Overrides the client's request timeout. */
  timeoutMs?: number;
}

/** True while the task runs. PVE errors (a node that cannot be reached, no such task) are thrown. */
export async function isTaskRunning(client: PveClient, upid: string, options: TaskReadOptions = {}): Promise<boolean> {
  return (await readTaskStatus(client, upid, options)).status === 'running';
}

/**
 * The task's exit status: `''` while it runs, else PVE's string (`OK`, `WARNINGS: N`, the error
 * message, `unexpected status`). Classify it with classifyExitStatus.
 */
export async function getTaskExitStatus(client: PveClient, upid: string, options: TaskReadOptions = {}): Promise<string> {
  const status = await readTaskStatus(client, upid, options);
  return status.status === 'running' ? '' : (status.exitstatus ?? 'unexpected status');
}

export interface TaskWaitUpdate {
  upid: string;
  /** Time since the wait began. */
  elapsedMs: number;
  /** The status read, or undefined when this attempt failed (see `error`). */
  status?: TaskStatus;
  /** A transient failure that will be retried. */
  error?: PveApiError;
}

export interface WaitForTaskOptions {
  /** Time between two status reads (after the previous one answered). Default 500 ms. */
  intervalMs?: number;
  /** How long to wait in all; `Infinity` waits until the task ends. Default 10 s. */
  timeoutMs?: number;
  /** Aborting rejects the wait with the signal's reason (the task keeps running). */
  signal?: AbortSignal;
  /** Called after every status read and every retried failure. */
  onUpdate?: (update: TaskWaitUpdate) => void;
  clock?: Clock;
  /** On timeout, also stop the task (`DELETE /nodes/{node}/tasks/{upid}`, sent once). */
  stopOnTimeout?: boolean;
}

export interface WaitForTaskResult {
  outcome: TaskOutcome;
  /** PVE's exit status; null when there is none (timeout, or PVE does not know the task). */
  exitStatus: string | null;
  /** Time from the start of the wait to its end, on the given clock. */
  durationMs: number;
  /** On timeout: whether the task was stopped on request (stopOnTimeout). */
  stopped?: boolean;
  /** On timeout: why stopping failed, if it did. */
  stopError?: unknown;
  /** On timeout: the failure of the last attempt, when the node could not be reached until the end. */
  lastError?: PveApiError;
}

export const DEFAULT_WAIT_INTERVAL_MS = 500;
export const DEFAULT_WAIT_TIMEOUT_MS = 10_000;
/** Retries back off from the interval up to this, and never past the deadline. */
export const MAX_RETRY_DELAY_MS = 10_000;
/** A status read gets at least this long, even just before the deadline. */
const MIN_REQUEST_TIMEOUT_MS = 1_000;
/** Below this much time left, a read's timeout is cut to the time left; above, the client's own applies. */
const SHORTEN_REQUEST_BELOW_MS = 30_000;

/** Waits until the task ends or the deadline passes. See WaitForTaskOptions. */
export async function waitForTask(client: PveClient, upid: string, options: WaitForTaskOptions = {}): Promise<WaitForTaskResult> {
  const { node } = parseUpid(upid);
  const { signal, onUpdate, clock = systemClock, stopOnTimeout = false } = options;
  const intervalMs = positiveOr(options.intervalMs, DEFAULT_WAIT_INTERVAL_MS);
  const timeoutMs = positiveOr(options.timeoutMs, DEFAULT_WAIT_TIMEOUT_MS);
  const startedAt = clock.now();
  const deadline = startedAt + timeoutMs;
  const elapsed = () => clock.now() - startedAt;
  const throwIfAborted = () => {
    if (signal?.aborted) throw signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
  };

  let failures = 0;
  let lastError: PveApiError | undefined;
  for (;;) {
    throwIfAborted();
    const remaining = deadline - clock.now();
    let status: TaskStatus | undefined;
    try {
      status = await readTaskStatus(client, upid, {
        signal,
        // Near the deadline, shorten the read so that a hung node does not hold the wait long past it.
        ...(remaining < SHORTEN_REQUEST_BELOW_MS ? { timeoutMs: Math.max(MIN_REQUEST_TIMEOUT_MS, remaining) } : {}),
      });
    } catch (error) {
      throwIfAborted();
      if (isNoSuchTask(error)) return { outcome: 'unknown', exitStatus: null, durationMs: elapsed() };
      if (failureKind(error) === 'final') throw error;
      lastError = error as PveApiError;
      failures++;
    }

    if (status) {
      failures = 0;
      lastError = undefined;
      onUpdate?.({ upid, elapsedMs: elapsed(), status });
      if (status.status !== 'running') {
        const exitStatus = status.exitstatus ?? 'unexpected status';
        return { outcome: classifyExitStatus(exitStatus), exitStatus, durationMs: elapsed() };
      }
    } else {
      onUpdate?.({ upid, elapsedMs: elapsed(), error: lastError });
    }

    const now = clock.now();
    if (now >= deadline) {
      const result: WaitForTaskResult = { outcome: 'timeout', exitStatus: null, durationMs: elapsed() };
      if (lastError) result.lastError = lastError;
      if (stopOnTimeout) await stopTimedOutTask(client, node, upid, signal, result);
      return result;
    }
    // The next read after the interval, or later while retrying; the last read falls on the deadline.
    const delay = failures === 0 ? intervalMs : backoffDelay(failures, intervalMs, Math.max(intervalMs, MAX_RETRY_DELAY_MS));
    await clock.sleep(Math.min(delay, deadline - now), signal);
  }
}

async function stopTimedOutTask(
  client: PveClient,
  node: string,
  upid: string,
  signal: AbortSignal | undefined,
  result: WaitForTaskResult,
): Promise<void> {
  try {
    // Sent once: a DELETE is never retried on our own (DESIGN.md).
    await client.DELETE('/nodes/{node}/tasks/{upid}', { params: { path: { node, upid } }, signal });
    result.stopped = true;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    result.stopped = false;
    result.stopError = error;
  }
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && value > 0 && !Number.isNaN(value) ? value : fallback;
}
