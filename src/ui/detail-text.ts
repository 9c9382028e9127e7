/**
 * The detail view as lines of text: the task's fields, the per-guest block of a backup job, and the
 * log, fitted to the width either by wrapping (`w`) or by a sideways scroll (`←`/`→`), so no line ends
 * in an ellipsis without a way to read the rest. Pure, so the view and the keys that scroll it agree
 * on every height.
 */
import { clusterOfKey } from '../tasks/cluster-view.js';
import { detailTitle } from './other-window.js';
import type { TaskRow, TaskStoreState } from '../tasks/store.js';
import { formatElapsed } from '../util/duration.js';
import { guestBlock, type GuestBlock } from './detail-guests.js';
import { STATE_WORDS, cutColumns, elapsedText, formatDateTime, outcomeText, progressText, textWidth, wrapColumns } from './format.js';
import { keyLabel } from './keymap.js';
import { jobResults, progressDetails } from './progress-text.js';
import type { Theme, Tone } from './theme.js';
import type { DetailState } from './ui-state.js';
import { logLines } from './visible.js';

/** Width of the field labels (`Status   `). */
export const LABEL_WIDTH = 9;
/** Lines a field may take while wrapped; the rest is read unwrapped, scrolled sideways. */
export const MAX_WRAPPED_FIELD_LINES = 3;
/** Columns one `←`/`→` moves. */
export const SCROLL_STEP = 16;

/** One line on screen: a fixed head (a label, or the title's glyph) and text that wraps or scrolls. */
export interface ScreenLine {
  head: string;
  headTone?: Tone;
  text: string;
  tone?: Tone;
  bold?: boolean;
}

interface Field {
  head: string;
  headTone?: Tone;
  text: string;
  tone?: Tone;
  bold?: boolean;
}

function label(text: string): Pick<Field, 'head' | 'headTone'> {
  return { head: text.padEnd(LABEL_WIDTH), headTone: 'muted' };
}

/** The task's fields, in order: the title, UPID, task, time, status, progress. */
function detailFields(row: TaskRow, now: number, theme: Theme): Field[] {
  const sep = theme.separator;
  const progress =
    [progressText(row.progress?.percent, 40, theme), progressDetails(row.progress, sep)].filter(Boolean).join('  ') || 'not reported';
  return [
    { head: `${theme.glyph[row.state]} `, headTone: row.state, text: detailTitle(row), bold: true },
    {
      ...label('UPID'),
      text: row.upid ?? (row.sentAt !== undefined ? `(sent ${formatDateTime(row.sentAt)}, waiting for PVE's answer)` : '(not sent yet)'),
    },
    {
      ...label('Task'),
      text: `${clusterOfKey(row.key) !== undefined ? `cluster ${clusterOfKey(row.key)}${sep}` : ''}node ${row.node}${sep}type ${row.type}${sep}id ${row.taskId || '-'}${sep}user ${row.user ?? '-'}`,
    },
    { ...label('Time'), text: timeLine(row, now, sep) },
    { ...label('Status'), text: `${theme.glyph[row.state]} ${STATE_WORDS[row.state]}${outcomeLine(row, now)}`, tone: row.state },
    { ...label('Progress'), text: progress },
  ];
}

/** PVE's exit status, then (for a backup job) how its guests fared, then a reason of ours. */
function outcomeLine(row: TaskRow, now: number): string {
  const guests = jobResults(row);
  const outcome = guests && row.exitStatus ? row.exitStatus : outcomeText(row, now);
  const parts = [
    outcome,
    guests && guests !== outcome ? guests : '',
    row.message && !outcome.includes(row.message) ? row.message : '',
  ].filter(Boolean);
  return parts.length ? `  ${parts.join('; ')}` : '';
}

function timeLine(row: TaskRow, now: number, separator: string): string {
  const parts = [row.startedAt !== undefined ? `started ${formatDateTime(row.startedAt)}` : `seen ${formatDateTime(row.firstSeenAt)}`];
  const elapsed = elapsedText(row, now);
  if (elapsed) parts.push(row.endedAt !== undefined ? `took ${elapsed}` : `running for ${elapsed}`);
  if (row.deadline !== undefined && row.endedAt === undefined && row.state !== 'timeout') {
    parts.push(row.deadline > now ? `times out in ${formatElapsed(row.deadline - now)}` : 'deadline passed');
  }
  return parts.join(separator);
}

/** A text fitted to `width` columns: wrapped (at most `maxLines`), or the columns from `left` on. */
function fitted(text: string, width: number, view: Pick<DetailState, 'wrap' | 'left'>, maxLines: number, ellipsis: string): string[] {
  // A field that fits stays put: only the cut ones scroll.
  if (!view.wrap) return [textWidth(text) <= width ? text : cutColumns(text, view.left, width, ellipsis)];
  const lines = wrapColumns(text, width);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  // More than the field may take: its last line says so; unwrapped, ←/→ reach the rest.
  kept[maxLines - 1] = cutColumns(`${kept[maxLines - 1]!}${lines[maxLines]!}`, 0, width, ellipsis);
  return kept;
}

export interface LogDisplay {
  /** The log's lines on screen: one per log line, or several while wrapped. */
  lines: readonly string[];
  /** The widest log line, in columns (how far a sideways scroll can go). */
  widest: number;
  /** The first screen line of each log line (while wrapped; else each is its own). */
  starts?: readonly number[];
}

/** The log line shown on screen line `screenLine`. */
export function logLineAt(display: LogDisplay, screenLine: number): number {
  const { starts } = display;
  if (!starts) return screenLine;
  let line = 0;
  while (line + 1 < starts.length && starts[line + 1]! <= screenLine) line++;
  return line;
}

/** The first screen line of log line `logLine`. */
export function screenLineOf(display: LogDisplay, logLine: number): number {
  return display.starts ? (display.starts[logLine] ?? display.lines.length) : logLine;
}

const displays = new WeakMap<readonly string[], { width: number; wrap: boolean; display: LogDisplay }>();

/** The log as screen lines (remembered per log array, so scrolling does not wrap it again). */
export function logDisplay(lines: readonly string[], width: number, wrap: boolean): LogDisplay {
  const known = displays.get(lines);
  if (known && known.width === width && known.wrap === wrap) return known.display;
  let widest = 0;
  for (const line of lines) widest = Math.max(widest, textWidth(line));
  let display: LogDisplay = { lines, widest };
  if (wrap) {
    const screen: string[] = [];
    const starts: number[] = [];
    for (const line of lines) {
      starts.push(screen.length);
      screen.push(...wrapColumns(line, width));
    }
    display = { lines: screen, widest, starts };
  }
  displays.set(lines, { width, wrap, display });
  return display;
}

export interface DetailLayout {
  fields: ScreenLine[];
  block: GuestBlock;
  log: LogDisplay;
  /** Lines left for the log under its heading. */
  logHeight: number;
  /** First screen line of the log shown. */
  top: number;
  /** How far `left` may go: the widest line less the room it has. */
  maxLeft: number;
}

/** Everything the detail view draws in `width` x `height`, and the scroll limits the keys need. */
export function detailLayout(
  row: TaskRow,
  state: Pick<TaskStoreState, 'guests' | 'focusLog'>,
  detail: DetailState,
  size: { width: number; height: number; now: number },
  theme: Theme,
): DetailLayout {
  const { width, height, now } = size;
  const fieldList = detailFields(row, now, theme);
  const fields: ScreenLine[] = [];
  let widestField = 0;
  for (const field of fieldList) {
    const room = Math.max(1, width - textWidth(field.head));
    widestField = Math.max(widestField, textWidth(field.text) - room);
    const maxLines = fields.length === 0 ? 2 : MAX_WRAPPED_FIELD_LINES;
    fitted(field.text, room, detail, maxLines, theme.ellipsis).forEach((text, i) => {
      const head = i === 0 ? field.head : ' '.repeat(textWidth(field.head));
      fields.push({ head, text, ...(i === 0 && field.headTone ? { headTone: field.headTone } : {}), tone: field.tone, bold: field.bold });
    });
  }
  const block = guestBlock(row, state, height - (fields.length - fieldList.length));
  // The fields, the guest block and the log's heading come first; the log has what is left.
  const logHeight = Math.max(0, height - fields.length - block.height - 1);
  const log = logDisplay(logLines(state as TaskStoreState, detail.key), width, detail.wrap);
  const last = Math.max(0, log.lines.length - logHeight);
  const top = detail.follow ? last : Math.min(detail.top, last);
  const maxLeft = detail.wrap ? 0 : Math.max(0, widestField, log.widest - width);
  return { fields, block, log, logHeight, top, maxLeft };
}

/**
 * The log's heading, fitted to `width`: following or not, which lines, and how to read lines cut at
 * the edge; the key reminders are left out first, then the words shortened.
 */
export function logHeading(layout: DetailLayout, detail: DetailState, theme: Theme, width: number): string {
  const { log, top, logHeight } = layout;
  const shown = Math.min(logHeight, Math.max(0, log.lines.length - top));
  const arrows = `${keyLabel('scrollLeft', { ascii: theme.ascii })}/${keyLabel('scrollRight', { ascii: theme.ascii })}`;
  const lines = log.lines.length ? `${top + 1}-${top + shown} of ${log.lines.length}` : '';
  // Each part from the longest to the shortest way of saying it.
  const parts: string[][] = [
    ['Log'],
    detail.follow
      ? [`following (${keyLabel('follow')} stops)`, 'following']
      : [`not following (${keyLabel('follow')} or ${keyLabel('bottom')} follows)`, 'not following'],
    lines ? [`${detail.wrap ? 'screen lines' : 'lines'} ${lines}`, lines] : ['no lines yet'],
    detail.wrap
      ? [`wrapped (${keyLabel('wrap')} cuts)`, 'wrapped']
      : layout.maxLeft > 0
        ? [
            `cols ${detail.left + 1}+ (${arrows}, ${keyLabel('wrap')} wraps)`,
            `cols ${detail.left + 1}+ (${arrows})`,
            `col ${detail.left + 1}`,
          ]
        : [''],
  ];
  const choice = parts.map(() => 0);
  const text = () =>
    parts
      .map((variants, i) => variants[choice[i]!]!)
      .filter(Boolean)
      .join(theme.separator);
  // One step shorter at a time until it fits: the following hint first, then the sideways one, then the range.
  for (;;) {
    if (textWidth(text()) <= width) break;
    const next = [1, 3, 2].find((i) => choice[i]! < parts[i]!.length - 1);
    if (next === undefined) break;
    choice[next] = choice[next]! + 1;
  }
  return text();
}

/** The detail view's layout for the board as it is now (the keys' side: page sizes, scroll limits). */
export function currentDetailLayout(
  state: TaskStoreState,
  detail: DetailState,
  size: { width: number; height: number; now: number },
  theme: Theme,
): DetailLayout | undefined {
  const row = state.row(detail.key);
  return row ? detailLayout(row, state, detail, size, theme) : undefined;
}
