/** How poll answers change rows: a task's end, deadlines, other users' tasks joining and leaving. */
import { classifyExitStatus } from '../exit-status.js';
import { activeRowsOf, isFinal, type FinalOutcome, type TaskRow, type TaskStore, type TaskTransaction } from '../store.js';

/** Rows of other users kept in the cluster scope; the oldest finished go first. */
const MAX_FOREIGN_ROWS = 2000;

/** PVE says the task ended with `exitStatus`: finish the row, or hold it for its post-check. */
export function applyEnd(tx: TaskTransaction, row: TaskRow, exitStatus: string, endedAt: number): void {
  if (isFinal(row.state) && row.state !== 'timeout') return;
  if (row.state === 'timeout' && row.lateOutcome !== undefined) return;
  const outcome: FinalOutcome = classifyExitStatus(exitStatus);
  const succeeded = outcome === 'ok' || outcome === 'warnings';
  if (row.postCheck && row.state === 'running' && (succeeded || row.postCheck.kind === 'backup-guests')) {
    // Stays running with its exit status noted; the post-checks decide.
    tx.patch(row.key, { exitStatus, endedAt, pollError: undefined });
    return;
  }
  tx.finish(row.key, outcome, { exitStatus, endedAt });
}

/** Mine rows past their deadline count as timed out (the task may still run on the server). */
export function applyDeadlines(store: TaskStore, now: number): void {
  const overdue = activeRowsOf(store.getState(), 'mine')
    .filter((row) => row.state === 'running' && row.deadline !== undefined && row.deadline <= now)
    .map((row) => row.key);
  if (overdue.length === 0) return;
  store.getState().update((tx) => {
    for (const key of overdue) tx.timeOut(key);
  });
}

/** Adds another user's (or an earlier session's) task seen in a listing. */
export function adoptForeign(tx: TaskTransaction, upid: string, now: number): string {
  return tx.add({ upid, mine: false, firstSeenAt: now });
}

export function trimForeign(tx: TaskTransaction): void {
  const isOldForeign = (row: TaskRow) => !row.mine && isFinal(row.state);
  let count = 0;
  for (const row of tx.allRows()) if (isOldForeign(row)) count++;
  if (count <= MAX_FOREIGN_ROWS) return;
  const foreign = [...tx.allRows()].filter(isOldForeign);
  foreign.sort((a, b) => (a.endedAt ?? a.firstSeenAt) - (b.endedAt ?? b.firstSeenAt));
  for (const row of foreign.slice(0, foreign.length - MAX_FOREIGN_ROWS)) tx.remove(row.key);
}

/** Puts guest names on the rows. */
export function nameRows(tx: TaskTransaction, guests: Readonly<Record<number, { name?: string }>>): void {
  for (const row of tx.allRows()) {
    if (row.vmids.length === 0) continue;
    if (row.vmids.length === 1) {
      // Most rows: one guest, checked without building anything.
      const name = guests[row.vmids[0]!]?.name;
      if (name && name !== row.guestName) tx.patch(row.key, { guestName: name });
      continue;
    }
    const names = row.vmids
      .map((vmid) => guests[vmid]?.name)
      .filter(Boolean)
      .join(', ');
    if (names && names !== row.guestName) tx.patch(row.key, { guestName: names });
  }
}
