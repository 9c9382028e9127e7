/** Pure text for the board: cells, outcomes, progress bars, times. No React here. */
import type { Guest, Tally, TaskRow, TaskState } from '../tasks/store.js';
import stringWidth from 'string-width';
import { formatElapsed } from '../util/duration.js';
import { jobResults } from './progress-text.js';
import type { Theme } from './theme.js';

const PLAIN_ASCII = /^[\x20-\x7e]*$/;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Columns `text` takes on a terminal: CJK and most emoji take two, combining marks none. */
export function textWidth(text: string): number {
  return PLAIN_ASCII.test(text) ? text.length : stringWidth(text);
}

/**
 * Cuts or pads `text` to exactly `width` columns. We fit text ourselves rather than let Ink truncate,
 * because Ink's ellipsis is not ASCII. Widths are display widths, so CJK and emoji guest names align;
 * a cut falls between graphemes, never inside a wide character or an emoji sequence (a column left
 * over beside a wide character is padded).
 */
export function fit(text: string, width: number, ellipsis: string, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  const have = textWidth(flat);
  if (have <= width) {
    const pad = ' '.repeat(width - have);
    return align === 'left' ? flat + pad : pad + flat;
  }
  // Too narrow for the ellipsis and a character: the cut alone says it.
  const mark = width > textWidth(ellipsis) ? ellipsis : '';
  const room = width - textWidth(mark);
  const kept = takeColumns(flat, room);
  return kept + mark + ' '.repeat(room - textWidth(kept));
}

/** The longest start of `text` (whole graphemes) that takes at most `columns` columns. */
function takeColumns(text: string, columns: number): string {
  if (PLAIN_ASCII.test(text)) return text.slice(0, columns);
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > columns) break;
    out += segment;
    used += w;
  }
  return out;
}

/**
 * The columns `left` to `left + width` of `text`, for a line scrolled sideways: a cut at either end is
 * marked with the ellipsis in the column it would have taken, so a line that goes on says so.
 */
export function cutColumns(text: string, left: number, width: number, ellipsis: string): string {
  if (width <= 0) return '';
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  const total = textWidth(flat);
  if (left <= 0 && total <= width) return flat;
  const mark = width > textWidth(ellipsis) * 2 ? ellipsis : '';
  const markWidth = textWidth(mark);
  const from = Math.max(0, left);
  const cutLeft = from > 0;
  const cutRight = total > from + width;
  const start = from + (cutLeft ? markWidth : 0);
  const end = from + width - (cutRight ? markWidth : 0);
  let out = '';
  let column = 0;
  for (const { segment } of graphemes.segment(flat)) {
    const w = PLAIN_ASCII.test(segment) ? segment.length : stringWidth(segment);
    if (column >= start && column + w <= end) out += segment;
    column += w;
    if (column >= end) break;
  }
  return `${cutLeft ? mark : ''}${out}${cutRight ? mark : ''}`;
}

/**
 * `text` in lines of at most `width` columns: broken after the last blank of a line when there is
 * one in its second half, else at the width (a long word or token is cut, never lost).
 */
export function wrapColumns(text: string, width: number): string[] {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  if (width <= 0) return [flat];
  if (textWidth(flat) <= width) return [flat];
  const lines: string[] = [];
  let line = '';
  let used = 0;
  for (const { segment } of graphemes.segment(flat)) {
    const w = PLAIN_ASCII.test(segment) ? segment.length : stringWidth(segment);
    if (used + w > width && line) {
      const blank = line.lastIndexOf(' ');
      if (blank >= line.length / 2 && blank > 0) {
        lines.push(line.slice(0, blank + 1));
        line = line.slice(blank + 1);
      } else {
        lines.push(line);
        line = '';
      }
      used = textWidth(line);
    }
    line += segment;
    used += w;
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** Like `fit`, but never pads: for the last item of a line. */
export function clip(text: string, width: number, ellipsis: string): string {
  return fit(text, width, ellipsis).trimEnd();
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Local wall-clock time `HH:MM:SS`. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Local date and time `YYYY-MM-DD HH:MM:SS`. */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${formatClock(ms)}`;
}

export const STATE_WORDS: Readonly<Record<TaskState, string>> = {
  queued: 'queued',
  running: 'running',
  ok: 'ok',
  warnings: 'warnings',
  failed: 'failed',
  timeout: 'timed out',
  unknown: 'unknown',
  skipped: 'skipped',
};

/** The row's description with its guest's name, unless the description already names it. */
export function taskTitle(row: TaskRow): string {
  const base = row.description || `${row.type} ${row.taskId}`.trim();
  if (!row.guestName || base.includes(row.guestName)) return base;
  return `${base} ${row.guestName}`;
}

/** When the task started, as far as we know: its UPID's start time, else when we first saw it. */
export function taskStart(row: TaskRow): number {
  return row.startedAt ?? row.firstSeenAt;
}

/** A row whose time still runs: shown as elapsed and re-rendered by the shared ticker. */
export function isTicking(row: TaskRow): boolean {
  if (row.endedAt !== undefined) return false;
  return row.state === 'running' || (row.state === 'timeout' && !row.lateOutcome) || row.pollError !== undefined;
}

/** Elapsed time while the task runs, its duration once it ended, '' while queued. */
export function elapsedText(row: TaskRow, now: number): string {
  if (row.state === 'queued') return '';
  const start = taskStart(row);
  if (row.endedAt !== undefined) return formatElapsed(row.endedAt - start);
  if (isTicking(row)) return formatElapsed(now - start);
  return '';
}

/** What became of the task, in words: `OK`, `WARNINGS: 1`, PVE's error, `timed out, then OK`. */
export function outcomeText(row: TaskRow, now: number): string {
  const unreachable = row.pollError ? `? ${row.node} unreachable ${formatElapsed(now - row.pollError.since)}` : '';
  switch (row.state) {
    case 'queued':
      return row.message ? `queued: ${row.message}` : 'queued';
    case 'running':
      return unreachable || row.message || '';
    case 'ok':
      return jobResults(row) ?? row.exitStatus ?? 'OK';
    case 'warnings':
      return jobResults(row) ?? row.exitStatus ?? 'WARNINGS';
    case 'failed':
      return jobResults(row) ?? row.message ?? row.exitStatus ?? 'failed';
    case 'timeout':
      if (row.lateOutcome) return `timed out, then ${row.lateExitStatus ?? STATE_WORDS[row.lateOutcome]}`;
      return unreachable ? `timed out; ${unreachable}` : 'timed out';
    case 'unknown':
      return row.message ?? row.exitStatus ?? 'unknown';
    case 'skipped':
      return row.message ? `skipped (${row.message})` : 'skipped';
  }
}

/** `[#####-----]  50%`; '' when the percentage is unknown. `width` covers the whole cell. */
export function progressText(percent: number | undefined, width: number, theme: Theme): string {
  if (percent === undefined || !Number.isFinite(percent)) return '';
  const clamped = Math.max(0, Math.min(100, percent));
  const label = `${Math.floor(clamped)}%`.padStart(4);
  const barWidth = Math.max(0, width - label.length - 3);
  if (barWidth < 3) return label;
  const full = Math.round((clamped / 100) * barWidth);
  return `[${theme.bar.full.repeat(full)}${theme.bar.empty.repeat(barWidth - full)}] ${label}`;
}

export interface TallyPart {
  state: TaskState;
  label: string;
  count: number;
}

/** The footer's counts in a fixed order; `unknown` and `skipped` only when there are some. */
export function tallyParts(tally: Tally): TallyPart[] {
  const parts: TallyPart[] = [
    { state: 'running', label: 'running', count: tally.running },
    { state: 'queued', label: 'queued', count: tally.queued },
    { state: 'ok', label: 'ok', count: tally.ok },
    { state: 'warnings', label: 'warnings', count: tally.warnings },
    { state: 'failed', label: 'failed', count: tally.failed },
    { state: 'timeout', label: 'timed out', count: tally.timeout },
  ];
  if (tally.unknown > 0) parts.push({ state: 'unknown', label: 'unknown', count: tally.unknown });
  if (tally.skipped > 0) parts.push({ state: 'skipped', label: 'skipped', count: tally.skipped });
  return parts;
}

/** Short labels, for a tally that does not fit with the long ones (failed and timed out keep theirs). */
const SHORT_LABELS: Readonly<Record<TaskState, string>> = {
  queued: 'q',
  running: 'run',
  ok: 'ok',
  warnings: 'warn',
  failed: 'failed',
  timeout: 'timed out',
  unknown: 'unk',
  skipped: 'skip',
};

/** The counts dropped first when even the short labels do not fit: the least useful first. */
const DROP_ORDER: readonly TaskState[] = ['skipped', 'ok', 'warnings', 'queued', 'running', 'unknown'];

/**
 * The tally's parts that fit in `width` columns after `label`, joined by `separator`: first every
 * count; then without the zeros (but failed and timed out, always shown); then with short labels; then
 * dropping the least useful counts (skipped, ok, warnings, queued, running, unknown), never the failed
 * and timed-out ones.
 */
export function fitTally(tally: Tally, width: number, label: string, separator: string): TallyPart[] {
  const all = tallyParts(tally);
  const fits = (parts: readonly TallyPart[]) =>
    textWidth(label) + parts.reduce((sum, part, i) => sum + (i ? textWidth(separator) : 0) + textWidth(`${part.label} ${part.count}`), 0) <=
    width;
  if (fits(all)) return all;
  const kept = (part: TallyPart) => part.count > 0 || part.state === 'failed' || part.state === 'timeout';
  let parts = all.filter(kept);
  if (fits(parts)) return parts;
  parts = parts.map((part) => ({ ...part, label: SHORT_LABELS[part.state] }));
  for (const state of DROP_ORDER) {
    if (fits(parts)) break;
    parts = parts.filter((part) => part.state !== state);
  }
  return parts;
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * The one tally line of the program (the commands' summary, the board's exit summary):
 * `3 targets: 2 ok, 1 failed`, the total and then each count that is not zero, in the order given.
 */
export function tallyLine(total: number, noun: string, counts: ReadonlyArray<readonly [count: number, label: string]>): string {
  const parts = counts.filter(([count]) => count > 0).map(([count, label]) => `${count} ${label}`);
  return `${plural(total, noun)}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}

/** "guest 101 (web01) on pve1" or "17 guests on 3 nodes", for dialog titles. */
/**
 * `guest 101 (web01) on pve1`, `3 guests on 2 nodes`; over several clusters, the clusters they are in
 * (`... in bravo`, `... in alpha and bravo`, `... in 3 clusters`).
 */
export function describeTargets(guests: readonly Guest[], clusters: readonly string[] = []): string {
  const nodes = new Set(guests.map((g) => g.node));
  const where =
    clusters.length === 0 ? '' : clusters.length <= 2 ? ` in ${clusters.join(' and ')}` : ` in ${plural(clusters.length, 'cluster')}`;
  if (guests.length === 1) {
    const g = guests[0]!;
    return `guest ${g.vmid}${g.name ? ` (${g.name})` : ''} on ${g.node}${where}`;
  }
  return `${plural(guests.length, 'guest')} on ${plural(nodes.size, 'node')}${where}`;
}

/** "101 web01, 102 db01, +14 more", cut to `width`. */
export function listTargets(guests: readonly Guest[], width: number, ellipsis: string): string {
  const names = guests.map((g) => (g.name ? `${g.vmid} ${g.name}` : String(g.vmid)));
  let text = '';
  for (let i = 0; i < names.length; i++) {
    const rest = names.length - i - 1;
    const candidate = text ? `${text}, ${names[i]}` : names[i]!;
    const suffix = rest > 0 ? `, +${rest} more` : '';
    if (textWidth(candidate) + suffix.length > width && text) {
      return clip(`${text}, +${names.length - i} more`, width, ellipsis);
    }
    text = candidate;
  }
  return clip(text, width, ellipsis);
}
