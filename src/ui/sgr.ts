/**
 * Colours and attributes of a cell (SGR state): read from `ESC[...m` sequences, and the shortest
 * sequence that turns one state into another. Styles are interned, so cells usually share one
 * object; equal styles always have equal keys.
 */

export const BOLD = 1;
export const DIM = 2;
export const ITALIC = 4;
export const UNDERLINE = 8;
export const BLINK = 16;
export const INVERSE = 32;
export const HIDDEN = 64;
export const STRIKE = 128;
export const OVERLINE = 256;

/** SGR code that sets each flag, and the one that clears it (22 clears both bold and dim). */
const FLAG_CODES: ReadonlyArray<[flag: number, on: string, off: string]> = [
  [BOLD, '1', '22'],
  [DIM, '2', '22'],
  [ITALIC, '3', '23'],
  [UNDERLINE, '4', '24'],
  [BLINK, '5', '25'],
  [INVERSE, '7', '27'],
  [HIDDEN, '8', '28'],
  [STRIKE, '9', '29'],
  [OVERLINE, '53', '55'],
];

export interface Style {
  readonly key: string;
  /** A hash of the key, for hashing rows of cells. */
  readonly hash: number;
  readonly flags: number;
  /** Foreground as SGR parameters (`31`, `38;5;208`, `38;2;1;2;3`); '' is the terminal's default. */
  readonly fg: string;
  readonly bg: string;
}

const interned = new Map<string, Style>();

export function styleOf(flags: number, fg: string, bg: string): Style {
  const key = `${flags};${fg};${bg}`;
  let style = interned.get(key);
  if (!style) {
    // Bounded: a board uses a few dozen styles. Forgetting them all only costs sharing, not meaning.
    if (interned.size >= 1024) interned.clear();
    let hash = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    style = { key, hash: hash >>> 0, flags, fg, bg };
    interned.set(key, style);
  }
  return style;
}

export const DEFAULT_STYLE = styleOf(0, '', '');

export const sameStyle = (a: Style, b: Style) => a === b || a.key === b.key;

/** What an erase leaves behind: blanks in the current background colour, nothing else. */
export function erasedStyle(style: Style): Style {
  return style.bg === '' ? DEFAULT_STYLE : styleOf(0, '', style.bg);
}

/**
 * The style of a blank as it shows: the background, and whatever draws on a blank (inverse video,
 * lines through, under or over it). A foreground colour or bold on a space shows nothing, so padding
 * written in a colour is the same blank as any other and costs nothing to leave alone.
 */
export function blankStyle(style: Style): Style {
  return style.flags & (INVERSE | UNDERLINE | STRIKE | OVERLINE) ? style : erasedStyle(style);
}

/** A colour given after 38/48 (`5;n`, `2;r;g;b`, or the colon forms), as canonical parameters. */
function extendedColour(base: '38' | '48', parts: string[], i: number): [colour: string, used: number] {
  const part = parts[i]!;
  if (part.includes(':')) {
    const fields = part.split(':').slice(1);
    if (fields[0] === '5') return [`${base};5;${Number(fields[1]) || 0}`, 1];
    // 38:2:<colourspace>:r:g:b, or without the colour space id
    const rgb = fields.length >= 5 ? fields.slice(2, 5) : fields.slice(1, 4);
    return [`${base};2;${rgb.map((n) => Number(n) || 0).join(';')}`, 1];
  }
  if (parts[i + 1] === '5') return [`${base};5;${Number(parts[i + 2]) || 0}`, 3];
  if (parts[i + 1] === '2') return [`${base};2;${[parts[i + 2], parts[i + 3], parts[i + 4]].map((n) => Number(n) || 0).join(';')}`, 5];
  return ['', parts.length - i]; // malformed: ignore the rest
}

/** The style after `ESC[<params>m`. */
export function applySgr(style: Style, params: string): Style {
  let { flags, fg, bg } = style;
  const parts = params === '' ? ['0'] : params.split(';');
  for (let i = 0; i < parts.length;) {
    const part = parts[i]!;
    const code = part === '' ? 0 : Number.parseInt(part, 10);
    let used = 1;
    if (code === 0) {
      flags = 0;
      fg = '';
      bg = '';
    } else if (code === 38 || code === 48) {
      const [colour, n] = extendedColour(code === 38 ? '38' : '48', parts, i);
      used = n;
      if (colour && code === 38) fg = colour;
      if (colour && code === 48) bg = colour;
    } else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) fg = String(code);
    else if (code === 39) fg = '';
    else if ((code >= 40 && code <= 47) || (code >= 100 && code <= 107)) bg = String(code);
    else if (code === 49) bg = '';
    else if (code === 22) flags &= ~(BOLD | DIM);
    else if (code === 6) flags |= BLINK;
    else if (code === 4 || part.startsWith('4:')) flags = part === '4:0' ? flags & ~UNDERLINE : flags | UNDERLINE;
    else {
      const set = FLAG_CODES.find(([, on]) => on === part);
      const cleared = FLAG_CODES.find(([, , off]) => off === part);
      if (set) flags |= set[0];
      else if (cleared) flags &= ~cleared[0];
      // 58/59 (underline colour) and the rest change nothing we draw
      else if (code === 58) used = parts[i + 1] === '5' ? 3 : parts[i + 1] === '2' ? 5 : 1;
    }
    i += used;
  }
  return styleOf(flags, fg, bg);
}

function fullParams(style: Style): string[] {
  const params: string[] = [];
  for (const [flag, on] of FLAG_CODES) if (style.flags & flag) params.push(on);
  if (style.fg) params.push(style.fg);
  if (style.bg) params.push(style.bg);
  return params;
}

/** The shortest `ESC[...m` that turns `from` into `to` ('' when they are the same). */
export function sgrTransition(from: Style, to: Style): string {
  if (sameStyle(from, to)) return '';
  if (to.flags === 0 && to.fg === '' && to.bg === '') return '\u001b[m';
  const reset = `\u001b[0;${fullParams(to).join(';')}m`;
  const params: string[] = [];
  const off = from.flags & ~to.flags;
  // 22 clears bold and dim together: whichever of them stays is set again after it.
  const boldDimOff = (off & (BOLD | DIM)) !== 0;
  if (boldDimOff) params.push('22');
  for (const [flag, on, offCode] of FLAG_CODES) {
    if (flag === BOLD || flag === DIM) {
      if (to.flags & flag && (boldDimOff || !(from.flags & flag))) params.push(on);
    } else if (off & flag) params.push(offCode);
    else if (to.flags & flag && !(from.flags & flag)) params.push(on);
  }
  if (from.fg !== to.fg) params.push(to.fg || '39');
  if (from.bg !== to.bg) params.push(to.bg || '49');
  const incremental = `\u001b[${params.join(';')}m`;
  return incremental.length < reset.length ? incremental : reset;
}
