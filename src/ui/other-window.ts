/**
 * How a row of another pvetasks window (another live session of this cluster and user, see
 * tasks/session-others.ts) is marked: `[w2]` before its title in the list, spelled out in the detail
 * view. A static mark: no colour needed to tell it.
 */
import type { TaskRow } from '../tasks/store.js';
import { taskTitle } from './format.js';

/** `[w2] ` for a row of window 2, '' for any other row. */
export function windowMark(row: TaskRow): string {
  return row.window === undefined ? '' : `[w${row.window}] `;
}

/** The list's title: the mark, then the task. */
export function markedTitle(row: TaskRow): string {
  return `${windowMark(row)}${taskTitle(row)}`;
}

/** The detail view's title: `[window w2, read-only] VM 101 - Start web01`. */
export function detailTitle(row: TaskRow): string {
  return row.window === undefined ? taskTitle(row) : `[window w${row.window}, read-only] ${taskTitle(row)}`;
}
