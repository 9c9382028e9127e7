/**
 * What to write so that the terminal shows a new screen, given what it shows now: for each run of
 * changed cells, a cursor move to its first cell, the colours it needs and the run itself, never a
 * whole line; an erase to the end of the line where that is shorter than spaces. Runs a few cells
 * apart are joined when writing the cells between them costs no more than moving over them.
 *
 * Rows that moved are moved by the terminal first when that is cheaper (line-moves.ts). The painter
 * remembers the screen it last drew: one screen of memory (two while it weighs a frame).
 */
import { applyLineMoves, lineMovesSequence, planLineMoves } from './line-moves.js';
import { CONTINUATION, Screen, type Line } from './screen.js';
import { DEFAULT_STYLE, sameStyle, sgrTransition, type Style } from './sgr.js';

const CSI = '\u001b[';
/** Resets colours, homes the cursor and clears the screen: the start of a full repaint. */
export const REPAINT = `${CSI}m${CSI}H${CSI}2J`;
const ERASE_TO_END = `${CSI}K`;

/** The cheapest sequence that moves the cursor to (row, col) from (fromRow, fromCol). */
export function cursorMove(row: number, col: number, from?: { row: number; col: number }): string {
  const absolute = row === 0 && col === 0 ? `${CSI}H` : col === 0 ? `${CSI}${row + 1}H` : `${CSI}${row + 1};${col + 1}H`;
  if (!from) return absolute;
  const candidates = [absolute];
  const count = (n: number, final: string) => (n === 1 ? `${CSI}${final}` : `${CSI}${n}${final}`);
  if (row === from.row) {
    const d = col - from.col;
    if (d === 0) return '';
    if (col === 0) candidates.push('\r');
    candidates.push(d > 0 ? count(d, 'C') : count(-d, 'D'));
    candidates.push(col === 0 ? `${CSI}G` : `${CSI}${col + 1}G`);
  } else {
    const d = row - from.row;
    if (col === from.col) candidates.push(d > 0 ? count(d, 'B') : count(-d, 'A'));
    if (col === 0) candidates.push(d > 0 ? count(d, 'E') : count(-d, 'F'));
  }
  return candidates.reduce((best, next) => (next.length < best.length ? next : best));
}

interface Run {
  start: number;
  end: number;
}

export class ScreenPainter {
  /** What the terminal shows; undefined until the first paint and after `invalidate`. */
  private shown: Screen | undefined;
  /** The cursor, when its position is known. */
  private cursor: { row: number; col: number } | undefined;
  private style: Style = DEFAULT_STYLE;

  /** The terminal's screen is no longer known (resized, or written by someone else): repaint all. */
  invalidate(): void {
    this.shown = undefined;
  }

  /** The bytes that make the terminal show `target` ('' when it already does); remembers it. */
  paint(target: Screen): string {
    const shown = this.shown;
    let out: string;
    if (!shown || shown.columns !== target.columns || shown.rows !== target.rows) {
      this.shown = new Screen(target.columns, target.rows);
      this.cursor = { row: 0, col: 0 };
      this.style = DEFAULT_STYLE;
      out = REPAINT + this.paintCells(this.shown, target);
    } else {
      // Each frame starts with an absolute move: a stray write to the terminal cannot shift a frame.
      this.cursor = undefined;
      const plainShown = shown.clone();
      out = this.paintCells(plainShown, target);
      this.shown = plainShown;
      // Rows that moved: let the terminal move them, if that and the cells left to paint cost less.
      const moves = planLineMoves(shown, target);
      if (moves) {
        const after = { cursor: this.cursor, style: this.style };
        const movedShown = shown.clone();
        applyLineMoves(movedShown, moves);
        const sequence = lineMovesSequence(moves, target.rows);
        // The region's reset homes the cursor (when there was a region to reset).
        this.cursor = sequence.endsWith(`${CSI}r`) ? { row: 0, col: 0 } : undefined;
        this.style = DEFAULT_STYLE;
        const moved = sequence + this.paintCells(movedShown, target);
        if (Buffer.byteLength(moved) < Buffer.byteLength(out)) {
          out = moved;
          this.shown = movedShown;
        } else {
          this.cursor = after.cursor;
          this.style = after.style;
        }
      }
    }
    if (out !== '' && !sameStyle(this.style, DEFAULT_STYLE)) {
      // Whatever is written after us (a message on exit) starts from plain text.
      out += `${CSI}m`;
      this.style = DEFAULT_STYLE;
    }
    return out;
  }

  private paintCells(shown: Screen, target: Screen): string {
    let out = '';
    for (let row = 0; row < target.rows; row++) out += this.paintRow(shown, target, row);
    return out;
  }

  private paintRow(shown: Screen, target: Screen, row: number): string {
    const runs = changedRuns(shown, target, row);
    if (runs.length === 0) return '';
    const line = target.lines[row]!;
    let out = '';
    // Joins runs when writing the cells between them is no dearer than moving over them.
    const joined: Run[] = [runs[0]!];
    for (const run of runs.slice(1)) {
      const last = joined.at(-1)!;
      const before = line.styles[last.end - 1]!;
      const after = line.styles[run.start]!;
      const gap = spanCost(line, last.end, run.start, before);
      const write = gap.bytes + sgrTransition(gap.style, after).length;
      const jump = cursorMove(row, run.start, { row, col: last.end }).length + sgrTransition(before, after).length;
      if (write <= jump) last.end = run.end;
      else joined.push({ ...run });
    }
    for (let i = 0; i < joined.length; i++) {
      const run = joined[i]!;
      out += cursorMove(row, run.start, this.cursor);
      this.cursor = { row, col: run.start };
      // The last run may end in blanks up to the edge: an erase is shorter than writing them.
      const blankFrom = i === joined.length - 1 ? trailingBlanks(line) : target.columns;
      let writeTo = run.end;
      if (blankFrom < run.end) {
        const cells = spanCost(line, blankFrom, run.end, line.styles[blankFrom - 1] ?? this.style);
        const erase = sgrTransition(blankFrom > run.start ? line.styles[blankFrom - 1]! : this.style, DEFAULT_STYLE).length;
        if (erase + ERASE_TO_END.length < cells.bytes) writeTo = blankFrom;
      }
      out += this.writeCells(line, row, run.start, writeTo, target.columns);
      if (writeTo < run.end) {
        out += sgrTransition(this.style, DEFAULT_STYLE) + ERASE_TO_END;
        this.style = DEFAULT_STYLE;
      }
      const into = shown.lines[row]!;
      for (let col = run.start; col < run.end; col++) {
        into.chars[col] = line.chars[col]!;
        into.styles[col] = line.styles[col]!;
      }
    }
    return out;
  }

  private writeCells(line: Line, row: number, from: number, to: number, columns: number): string {
    let out = '';
    for (let col = from; col < to; col++) {
      const char = line.chars[col]!;
      if (char === CONTINUATION) continue;
      const style = line.styles[col]!;
      out += sgrTransition(this.style, style) + char;
      this.style = style;
    }
    if (to > from) {
      // After the last column the cursor waits for a wrap that terminals handle differently: forget it.
      this.cursor = to >= columns ? undefined : { row, col: to };
    }
    return out;
  }
}

/** Runs of cells that differ in one row, widened so that no wide character is written in half. */
function changedRuns(shown: Screen, target: Screen, row: number): Run[] {
  const { columns } = target;
  const was = shown.lines[row]!.chars;
  const now = target.lines[row]!.chars;
  const runs: Run[] = [];
  const split = (col: number) => now[col] === CONTINUATION || was[col] === CONTINUATION;
  for (let col = 0; col < columns;) {
    if (shown.sameCell(row, col, target)) {
      col++;
      continue;
    }
    let start = col;
    while (start > 0 && split(start)) start--;
    let end = col + 1;
    while (end < columns && (!shown.sameCell(row, end, target) || split(end))) end++;
    runs.push({ start, end });
    col = end;
  }
  return runs;
}

/** The first column from which a row holds only plain blanks. */
function trailingBlanks(line: Line): number {
  let col = line.chars.length;
  while (col > 0 && line.chars[col - 1] === ' ' && sameStyle(line.styles[col - 1]!, DEFAULT_STYLE)) col--;
  return col;
}

/** Bytes to write cells [from, to) of a row starting in style `style`, and the style after them. */
function spanCost(line: Line, from: number, to: number, style: Style): { bytes: number; style: Style } {
  let bytes = 0;
  let current = style;
  for (let col = from; col < to; col++) {
    const char = line.chars[col]!;
    if (char === CONTINUATION) continue;
    const next = line.styles[col]!;
    bytes += sgrTransition(current, next).length + utf8Length(char);
    current = next;
  }
  return { bytes, style: current };
}

/** Bytes of a cell's text in UTF-8 (most cells are ASCII). */
function utf8Length(text: string): number {
  return text.length === 1 && text.charCodeAt(0) < 0x80 ? 1 : Buffer.byteLength(text);
}
