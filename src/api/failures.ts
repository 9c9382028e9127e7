/**
 * What a failed request means for trying again, decided in one place for every loop that retries
 * (util/backoff.ts): a passing failure may not recur, an unreachable node or endpoint may come back,
 * anything else is final (PVE refused, a permission, bad input).
 */
import { AnswerTooDeepError, AnswerTooLargeError } from './answer-limits.js';
import { PveApiError, isNodeUnreachable } from './errors.js';

export type FailureKind = 'passing' | 'unreachable' | 'final';

export function failureKind(error: unknown): FailureKind {
  if (!(error instanceof PveApiError)) return 'final';
  // An answer refused by our limits would be refused again: fetching it once more only costs 32 MiB.
  if (error.cause instanceof AnswerTooLargeError || error.cause instanceof AnswerTooDeepError) return 'final';
  // Nothing reached the server, or no answer came: the node or our endpoint is away.
  if ((error.kind === 'connection' && error.notSent) || error.kind === 'timeout') return 'unreachable';
  if (isNodeUnreachable(error) && error.kind === 'http') return 'unreachable';
  // Answered, but this answer may not recur: a 5xx (PVE's `ipcc_send_rec failed` while pmxcfs is
  // busy), something that is not JSON, a connection cut mid-answer. 501 is PVE saying "no such call".
  if (error.kind === 'protocol' || error.kind === 'connection') return 'passing';
  if (error.kind === 'http' && error.status >= 500 && error.status !== 501) return 'passing';
  return 'final';
}

/** Worth trying again within a deadline: anything but a final failure. */
export function isTransientError(error: unknown): boolean {
  return failureKind(error) !== 'final';
}

/** True for PVE's answer about a UPID its node has no log for: 400 with `upid: no such task`. */
export function isNoSuchTask(error: unknown): boolean {
  if (!(error instanceof PveApiError) || error.status !== 400) return false;
  const upidError = error.errors?.upid ?? '';
  return /no such task/i.test(upidError) || /no such task/i.test(error.message) || /no such task/i.test(error.reason);
}
