/**
 * A terminal screen held cell by cell, and the part of ECMA-48 / VT100 that Ink writes (and that the
 * output stage writes back): text, newlines, cursor moves, erases, scrolling, colours. The output
 * stage keeps one of these as "what Ink meant" and diffs it against what the terminal shows.
 *
 * A cell holds one character (with any combining marks after it) and its style. A wide character
 * (CJK, most emoji) takes two cells: its own and an empty continuation cell after it.
 */
import stringWidth from 'string-width';
import { applySgr, blankStyle, DEFAULT_STYLE, erasedStyle, type Style } from './sgr.js';

/** The empty continuation cell after a wide character. */
export const CONTINUATION = '';

/** One row of cells: the characters and their styles, column by column. */
export interface Line {
  chars: string[];
  styles: Style[];
}

function blankLine(columns: number, style: Style = DEFAULT_STYLE): Line {
  return { chars: new Array<string>(columns).fill(' '), styles: new Array<Style>(columns).fill(style) };
}

export class Screen {
  /** Row by row, so that scrolling moves rows, not cells. */
  lines: Line[];

  constructor(
    public columns: number,
    public rows: number,
  ) {
    this.lines = Array.from({ length: rows }, () => blankLine(columns));
  }

  /** Blanks cells [from, to) of one row with `style`. */
  blank(row: number, from: number, to: number, style: Style = DEFAULT_STYLE): void {
    const line = this.lines[row]!;
    for (let col = Math.max(0, from); col < Math.min(this.columns, to); col++) {
      line.chars[col] = ' ';
      line.styles[col] = style;
    }
  }

  blankRows(from: number, to: number, style: Style = DEFAULT_STYLE): void {
    for (let row = Math.max(0, from); row < Math.min(this.rows, to); row++) this.lines[row] = blankLine(this.columns, style);
  }

  /** Moves rows [top, bottom] up by `n` (down when negative); rows that come in are blank. */
  scroll(top: number, bottom: number, n: number, style: Style = DEFAULT_STYLE): void {
    const height = bottom - top + 1;
    if (n === 0 || height <= 0) return;
    const shift = Math.max(-height, Math.min(height, n));
    const fresh = Array.from({ length: Math.abs(shift) }, () => blankLine(this.columns, style));
    const region = this.lines.slice(top, bottom + 1);
    const moved = shift > 0 ? [...region.slice(shift), ...fresh] : [...fresh, ...region.slice(0, height + shift)];
    this.lines.splice(top, height, ...moved);
  }

  /** A new size, keeping what fits from the top left (as terminals do on the alternate screen). */
  resize(columns: number, rows: number): void {
    if (columns === this.columns && rows === this.rows) return;
    this.lines = Array.from({ length: rows }, (_, row) => {
      const old = this.lines[row];
      const line = blankLine(columns);
      if (!old) return line;
      const kept = Math.min(columns, this.columns);
      for (let col = 0; col < kept; col++) {
        line.chars[col] = old.chars[col]!;
        line.styles[col] = old.styles[col]!;
      }
      // A wide character cut in half by the new right edge is gone.
      if (columns < this.columns && old.chars[columns] === CONTINUATION) {
        line.chars[columns - 1] = ' ';
        line.styles[columns - 1] = DEFAULT_STYLE;
      }
      return line;
    });
    this.columns = columns;
    this.rows = rows;
  }

  clone(): Screen {
    const copy = new Screen(0, 0);
    copy.columns = this.columns;
    copy.rows = this.rows;
    copy.lines = this.lines.map((line) => ({ chars: line.chars.slice(), styles: line.styles.slice() }));
    return copy;
  }

  /** Cell (row, col) of this screen looks the same as the same cell of `other`. */
  sameCell(row: number, col: number, other: Screen): boolean {
    const a = this.lines[row]!;
    const b = other.lines[row]!;
    const styleA = a.styles[col]!;
    const styleB = b.styles[col]!;
    return a.chars[col] === b.chars[col] && (styleA === styleB || styleA.key === styleB.key);
  }

  /** The text of one row, spaces for blanks (for tests and messages). */
  text(row: number): string {
    return this.lines[row]!.chars.join('').trimEnd();
  }
}

const widthCache = new Map<string, number>();
// Marks (variation selectors among them) and format characters (zero-width joiners and spaces).
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;

/** Cells one code point takes: 0 (it joins the character before), 1 or 2. */
export function codePointWidth(char: string): 0 | 1 | 2 {
  const code = char.codePointAt(0)!;
  if (code >= 0x20 && code < 0x7f) return 1;
  let width = widthCache.get(char);
  if (width === undefined) {
    width = ZERO_WIDTH.test(char) ? 0 : Math.min(2, Math.max(1, stringWidth(char)));
    // Bounded: the characters a board shows are few; forget them all rather than grow.
    if (widthCache.size >= 4096) widthCache.clear();
    widthCache.set(char, width);
  }
  return width as 0 | 1 | 2;
}

const TAB = 8;

/**
 * A screen with a cursor that `write` moves as a terminal would: the model of what Ink's bytes put
 * on a terminal of this size. Private modes (`ESC[?...h/l`) are reported to `onMode`, not kept.
 */
export class TerminalModel {
  readonly screen: Screen;
  row = 0;
  col = 0;
  /** After writing in the last column the cursor waits there; the next character wraps first. */
  private pendingWrap = false;
  private style: Style = DEFAULT_STYLE;
  private top = 0;
  private bottom: number;
  /** The unfinished escape sequence a write ended with. */
  private pending = '';

  constructor(
    columns: number,
    rows: number,
    private readonly onMode?: (sequence: string) => void,
  ) {
    this.screen = new Screen(columns, rows);
    this.bottom = rows - 1;
  }

  resize(columns: number, rows: number): void {
    this.screen.resize(columns, rows);
    this.row = Math.min(this.row, rows - 1);
    this.col = Math.min(this.col, columns - 1);
    this.pendingWrap = false;
    this.top = 0;
    this.bottom = rows - 1;
  }

  write(data: string): void {
    const text = this.pending + data;
    this.pending = '';
    let i = 0;
    while (i < text.length) {
      const code = text.charCodeAt(i);
      if (code === 0x1b) {
        const used = this.escape(text, i);
        if (used === 0) {
          this.pending = text.slice(i);
          return;
        }
        i += used;
      } else if (code < 0x20 || code === 0x7f) {
        this.control(code);
        i++;
      } else {
        const char = String.fromCodePoint(text.codePointAt(i)!);
        this.print(char);
        i += char.length;
      }
    }
  }

  private print(char: string): void {
    const width = codePointWidth(char);
    const { screen } = this;
    if (width === 0) {
      // A combining mark joins the character before it, as terminals draw it.
      let col = this.pendingWrap ? this.col : this.col - 1;
      if (col < 0) return;
      const line = screen.lines[this.row]!;
      if (line.chars[col] === CONTINUATION && col > 0) col--;
      line.chars[col] += char;
      return;
    }
    if (this.pendingWrap || this.col + width > screen.columns) {
      if (this.col + width > screen.columns && !this.pendingWrap) screen.blank(this.row, this.col, screen.columns, erasedStyle(this.style));
      this.col = 0;
      this.lineFeed();
    }
    this.pendingWrap = false;
    this.breakWide(this.row, this.col);
    if (width === 2) this.breakWide(this.row, this.col + 1);
    const line = screen.lines[this.row]!;
    line.chars[this.col] = char;
    line.styles[this.col] = char === ' ' ? blankStyle(this.style) : this.style;
    if (width === 2) {
      line.chars[this.col + 1] = CONTINUATION;
      line.styles[this.col + 1] = this.style;
    }
    this.col += width;
    if (this.col >= screen.columns) {
      this.col = screen.columns - 1;
      this.pendingWrap = true;
    }
  }

  /** Before cell (row, col) is overwritten: the other half of a wide character there is blanked. */
  private breakWide(row: number, col: number): void {
    const { screen } = this;
    if (col >= screen.columns) return;
    const { chars } = screen.lines[row]!;
    if (chars[col] === CONTINUATION && col > 0) screen.blank(row, col - 1, col);
    if (col + 1 < screen.columns && chars[col + 1] === CONTINUATION) screen.blank(row, col + 1, col + 2);
  }

  private control(code: number): void {
    switch (code) {
      case 0x0a: // Ink relies on the tty's ONLCR: a newline also returns the carriage
        this.col = 0;
        this.lineFeed();
        break;
      case 0x0d:
        this.col = 0;
        break;
      case 0x08:
        this.col = Math.max(0, this.col - 1);
        break;
      case 0x09:
        this.col = Math.min(this.screen.columns - 1, (Math.floor(this.col / TAB) + 1) * TAB);
        break;
      default:
        return; // bell and the rest draw nothing
    }
    this.pendingWrap = false;
  }

  private lineFeed(): void {
    if (this.row === this.bottom) this.screen.scroll(this.top, this.bottom, 1, erasedStyle(this.style));
    else if (this.row < this.screen.rows - 1) this.row++;
  }

  /** Interprets the escape sequence at `i`; returns its length, or 0 when it is not complete yet. */
  private escape(text: string, i: number): number {
    const next = text[i + 1];
    if (next === undefined) return 0;
    if (next === '[') {
      let end = i + 2;
      while (end < text.length && (text.charCodeAt(end) < 0x40 || text.charCodeAt(end) > 0x7e)) end++;
      if (end >= text.length) return 0;
      this.csi(text.slice(i + 2, end), text[end]!);
      return end - i + 1;
    }
    if (next === ']' || next === 'P' || next === '_' || next === '^') {
      // OSC, DCS, APC, PM: ends with BEL or ST (ESC \); nothing of ours draws with them.
      for (let end = i + 2; end < text.length; end++) {
        if (text[end] === '\u0007') return end - i + 1;
        if (text[end] === '\u001b' && text[end + 1] === '\\') return end - i + 2;
      }
      return 0;
    }
    return 2; // two-character sequences (charset, keypad modes): nothing to draw
  }

  private csi(params: string, final: string): void {
    if (params.startsWith('?')) {
      if (final === 'h' || final === 'l') this.onMode?.(`\u001b[${params}${final}`);
      return;
    }
    if (final === 'm') {
      this.style = applySgr(this.style, params);
      return;
    }
    const args = params.split(';').map((part) => (part === '' ? 0 : Number.parseInt(part, 10) || 0));
    const n = Math.max(1, args[0] ?? 0);
    const { screen } = this;
    const lastRow = screen.rows - 1;
    const lastCol = screen.columns - 1;
    this.pendingWrap = false;
    switch (final) {
      case 'A':
        this.row = Math.max(this.row >= this.top ? this.top : 0, this.row - n);
        break;
      case 'B':
        this.row = Math.min(this.row <= this.bottom ? this.bottom : lastRow, this.row + n);
        break;
      case 'C':
        this.col = Math.min(lastCol, this.col + n);
        break;
      case 'D':
        this.col = Math.max(0, this.col - n);
        break;
      case 'E':
        this.row = Math.min(lastRow, this.row + n);
        this.col = 0;
        break;
      case 'F':
        this.row = Math.max(0, this.row - n);
        this.col = 0;
        break;
      case 'G':
        this.col = Math.min(lastCol, n - 1);
        break;
      case 'H':
      case 'f':
        this.row = Math.min(lastRow, Math.max(1, args[0] ?? 1) - 1);
        this.col = Math.min(lastCol, Math.max(1, args[1] ?? 1) - 1);
        break;
      case 'J':
        this.eraseDisplay(args[0] ?? 0);
        break;
      case 'K':
        this.eraseLine(args[0] ?? 0);
        break;
      case 'S':
        screen.scroll(this.top, this.bottom, n, erasedStyle(this.style));
        break;
      case 'T':
        screen.scroll(this.top, this.bottom, -n, erasedStyle(this.style));
        break;
      case 'L':
      case 'M':
        // Insert / delete lines at the cursor, inside the scrolling region.
        if (this.row >= this.top && this.row <= this.bottom) {
          screen.scroll(this.row, this.bottom, final === 'M' ? n : -n, erasedStyle(this.style));
          this.col = 0;
        }
        break;
      case 'r': {
        const top = Math.max(1, args[0] || 1) - 1;
        const bottom = Math.min(screen.rows, args[1] || screen.rows) - 1;
        if (top < bottom) {
          this.top = top;
          this.bottom = bottom;
        }
        this.row = 0;
        this.col = 0;
        break;
      }
      default:
        break; // reports, tab stops and the rest change nothing on screen
    }
  }

  private eraseDisplay(mode: number): void {
    const { screen } = this;
    const style = erasedStyle(this.style);
    if (mode === 0) {
      this.eraseLine(0);
      screen.blankRows(this.row + 1, screen.rows, style);
    } else if (mode === 1) {
      this.eraseLine(1);
      screen.blankRows(0, this.row, style);
    } else if (mode === 2) {
      screen.blankRows(0, screen.rows, style);
    }
    // 3 erases the scrollback only.
  }

  private eraseLine(mode: number): void {
    const { screen } = this;
    const style = erasedStyle(this.style);
    const from = mode === 0 ? this.col : 0;
    const to = mode === 1 ? this.col + 1 : screen.columns;
    // A wide character cut by the erase goes entirely.
    const { chars } = screen.lines[this.row]!;
    const start = from > 0 && chars[from] === CONTINUATION ? from - 1 : from;
    const end = to < screen.columns && chars[to] === CONTINUATION ? to + 1 : to;
    screen.blank(this.row, start, end, style);
  }
}
