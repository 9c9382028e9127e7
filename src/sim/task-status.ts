/** How a simulated task's state reads in PVE's lists and logs: its end line, user fields and status class. */
import { splitAuthId } from '../tasks/upid.js';
import type { SimTask } from './engine.js';

/** The last line PVE's fork_worker writes for an exit status (none for "unexpected status"). */
export function endLineFor(exitStatus: string): string | undefined {
  if (exitStatus === 'OK') return 'TASK OK';
  if (/^WARNINGS: \d+$/.test(exitStatus)) return `TASK ${exitStatus}`;
  if (exitStatus === 'unexpected status') return undefined;
  return `TASK ERROR: ${exitStatus.replace(/\n/g, ' ').trimEnd()}`;
}

/** The `user` and `tokenid` fields PVE's task lists show (the token split off). */
export function taskUserFields(task: { user: string }): { user: string; tokenid?: string } {
  const { userid, tokenid } = splitAuthId(task.user);
  return tokenid === undefined ? { user: userid } : { user: userid, tokenid };
}

/** PVE's normalize_status_type: ok, warning, error, unknown (running tasks are unknown). */
export function statusType(task: SimTask): 'ok' | 'warning' | 'error' | 'unknown' {
  const status = task.exitStatus;
  if (task.running || status === undefined || status === '' || status === 'unexpected status') return 'unknown';
  if (status === 'OK') return 'ok';
  if (/^WARNINGS: \d+$/.test(status)) return 'warning';
  return 'error';
}
