/**
 * The per-guest block of the detail view for a backup job (one vzdump task for several guests): what
 * became of each guest. Once the task is final the poller has read the whole log into `guestResults`;
 * while it runs (or for someone else's job) the log tail read for the detail view says as much as is
 * known so far. Pure, so the detail view and the log's page size agree on the block's height.
 */
import { parseBackupResults } from '../tasks/backup-log.js';
import type { FinalOutcome, GuestResult, TaskRow, TaskStoreState } from '../tasks/store.js';
import { formatElapsed } from '../util/duration.js';
import { fit } from './format.js';
import { DETAIL_FIELD_LINES } from './layout.js';
import { logLines } from './visible.js';

export type GuestProgress = FinalOutcome | 'running' | 'waiting';

export interface GuestEntry {
  vmid: number;
  name?: string;
  outcome: GuestProgress;
  message?: string;
  /** The guest's own backup time, from the log. */
  durationSeconds?: number;
}

export interface GuestBlock {
  entries: GuestEntry[];
  /** Lines the block takes (heading included); 0 when the task is not a backup job. */
  height: number;
  /** Entries shown; the rest are summed up on the last line. */
  shown: number;
}

const NONE: GuestBlock = { entries: [], height: 0, shown: 0 };

const STARTING = /^INFO: Starting Backup of VM (\d+) /;

/** A vzdump task that acts on several guests, or a job whose guests only its log names. */
export function isBackupJob(row: TaskRow): boolean {
  return row.type === 'vzdump' && (row.vmids.length > 1 || row.taskId === '');
}

export function guestEntries(row: TaskRow, state: Pick<TaskStoreState, 'guests' | 'focusLog'>): GuestEntry[] {
  if (!isBackupJob(row)) return [];
  const lines = logLines(state as TaskStoreState, row.key);
  let results: Readonly<Record<number, GuestResult>> | undefined = row.guestResults;
  let current: number | undefined;
  if (!results) {
    // Not final yet: the guests the log already reports on; the one it started last is running.
    results = parseBackupResults(lines, [], 'unknown');
    for (const line of lines) {
      const match = STARTING.exec(line);
      if (match) current = Number(match[1]);
    }
  }
  const vmids = new Set<number>(row.vmids);
  for (const vmid of Object.keys(results)) vmids.add(Number(vmid));
  if (current !== undefined) vmids.add(current);
  return [...vmids]
    .sort((a, b) => a - b)
    .map((vmid) => {
      const result = results[vmid];
      const name = state.guests[vmid]?.name;
      const entry: GuestEntry = { vmid, outcome: result?.outcome ?? (vmid === current && row.state === 'running' ? 'running' : 'waiting') };
      if (name) entry.name = name;
      if (result?.message) entry.message = result.message;
      if (result?.durationSeconds !== undefined) entry.durationSeconds = result.durationSeconds;
      return entry;
    });
}

/**
 * The block for the detail view's `height` lines: a heading and one line per guest, at most half of
 * what the task fields leave, so the log keeps the other half; guests that do not fit are summed up.
 */
export function guestBlock(row: TaskRow | undefined, state: Pick<TaskStoreState, 'guests' | 'focusLog'>, height: number): GuestBlock {
  if (!row) return NONE;
  const entries = guestEntries(row, state);
  if (entries.length === 0) return NONE;
  const room = Math.max(2, Math.floor((height - DETAIL_FIELD_LINES) / 2));
  const wanted = 1 + entries.length;
  if (wanted <= room) return { entries, height: wanted, shown: entries.length };
  return { entries, height: room, shown: Math.max(0, room - 2) };
}

/** Room for a guest's time, right-aligned, so that the reasons after it line up: `1h 02m`. */
const DURATION_WIDTH = 7;

/**
 * What follows a guest's outcome on its line: its own time, then PVE's reason or the warnings:
 * `    31s` or `1m 02s  job failed with err -5`. '' while it waits or runs.
 */
export function guestDetail(entry: GuestEntry, ellipsis: string): string {
  const time = entry.durationSeconds !== undefined ? formatElapsed(entry.durationSeconds * 1000) : '';
  if (!time && !entry.message) return '';
  return `${fit(time, DURATION_WIDTH, ellipsis, 'right')}${entry.message ? `  ${entry.message}` : ''}`;
}
