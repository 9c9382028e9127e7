/**
 * Exit statuses as Proxmox VE classes them (pve-common `PVE::UPID::status_is_error` and
 * `normalize_status_type`): `OK` and `WARNINGS: N` are successes, an empty status or
 * `unexpected status` (the log ended without a `TASK ...` line: killed, crashed) is unknown, and every
 * other string is the error message of a failed task.
 */

export type ExitStatusClass = 'ok' | 'warnings' | 'failed' | 'unknown';

/** What a wait ends with: an exit-status class, or `timeout` when the client's deadline passed first. */
export type TaskOutcome = ExitStatusClass | 'timeout' | 'skipped';

const WARNINGS_RE = /^WARNINGS: \d+$/;

export function classifyExitStatus(exitStatus: string | undefined | null): ExitStatusClass {
  if (exitStatus === undefined || exitStatus === null || exitStatus === '') return 'unknown';
  if (exitStatus === 'OK') return 'ok';
  if (WARNINGS_RE.test(exitStatus)) return 'warnings';
  if (exitStatus === 'unexpected status') return 'unknown';
  return 'failed';
}

/** True for the outcomes PVE counts as success: `ok` and `warnings`. */
export function isSuccessfulOutcome(outcome: TaskOutcome): boolean {
  return outcome === 'ok' || outcome === 'warnings';
}

/** The number of warnings in `WARNINGS: N`, or undefined for any other status. */
export function warningCount(exitStatus: string | undefined | null): number | undefined {
  if (!exitStatus || !WARNINGS_RE.test(exitStatus)) return undefined;
  return Number(exitStatus.slice('WARNINGS: '.length));
}
