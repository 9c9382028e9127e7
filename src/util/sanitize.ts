/**
 * One sanitizer for all text that did not come from us: guest names, tags, task log lines, exit statuses,
 * user and node names, error messages and reason phrases. A hostile or broken server must never drive
 * the terminal (set the clipboard with OSC 52, rename the window, clear the screen, reorder a line with
 * bidi controls), so what reaches a view or a command's output holds only printable text.
 *
 * Removed, each run of removed things shown as ONE visible placeholder so an operator sees that
 * something was there:
 * - ESC and the whole sequence it starts (CSI, OSC including 8 and 52, DCS, SOS, PM, APC ended by BEL or
 *   ST, an unterminated one to the end of the text, and the short ESC sequences), and the 8-bit C1 forms
 *   of those introducers: shown as `^[` (ESCAPE_PLACEHOLDER);
 * - every other C0 control, DEL, every C1 control (U+0080-U+009F), the bidi controls (U+202A-U+202E,
 *   U+2066-U+2069, U+200E, U+200F, U+061C) and lone surrogates: shown as `�` (PLACEHOLDER).
 * Kept, made harmless:
 * - a tab becomes spaces (to the next multiple of 8 in multi-line text; one space in one-line text,
 *   where there are no tab stops);
 * - line breaks (LF, CR LF, a lone CR, U+2028, U+2029): in multi-line text each becomes `\n` (a lone CR
 *   would otherwise let a line overwrite itself, `OK\rFAILED`); in one-line text (the default) a run of
 *   them, with the blanks around it, becomes one space, and none is left at either end (PVE's messages
 *   end in `\n`). A space rather than a visible marker: a break is ordinary in PVE's own messages, and
 *   one space cannot fake a second line.
 * The result is idempotent: sanitizing it again with the same options changes nothing.
 */

/** Shown where a control character, a bidi control or a lone surrogate was removed. */
export const PLACEHOLDER = '\uFFFD';
/** Shown where an escape sequence (or a run holding one) was removed: how terminals echo ESC. */
export const ESCAPE_PLACEHOLDER = '^[';
/** A sensible cap for one task log line shown on screen; longer lines end in a `… [cut N KiB]` marker. */
export const LOG_LINE_MAX_LENGTH = 4096;
/** The cap `safeString` puts on an object or array turned into text, unless told otherwise. */
export const SAFE_STRING_MAX_LENGTH = 256;

export interface SanitizeOptions {
  /** Keep line breaks (as `\n`); by default the text is made one line. */
  multiline?: boolean;
  /**
   * Longest result in UTF-16 code units, marker included: a longer text is cut and ends in
   * `… [cut 10.2 KiB]` (the size of what was not shown, in UTF-8). At least MIN_MAX_LENGTH.
   */
  maxLength?: number;
}

/** Room kept for the cut marker: `… [cut 1023.9 MiB]` and more fit in it. */
const MARKER_ROOM = 24;
export const MIN_MAX_LENGTH = MARKER_ROOM + 8;
const TAB_STOP = 8;

// Anything the sanitizer may have to change (valid surrogate pairs included: they are checked one by one).
const SPECIAL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/;
const SPECIAL_GLOBAL = new RegExp(SPECIAL.source, 'g');

const ESC = 0x1b;
const BEL = 0x07;
const C1_ST = 0x9c;
const C1_CSI = 0x9b;
/** C1 introducers of string sequences: DCS, SOS, OSC, PM, APC. */
const C1_STRING_INTRODUCERS = new Set([0x90, 0x98, 0x9d, 0x9e, 0x9f]);
/** The 7-bit forms after ESC: P (DCS), X (SOS), ] (OSC), ^ (PM), _ (APC). */
const ESC_STRING_INTRODUCERS = new Set([0x50, 0x58, 0x5d, 0x5e, 0x5f]);

type Removed = 'none' | 'char' | 'escape';

/** True when sanitizeText would return `text` unchanged with these options. */
export function isSafeText(text: string, options: SanitizeOptions = {}): boolean {
  if (options.maxLength !== undefined && text.length > capOf(options.maxLength)) return false;
  return !needsWork(text, options.multiline === true);
}

/** Whether any character would change: the quick test fails on every surrogate, so pairs are checked here. */
function needsWork(text: string, multiline: boolean): boolean {
  if (!SPECIAL.test(text)) return false;
  SPECIAL_GLOBAL.lastIndex = 0;
  for (let match = SPECIAL_GLOBAL.exec(text); match; match = SPECIAL_GLOBAL.exec(text)) {
    const i = match.index;
    const code = text.charCodeAt(i);
    if (code === 0x0a && multiline) continue;
    if (code >= 0xd800 && code <= 0xdbff && inRange(text.charCodeAt(i + 1), 0xdc00, 0xdfff)) {
      SPECIAL_GLOBAL.lastIndex = i + 2;
      continue;
    }
    return true;
  }
  return false;
}

/** Makes server text safe to print; see the module comment for what goes and what it becomes. */
export function sanitizeText(text: string, options: SanitizeOptions = {}): string {
  if (typeof text !== 'string') return safeString(text, options);
  const max = options.maxLength === undefined ? Infinity : capOf(options.maxLength);
  const multiline = options.multiline === true;
  if (!needsWork(text, multiline)) return text.length <= max ? text : cut(text, max, 0);
  return sanitizeSlow(text, multiline, max);
}

/**
 * Any JSON value that should have been a string, as a safe one-line string: a string is sanitized, a
 * number or boolean written as JSON writes it, null and undefined become '', an object or array its JSON
 * text (cut at SAFE_STRING_MAX_LENGTH unless `maxLength` says otherwise). Never throws.
 */
export function safeString(value: unknown, options: SanitizeOptions = {}): string {
  switch (typeof value) {
    case 'string':
      return sanitizeText(value, { ...options, multiline: false });
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'undefined':
      return '';
    case 'object': {
      if (value === null) return '';
      let json: string | undefined;
      try {
        json = JSON.stringify(value);
      } catch {
        // A cycle, a BigInt, or nesting too deep for the stack: say what it was, not what it held.
        json = undefined;
      }
      return sanitizeText(json ?? (Array.isArray(value) ? '[array]' : '[object]'), {
        maxLength: options.maxLength ?? SAFE_STRING_MAX_LENGTH,
      });
    }
    default:
      return `[${typeof value}]`;
  }
}

function capOf(maxLength: number): number {
  return Number.isFinite(maxLength) ? Math.max(MIN_MAX_LENGTH, Math.floor(maxLength)) : Infinity;
}

function sanitizeSlow(text: string, multiline: boolean, max: number): string {
  let out = '';
  let lineStart = 0; // where the current line begins in `out`, for tab stops
  let removed: Removed = 'none';
  // One-line mode: spaces at the end of what was written are held back, so that a break can swallow
  // them (written at once, they would have to be sliced off `out`, which costs a copy each time).
  let blanks = 0;
  let pendingBreak = false; // one-line mode: a break met, written as one space before the next text
  const n = text.length;

  const write = (chunk: string) => {
    if (multiline) {
      out += chunk;
      return;
    }
    if (pendingBreak) {
      // The blanks after a break belong to it.
      let start = 0;
      while (chunk.charCodeAt(start) === 0x20) start++;
      if (start === chunk.length) return;
      chunk = chunk.slice(start);
      if (out.length > 0) out += ' ';
      pendingBreak = false;
    }
    let end = chunk.length;
    while (end > 0 && chunk.charCodeAt(end - 1) === 0x20) end--;
    if (end > 0) {
      out += ' '.repeat(blanks) + chunk.slice(0, end);
      blanks = 0;
    }
    blanks += chunk.length - end;
  };
  const flushRemoved = () => {
    if (removed === 'none') return;
    const placeholder = removed === 'escape' ? ESCAPE_PLACEHOLDER : PLACEHOLDER;
    removed = 'none';
    write(placeholder);
  };
  const emit = (chunk: string) => {
    if (chunk.length === 0) return;
    flushRemoved();
    write(chunk);
  };
  const remove = (kind: Exclude<Removed, 'none'>) => {
    if (removed !== 'escape') removed = kind;
  };

  let i = 0;
  while (i < n) {
    SPECIAL_GLOBAL.lastIndex = i;
    const match = SPECIAL_GLOBAL.exec(text);
    const next = match ? match.index : n;
    if (next > i) emit(text.slice(i, next));
    if (out.length + blanks > max) return cut(out + ' '.repeat(blanks), max, utf8Length(text, next));
    if (!match) break;
    i = next;
    const code = text.charCodeAt(i);

    if (code === 0x0a || code === 0x0d || code === 0x2028 || code === 0x2029) {
      i += code === 0x0d && text.charCodeAt(i + 1) === 0x0a ? 2 : 1;
      if (multiline) {
        flushRemoved();
        out += '\n';
        lineStart = out.length;
      } else {
        flushRemoved();
        blanks = 0; // the blanks before a break belong to it too
        pendingBreak = true;
      }
      continue;
    }
    if (code === 0x09) {
      i++;
      flushRemoved();
      const column = out.length - lineStart;
      emit(multiline ? ' '.repeat(TAB_STOP - (column % TAB_STOP)) : ' ');
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const low = text.charCodeAt(i + 1);
      if (code <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
        emit(text.slice(i, i + 2));
        i += 2;
      } else {
        remove('char');
        i++;
      }
      continue;
    }
    if (code === ESC) {
      i = skipEscape(text, i);
      remove('escape');
      continue;
    }
    if (code === C1_CSI) {
      i = skipCsi(text, i + 1);
      remove('escape');
      continue;
    }
    if (C1_STRING_INTRODUCERS.has(code)) {
      i = skipString(text, i + 1);
      remove('escape');
      continue;
    }
    // Any other C0, DEL, C1 or bidi control.
    remove('char');
    i++;
  }
  flushRemoved();
  out += ' '.repeat(blanks);
  return out.length > max ? cut(out, max, 0) : out;
}

/** Index after the escape sequence that starts with ESC at `start`. */
function skipEscape(text: string, start: number): number {
  const next = text.charCodeAt(start + 1);
  if (next === 0x5b) return skipCsi(text, start + 2);
  if (ESC_STRING_INTRODUCERS.has(next)) return skipString(text, start + 2);
  // nF and Fp/Fe/Fs escapes: intermediates 0x20-0x2F, then one final byte 0x30-0x7E (ESC c, ESC ( B, ESC 7).
  let i = start + 1;
  while (i < text.length && inRange(text.charCodeAt(i), 0x20, 0x2f)) i++;
  if (i < text.length && inRange(text.charCodeAt(i), 0x30, 0x7e)) i++;
  return i;
}

/** Index after a CSI's parameters, intermediates and final byte; stops early at anything else. */
function skipCsi(text: string, start: number): number {
  let i = start;
  while (i < text.length && inRange(text.charCodeAt(i), 0x30, 0x3f)) i++;
  while (i < text.length && inRange(text.charCodeAt(i), 0x20, 0x2f)) i++;
  if (i < text.length && inRange(text.charCodeAt(i), 0x40, 0x7e)) i++;
  return i;
}

/**
 * Index after a string sequence's terminator: BEL, ESC \ or C1 ST; another ESC ends it there (as in
 * xterm, it starts a new sequence); unterminated, it runs to the end of the text.
 */
function skipString(text: string, start: number): number {
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === BEL || code === C1_ST) return i + 1;
    if (code === ESC) return text.charCodeAt(i + 1) === 0x5c ? i + 2 : i;
  }
  return text.length;
}

function inRange(code: number, low: number, high: number): boolean {
  return code >= low && code <= high;
}

/** Cuts safe text to `max` code units, marker included, never between the halves of a surrogate pair. */
function cut(text: string, max: number, restBytes: number): string {
  let keep = max - MARKER_ROOM;
  const last = text.charCodeAt(keep - 1);
  if (last >= 0xd800 && last <= 0xdbff) keep--;
  const dropped = utf8Length(text, keep) + restBytes;
  return `${text.slice(0, keep)}… [cut ${formatSize(dropped)}]`;
}

/** UTF-8 size of `text` from `start` on (a lone surrogate counts as the 3 bytes of U+FFFD). */
function utf8Length(text: string, start: number): number {
  let bytes = 0;
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && inRange(text.charCodeAt(i + 1), 0xdc00, 0xdfff)) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

// Characters JSON.stringify leaves raw that a terminal acts on or reorders: DEL, C1, bidi controls,
// line and paragraph separators. They only ever occur inside JSON strings, so escaping them in the
// serialized text is safe. C0 controls and lone surrogates JSON.stringify escapes itself.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * One JSON line for `--json` output (with the trailing newline): JSON.parse gives the value back
 * unchanged, and the raw line holds no control character, bidi control or lone surrogate, so `cat` of
 * a JSON file cannot drive the terminal.
 */
export function jsonLine(value: unknown): string {
  const json = JSON.stringify(value) ?? 'null';
  return json.replace(JSON_UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}
