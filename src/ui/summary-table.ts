/**
 * The exit summary as a bordered table (ink-table), for a session short enough to fit the screen: one
 * row per task, in the compact form's order, with its state (glyph and word), its cluster (over
 * several), the task and its guest, the node, the time, what PVE said and the UPID. When the terminal is too narrow for all of them,
 * columns go in this order: the UPID (`--report` has it), the node, the time, then PVE's words; before
 * a column goes, the task and PVE's words are cut to a minimum. The state is never cut, so "failed" and
 * "timed out" always read whole; a terminal too narrow for the state and the task gets the compact form.
 */
import { clusterOfKey } from '../tasks/cluster-view.js';
import type { TaskRow, TaskState } from '../tasks/store.js';
import { borderedWidth, naturalWidth, renderBorderedTable, type BorderedColumn } from './bordered-table.js';
import { STATE_WORDS, elapsedText, outcomeText, taskTitle, textWidth } from './format.js';
import type { Theme } from './theme.js';

type Column = 'state' | 'cluster' | 'task' | 'node' | 'time' | 'outcome' | 'upid';

/** `cluster` only over several clusters: a column with nothing in it is not drawn. */
const COLUMNS: readonly Column[] = ['state', 'cluster', 'task', 'node', 'time', 'outcome', 'upid'];
const HEADINGS: Readonly<Record<Column, string>> = {
  state: 'STATE',
  cluster: 'CLUSTER',
  task: 'TASK',
  node: 'NODE',
  time: 'TIME',
  outcome: 'OUTCOME',
  upid: 'UPID',
};
/** Given up one after the other, least useful first, while the table is too wide. */
const GIVE_UP: readonly Column[] = ['upid', 'node', 'time', 'outcome'];
/** Cut no shorter than this (or their whole width when less) before another column is given up. */
const MIN_WIDTH: Partial<Record<Column, number>> = { task: 16, outcome: 12 };
/** Room left over goes to these, shared, up to their whole width. */
const GROWS: readonly Column[] = ['task', 'outcome'];

export interface SummaryTableOptions {
  columns: number;
  color: boolean;
  now: number;
  /** The board's theme, with colour as asked and Unicode glyphs. */
  theme: Theme;
}

function cellsOf(row: TaskRow, theme: Theme, now: number): Record<Column, string> {
  const word =
    row.state === 'timeout' && row.lateOutcome ? `${STATE_WORDS.timeout}, then ${STATE_WORDS[row.lateOutcome]}` : STATE_WORDS[row.state];
  return {
    state: `${theme.glyph[row.state]} ${word}`,
    // Over several clusters the row's key names its cluster (cluster-view.ts).
    cluster: clusterOfKey(row.key) ?? '',
    task: taskTitle(row),
    node: row.node,
    time: elapsedText(row, now),
    outcome: outcomeText(row, now) || (row.state === 'running' ? 'still running' : ''),
    upid: row.upid ?? '',
  };
}

/** The widths of the columns kept for `columns`, in table order; undefined when not even the state and the task fit. */
function layout(cells: readonly Record<Column, string>[], columns: number): Map<Column, number> | undefined {
  const cellsIn = (column: Column) => cells.map((line) => line[column]);
  const whole = new Map(COLUMNS.map((column) => [column, naturalWidth(HEADINGS[column], cellsIn(column))]));
  // A column with nothing in it (no UPID at all: every launch was refused) is not drawn.
  const kept = COLUMNS.filter((column) => column === 'state' || column === 'task' || cells.some((line) => line[column] !== ''));
  const least = (column: Column) => Math.min(whole.get(column)!, Math.max(MIN_WIDTH[column] ?? Infinity, textWidth(HEADINGS[column])));
  for (let given = 0; given <= GIVE_UP.length; given++) {
    const shown = kept.filter((column) => !GIVE_UP.slice(0, given).includes(column));
    const widths = new Map(shown.map((column) => [column, least(column)]));
    let room = columns - borderedWidth([...widths.values()]);
    if (room < 0) continue;
    // The room left goes to the task and PVE's words alike: one column at a time to the narrower one.
    for (; room > 0; room--) {
      const growing = GROWS.filter((column) => widths.has(column) && widths.get(column)! < whole.get(column)!);
      if (growing.length === 0) break;
      const narrowest = growing.reduce((a, b) => (widths.get(b)! < widths.get(a)! ? b : a));
      widths.set(narrowest, widths.get(narrowest)! + 1);
    }
    return widths;
  }
  return undefined;
}

/**
 * The table for `ordered` (already in the summary's order), or undefined when the terminal is too
 * narrow for it. No trailing newline.
 */
export function summaryTable(ordered: readonly TaskRow[], options: SummaryTableOptions): string | undefined {
  const { theme, now } = options;
  const cells = ordered.map((row) => cellsOf(row, theme, now));
  const widths = layout(cells, options.columns);
  if (!widths) return undefined;
  const shown = [...widths.keys()];
  const columns: BorderedColumn[] = shown.map((column) => ({
    heading: HEADINGS[column],
    width: widths.get(column)!,
    ...(column === 'time' ? { align: 'right' as const } : {}),
  }));
  const stateOf = new Map<string, TaskState>(ordered.map((row, i) => [cells[i]!.state, row.state]));
  return renderBorderedTable(
    columns,
    cells.map((line) => shown.map((column) => line[column])),
    {
      color: options.color,
      ellipsis: theme.ellipsis,
      // The state in its colour (and the glyph and word say it without colour).
      tone: (column, text) => (shown[column] === 'state' && stateOf.has(text) ? theme.colorOf(stateOf.get(text)!) : undefined),
    },
  );
}
