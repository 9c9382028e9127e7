/**
 * The summary of this session's tasks, printed on the normal screen after the board exits, failures
 * first (failed, unknown, timed out, still running), then a tally. Two forms:
 * - a bordered table (ink-table, src/ui/summary-table.ts) when the terminal is UTF-8 and the whole
 *   table, the tally and the board's line after it fit the screen above the prompt;
 * - otherwise (`--ascii`, a longer session, a terminal too narrow for the table) the compact form: one
 *   line per task, no box and no rule. A line holds the state (glyph and word), the guest, the task, its
 *   time and its UPID (or, for a launch that got none, why); at 80 columns the less useful columns go
 *   first, then the UPID is shortened in its middle. A list taller than the screen is summed up
 *   (`... and 180 more ok`): the full list is what `--report FILE` writes.
 *
 * Every cell is sanitized here (rows were sanitized where they entered the store; this costs little and
 * stands on its own), and widths are display columns, so CJK and emoji guest names align.
 */
import { clusterOfKey } from '../tasks/cluster-view.js';
import { byAttention } from '../tasks/report.js';
import { emptyTally, type TaskRow, type TaskState } from '../tasks/store.js';
import { sanitizeText } from '../util/sanitize.js';
import { borderedHeight } from './bordered-table.js';
import { STATE_WORDS, elapsedText, fit, outcomeText, tallyLine, tallyParts, taskTitle, textWidth } from './format.js';
import { summaryTable } from './summary-table.js';
import { createTheme } from './theme.js';

export interface SummaryOptions {
  ascii: boolean;
  color: boolean;
  columns: number;
  /** The terminal's height: the summary, the board's line after it and the prompt fit in it. Default 24. */
  rows?: number;
  /** For the time of tasks still running (default: the wall clock). */
  now?: number;
  /** Where `--report` writes the full list, when it was given. */
  reportPath?: string;
}

type Column = 'state' | 'guest' | 'task' | 'time' | 'id' | 'note';
/** `reason`: a launch without a UPID, in the id column beside its task column (which names it already). */
type Cells = Record<Column | 'reason', string>;

const ORDER: readonly Column[] = ['state', 'guest', 'task', 'time', 'id', 'note'];
/** Widest a guest or a task description gets before it is cut. */
const CAPS: Partial<Record<Column, number>> = { guest: 20, task: 26 };
/** A UPID shortened in its middle keeps at least this much (node and pid in front, type, id and user behind). */
const MIN_ID = 24;
const GAP = '  ';
/** Lines after the summary: the board's "N tasks keep running" line and the shell's prompt. */
const LINES_AFTER = 2;

const SGR: Readonly<Record<TaskState, string>> = {
  queued: '2',
  running: '36',
  ok: '32',
  warnings: '33',
  failed: '31',
  timeout: '35',
  unknown: '33',
  skipped: '2',
};

const clean = (text: string) => sanitizeText(text, { maxLength: 1024 });

function cellsOf(row: TaskRow, glyph: string, now: number): Cells {
  const outcome = clean(outcomeText(row, now) || (row.state === 'running' ? 'still running' : ''));
  const named = row.guestName ? clean(row.guestName) : row.vmids.join(',');
  // Over several clusters the row's key names its cluster: `bravo:web-01`, as CLUSTER:VMID is written.
  const cluster = clusterOfKey(row.key);
  const guest = cluster === undefined ? named : `${cluster}:${named}`;
  const word =
    row.state === 'timeout' && row.lateOutcome ? `${STATE_WORDS.timeout}, then ${STATE_WORDS[row.lateOutcome]}` : STATE_WORDS[row.state];
  return {
    state: `${glyph} ${word}`,
    guest,
    task: clean(row.description || `${row.type} ${row.taskId}`.trim()),
    time: elapsedText(row, now),
    // A launch that got no UPID (queued, refused, skipped) says what it was and why in its place.
    id: row.upid ? clean(row.upid) : [clean(taskTitle(row)), outcome].filter(Boolean).join(': '),
    reason: row.upid ? '' : outcome || '-',
    // What PVE said, when it says more than the state word: where the width allows (never at 80 columns).
    note: row.upid && outcome && outcome.toLowerCase() !== STATE_WORDS[row.state] ? outcome : '',
  };
}

/**
 * The widths of the columns kept for `columns`. The UPID is kept whole if dropping the other columns,
 * least useful first, makes room for it; only when the state and the UPID alone are too wide is it
 * shortened in its middle, and then the guest and the time come back as far as they leave it MIN_ID.
 */
function layout(lines: readonly Cells[], columns: number): Map<Column, number> {
  const widthOf = (cells: Cells, column: Column) => textWidth(cells[column]);
  // The id column is as wide as its longest UPID: a reason in place of one is cut to that (or, with no UPID at all, to the room left).
  const upids = lines.filter((cells) => isUpid(cells.id));
  const widest = (column: Column) =>
    Math.min(
      CAPS[column] ?? Infinity,
      Math.max(0, ...(column === 'id' && upids.length > 0 ? upids : lines).map((cells) => widthOf(cells, column))),
    );
  const all = new Map<Column, number>(ORDER.filter((column) => widest(column) > 0).map((column) => [column, widest(column)]));
  const total = (widths: Map<Column, number>) =>
    [...widths.values()].reduce((sum, width) => sum + width, 0) + GAP.length * (widths.size - 1);
  const widths = new Map(all);
  // Least useful first: PVE's words and the description (the report has them; the UPID names type
  // and id), the time, the guest (the UPID names its VMID).
  const dropOrder = ['note', 'task', 'time', 'guest'] as const;
  for (const column of dropOrder) {
    if (total(widths) <= columns) return widths;
    widths.delete(column);
  }
  if (total(widths) <= columns) return widths;
  // Not even the state and the whole UPID fit: shortened it is, so the guest and the time may as well show.
  for (const kept of [['guest', 'time'], ['guest'], []] as const) {
    const trial = new Map(widths);
    for (const column of kept) if (all.has(column)) trial.set(column, all.get(column)!);
    const ordered = new Map(ORDER.filter((column) => trial.has(column)).map((column) => [column, trial.get(column)!]));
    const room = (ordered.get('id') ?? 0) - (total(ordered) - columns);
    if (room >= MIN_ID || kept.length === 0) {
      ordered.set('id', Math.max(1, room));
      return ordered;
    }
  }
  return widths;
}

const isUpid = (text: string) => text.startsWith('UPID:');

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** `text` cut to `width` columns in its middle: `UPID:pve1:0002A1F3:…:101:root@pam!ci:`. */
function middle(text: string, width: number, ellipsis: string): string {
  if (textWidth(text) <= width) return text;
  const parts = [...graphemes.segment(text)].map((part) => part.segment);
  const room = width - textWidth(ellipsis);
  let head = '';
  let tail = '';
  let used = 0;
  for (let i = 0, j = parts.length - 1; i <= j;) {
    const front = used < Math.ceil(room / 2);
    const part = front ? parts[i]! : parts[j]!;
    if (used + textWidth(part) > room) break;
    used += textWidth(part);
    if (front) head += parts[i++];
    else tail = parts[j--] + tail;
  }
  return `${head}${ellipsis}${tail}`;
}

function lineOf(cells: Cells, state: TaskState, widths: Map<Column, number>, options: SummaryOptions, ellipsis: string): string {
  const kept = ORDER.filter((column) => widths.has(column));
  const text = kept.map((column, i) => {
    const width = widths.get(column)!;
    const value =
      column !== 'id' ? cells[column] : isUpid(cells.id) ? middle(cells.id, width, ellipsis) : widths.has('task') ? cells.reason : cells.id;
    const cell = fit(value, width, ellipsis, column === 'time' ? 'right' : 'left');
    const last = i === kept.length - 1;
    const shown = last ? cell.trimEnd() : cell;
    return column === 'state' && options.color ? `\u001b[${SGR[state]}m${shown}\u001b[0m` : shown;
  });
  return text.join(GAP).trimEnd();
}

/** `5 tasks: 1 ok, 1 failed, 2 still running` (the board says next that they keep running on the server). */
function sessionTally(rows: readonly TaskRow[]): string {
  const tally = emptyTally();
  for (const row of rows) tally[row.state] += 1;
  const ended = tallyParts(tally)
    .filter((part) => part.state !== 'running' && part.state !== 'queued')
    .map((part) => [part.count, part.label] as const);
  return tallyLine(rows.length, 'task', [...ended, [tally.running, 'still running'], [tally.queued, 'queued, not launched']]);
}

/**
 * How many of the ordered rows get a line when `room` lines are left for lines and `... and N more`
 * lines (one per state among those left out).
 */
function shownCount(rows: readonly TaskRow[], room: number): number {
  if (rows.length <= room) return rows.length;
  for (let shown = Math.min(room, rows.length); shown >= 0; shown--) {
    const left = new Set(rows.slice(shown).map((row) => row.state)).size;
    if (shown + left <= room) return shown;
  }
  return 0;
}

const MORE_WORDS: Readonly<Record<TaskState, string>> = { ...STATE_WORDS, running: 'still running', queued: 'queued, not launched' };

export function renderSummary(rows: readonly TaskRow[], options: SummaryOptions): string {
  if (rows.length === 0) return 'No task was started in this session.\n';
  const { ascii, columns, now = Date.now() } = options;
  const theme = createTheme({ color: false, ascii });
  const ordered = byAttention(rows);
  if (!ascii) {
    const table = tableIfItFits(rows, ordered, options, now);
    if (table !== undefined) return `${table}\n${fit(sessionTally(rows), columns, theme.ellipsis).trimEnd()}\n`;
  }
  // The screen holds the summary, the board's line after it and the prompt; the summary's last two
  // lines are the tally and, when some tasks are summed up, the hint.
  const screen = Math.max(4, (options.rows ?? 24) - LINES_AFTER);
  const shown = ordered.length + 1 <= screen ? ordered.length : shownCount(ordered, screen - 2);
  const cells = ordered.slice(0, shown).map((row) => cellsOf(row, theme.glyph[row.state], now));
  const widths = layout(cells, columns);
  const lines = cells.map((line, i) => lineOf(line, ordered[i]!.state, widths, options, theme.ellipsis));

  // The lines after the tasks are plain text: cut to the width like them.
  const after: string[] = [];
  const left = new Map<TaskState, number>();
  for (const row of ordered.slice(shown)) left.set(row.state, (left.get(row.state) ?? 0) + 1);
  for (const [state, count] of left) after.push(`... and ${count} more ${MORE_WORDS[state]}`);
  after.push(sessionTally(rows));
  if (left.size > 0) {
    after.push(options.reportPath ? `The full list: ${clean(options.reportPath)}` : 'The full list: pvetasks --report FILE.md (or .json)');
  }
  return `${[...lines, ...after.map((line) => fit(line, columns, theme.ellipsis).trimEnd())].join('\n')}\n`;
}

/**
 * The table form, when the table, the tally and the board's "N task(s) keep running" line (when some
 * do) leave the last line for the prompt, and the width holds at least the state and the task.
 */
function tableIfItFits(rows: readonly TaskRow[], ordered: readonly TaskRow[], options: SummaryOptions, now: number): string | undefined {
  const running = rows.some((row) => row.state === 'running') ? 1 : 0;
  if (borderedHeight(rows.length) + 1 + running > (options.rows ?? 24) - 1) return undefined;
  const theme = createTheme({ color: options.color, ascii: false });
  return summaryTable(ordered, { columns: options.columns, color: options.color, now, theme });
}
