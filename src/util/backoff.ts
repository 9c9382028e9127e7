/**
 * The one retry schedule: after `failures` failures in a row, wait `baseMs` doubled each time, up to
 * `maxMs`. Every loop that tries again (the poller's nodes, a launch's lookup, a command's one-off
 * reads, waitForTask) uses it, so they back off alike.
 */
import type { Clock } from './clock.js';

export function backoffDelay(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** (failures - 1));
}

export interface RetryOptions {
  clock: Clock;
  signal?: AbortSignal | undefined;
  /** Whether this failure may pass if tried again. */
  retryable(error: unknown): boolean;
  baseMs: number;
  maxMs: number;
  /** Tries after the first; default: no limit (then `giveUpAt` or the signal ends it). */
  retries?: number;
  /** Epoch ms: no try is started after this. */
  giveUpAt?: number;
  /** Stops waiting (as the failure) when this says so, e.g. the queue closed. */
  stop?: () => boolean;
}

/** Runs `work` until it succeeds or a failure is final; throws the last failure. */
export async function retrying<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let failures = 1; ; failures++) {
    try {
      return await work();
    } catch (error) {
      const delay = backoffDelay(failures, options.baseMs, options.maxMs);
      const exhausted = options.retries !== undefined && failures > options.retries;
      const late = options.giveUpAt !== undefined && options.clock.now() + delay > options.giveUpAt;
      if (exhausted || late || !options.retryable(error) || options.signal?.aborted || options.stop?.()) throw error;
      // Stopped while waiting: the last failure is the answer, not the abort.
      await options.clock.sleep(delay, options.signal).catch(() => {
        throw error;
      });
    }
  }
}
