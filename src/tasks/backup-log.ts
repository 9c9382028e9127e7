/**
 * Per-guest results of a vzdump job, read from its log: PVE runs one task for all the guests of a node
 * and only says `job errors` (or `WARNINGS: n`) at the end; the log says what became of each guest and
 * how long it took (pve-manager PVE/VZDump.pm):
 *
 *   INFO: Starting Backup of VM 101 (qemu)
 *   INFO: Backup started at 2026-03-02 01:00:02
 *   WARN: ...                                     (a warning for the guest being backed up)
 *   INFO: Finished Backup of VM 101 (00:00:31)    (its own duration)
 *   ERROR: Backup of VM 103 failed - <reason>
 *   INFO: Failed at 2026-03-02 01:02:53           (with "Backup started at": its duration)
 *
 * Lines may carry a prefix (a timestamp, the guest id of a notification, a log file name).
 * This module imports nothing of the store, so the store may take `GuestResult` from here.
 */
import { stampSecondsOf } from './progress/units.js';

/** A guest's outcome; the final outcomes of the store (`FinalOutcome`). */
export type GuestOutcome = 'ok' | 'warnings' | 'failed' | 'unknown';

export interface GuestResult {
  outcome: GuestOutcome;
  /** The warnings (joined with `; `) or PVE's reason for the failure. */
  message?: string;
  /** How many warnings the guest's backup logged (its own `WARNINGS: N`). */
  warningCount?: number;
  /** The guest's own backup time, seconds. */
  durationSeconds?: number;
}

const STARTING = /(?:^|\s)INFO: Starting Backup of VM (\d+) /;
const STARTED_AT = /(?:^|\s)INFO: Backup started at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)/;
const FINISHED = /(?:^|\s)INFO: Finished Backup of VM (\d+) \((\d+):(\d\d):(\d\d)\)/;
const FAILED = /(?:^|\s)ERROR: Backup of VM (\d+) failed - (.*)$/;
const FAILED_AT = /(?:^|\s)INFO: Failed at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)/;
const WARNING = /(?:^|\s)WARN: (.*)$/;
const ERROR = /(?:^|\s)ERROR: (.*)$/;

/**
 * Results for the guests whose backup ended in the log, plus `vmids`: one of those the log says nothing
 * about, or whose backup never ended there (an interrupted job, a log we could not read whole), gets the
 * task's own outcome, with the last error of its backup as the message when there was one. A guest still
 * being backed up is not in the result unless it is in `vmids`.
 */
export function parseBackupResults(
  lines: readonly string[],
  vmids: readonly number[],
  taskOutcome: GuestOutcome,
): Record<number, GuestResult> {
  const results: Record<number, GuestResult> = {};
  const lastErrors = new Map<number, string>();
  let current: { vmid: number; startedAt?: number; warnings: string[] } | undefined;
  let lastFailed: { vmid: number; startedAt?: number } | undefined;
  for (const line of lines) {
    let m: RegExpExecArray | null;
    if ((m = STARTING.exec(line))) {
      current = { vmid: Number(m[1]), warnings: [] };
    } else if ((m = STARTED_AT.exec(line))) {
      if (current) current.startedAt = stampSecondsOf(m[1]!);
    } else if ((m = FINISHED.exec(line))) {
      const vmid = Number(m[1]);
      const warnings = current?.vmid === vmid ? current.warnings : [];
      const result: GuestResult =
        warnings.length > 0 ? { outcome: 'warnings', message: warnings.join('; '), warningCount: warnings.length } : { outcome: 'ok' };
      result.durationSeconds = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
      results[vmid] = result;
      current = undefined;
    } else if ((m = FAILED.exec(line))) {
      const vmid = Number(m[1]);
      results[vmid] = { outcome: 'failed', message: m[2]! };
      lastFailed = { vmid, ...(current?.vmid === vmid && current.startedAt !== undefined && { startedAt: current.startedAt }) };
      current = undefined;
    } else if ((m = FAILED_AT.exec(line))) {
      const failedAt = stampSecondsOf(m[1]!);
      const result = lastFailed && results[lastFailed.vmid];
      if (result && lastFailed?.startedAt !== undefined && failedAt !== undefined) result.durationSeconds = failedAt - lastFailed.startedAt;
      lastFailed = undefined;
    } else if ((m = WARNING.exec(line))) {
      current?.warnings.push(m[1]!);
    } else if ((m = ERROR.exec(line))) {
      if (current) lastErrors.set(current.vmid, m[1]!);
    }
  }
  for (const vmid of vmids) {
    const error = lastErrors.get(vmid);
    results[vmid] ??= error ? { outcome: taskOutcome, message: error } : { outcome: taskOutcome };
  }
  return results;
}

const SUMMARY_ORDER: readonly GuestOutcome[] = ['ok', 'warnings', 'failed', 'unknown'];

/** One line for a job's row: `2 ok, 1 warnings, 1 failed` (outcomes with no guest left out). */
export function summarizeGuestResults(results: Readonly<Record<number, GuestResult>>): string {
  const counts = new Map<GuestOutcome, number>();
  for (const result of Object.values(results)) counts.set(result.outcome, (counts.get(result.outcome) ?? 0) + 1);
  return SUMMARY_ORDER.filter((outcome) => counts.has(outcome))
    .map((outcome) => `${counts.get(outcome)} ${outcome}`)
    .join(', ');
}
