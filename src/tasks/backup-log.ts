/**
 * Per-guest results of a multi-guest vzdump job, read from its log: PVE runs one task for all the
 * guests of a node and only says `job errors` at the end; the log says which guest failed and why.
 *
 *   INFO: Starting Backup of VM 101 (qemu)
 *   WARN: ...                                    (a warning for the guest being backed up)
 *   INFO: Finished Backup of VM 101 (00:01:02)
 *   ERROR: Backup of VM 102 failed - <reason>
 */
import type { FinalOutcome, GuestResult } from './store.js';

const STARTING = /^INFO: Starting Backup of VM (\d+) /;
const FINISHED = /^INFO: Finished Backup of VM (\d+) /;
const FAILED = /^ERROR: Backup of VM (\d+) failed - (.*)$/;
const WARNING = /^WARN: (.*)$/;

/**
 * Results for `vmids`; a guest the log says nothing about gets the task's own outcome (an interrupted
 * job, a log we could not read).
 */
export function parseBackupResults(
  lines: readonly string[],
  vmids: readonly number[],
  taskOutcome: FinalOutcome,
): Record<number, GuestResult> {
  const results: Record<number, GuestResult> = {};
  const warnings = new Map<number, string[]>();
  let current: number | undefined;
  for (const line of lines) {
    let match: RegExpExecArray | null;
    if ((match = STARTING.exec(line))) {
      current = Number(match[1]);
    } else if ((match = FINISHED.exec(line))) {
      const vmid = Number(match[1]);
      const warned = warnings.get(vmid) ?? [];
      results[vmid] = warned.length > 0 ? { outcome: 'warnings', message: warned.join('; ') } : { outcome: 'ok' };
      current = undefined;
    } else if ((match = FAILED.exec(line))) {
      results[Number(match[1])] = { outcome: 'failed', message: match[2]! };
      current = undefined;
    } else if ((match = WARNING.exec(line)) && current !== undefined) {
      warnings.set(current, [...(warnings.get(current) ?? []), match[1]!]);
    }
  }
  for (const vmid of vmids) results[vmid] ??= { outcome: taskOutcome };
  return results;
}
