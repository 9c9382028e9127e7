/**
 * What must be read after PVE reports a task's end before its row is final: an HA start counts once
 * the guest runs; a shutdown or stop once /cluster/resources shows the guest stopped, a migration once it
 * shows the guest on its target (running again there if it ran), a reboot once the guest runs with an
 * uptime shorter than the time since the launch (a list read before the reboot cannot pass for one
 * after it); a snapshot once it is in the guest's snapshot list; a multi-guest backup gets its per-guest
 * results from its log. A check that cannot be read is tried again next cycle (the deadline still
 * applies).
 */
import { readSnapshotNames, readTaskLog } from '../answers.js';
import { parseBackupResults } from '../backup-log.js';
import { classifyExitStatus } from '../exit-status.js';
import { activeRowsOf, type PostCheck, type TaskRow } from '../store.js';
import type { PollContext } from './context.js';

/** Post-checks that wait for /cluster/resources to show the guest as it should be. */
export function isGuestCheck(check: PostCheck): boolean {
  return check.kind === 'guest-running' || check.kind === 'guest-state';
}

function guestAsExpected(ctx: PollContext, check: Extract<PostCheck, { kind: 'guest-running' | 'guest-state' }>): boolean {
  const guest = ctx.store.getState().guests[check.vmid];
  if (!guest) return false;
  const status = check.kind === 'guest-running' ? 'running' : check.status;
  if (status !== undefined && guest.status !== status) return false;
  if (check.kind === 'guest-running') return true;
  if (check.node !== undefined && guest.node !== check.node) return false;
  if (check.bootedAfter !== undefined) {
    const { seconds, readAt } = ctx.guestUptimes;
    const uptime = seconds.get(check.vmid);
    if (uptime === undefined || uptime * 1000 > readAt - check.bootedAfter) return false;
  }
  return true;
}

/** Rows whose task ended and that wait for a post-check. */
export function postCheckRows(ctx: PollContext): TaskRow[] {
  return activeRowsOf(ctx.store.getState(), 'mine').filter(
    (row) => row.state === 'running' && row.exitStatus !== undefined && row.postCheck,
  );
}

export async function runPostChecks(ctx: PollContext, signal?: AbortSignal): Promise<void> {
  const { clock, store } = ctx;
  for (const row of postCheckRows(ctx)) {
    const check = row.postCheck!;
    const outcome = classifyExitStatus(row.exitStatus);
    const ended = { exitStatus: row.exitStatus, ...(row.endedAt !== undefined ? { endedAt: row.endedAt } : {}) };
    try {
      if (check.kind === 'guest-running' || check.kind === 'guest-state') {
        // The guest list is refreshed every cycle while such a check waits (see resourcesDue).
        // It ended when the guest was seen as it should be, not when the request did.
        if (guestAsExpected(ctx, check)) {
          store.getState().update((tx) => tx.finish(row.key, outcome, { ...ended, endedAt: clock.now() }));
        }
      } else if (check.kind === 'snapshot-exists') {
        const names = await readSnapshotNames(ctx.client, check, ctx.requestInit(signal));
        ctx.malformed(`/nodes/${check.node}/${check.guestType}/${check.vmid}/snapshot`, names.malformed);
        store.getState().update((tx) => {
          if (names.items.includes(check.snapname)) tx.finish(row.key, outcome, ended);
          else {
            tx.finish(row.key, 'failed', {
              ...ended,
              message: `task ended ${row.exitStatus}, but snapshot '${check.snapname}' is not in the snapshot list of ${check.vmid}`,
              endedAt: row.endedAt ?? clock.now(),
            });
          }
        });
      } else {
        const log = await readTaskLog(ctx.client, row.node, row.upid!, { limit: 0 }, ctx.requestInit(signal));
        const guestResults = parseBackupResults(log.lines, row.vmids, outcome);
        store.getState().update((tx) => tx.finish(row.key, outcome, { ...ended, guestResults }));
      }
    } catch {
      // tried again next cycle
    }
  }
}
