/**
 * What a hostile server puts in its text, and how the tests tell whether any of it reached the terminal.
 *
 * Each attack is something a terminal would act on if it were written raw: set the clipboard (OSC 52),
 * rename the window (OSC 0), plant a link (OSC 8), clear the screen, open a device control string
 * (DCS) or one of the strings terminals swallow (SOS, PM, APC), the 8-bit C1 forms of all of these,
 * reorder a line (bidi controls), cut a C string (NUL), or break UTF-16 (lone surrogates); and wide
 * characters, which a layout that counts code units would let overflow.
 */

export const ATTACKS = {
  osc52: '\u001b]52;c;ZWNobyBwd25lZAo=\u0007',
  title: '\u001b]0;pwned\u001b\\',
  link: '\u001b]8;;https://evil.example/\u001b\\click\u001b]8;;\u001b\\',
  clear: '\u001b[2J\u001b[H',
  dcs: '\u001bP1$r0m\u001b\\',
  sos: '\u001bXhidden\u001b\\',
  pm: '\u001b^hidden\u001b\\',
  apc: '\u001b_hidden\u001b\\',
  c0: 'bell\u0007back\u0008vt\u000bff\u000ccr\rdel\u007f',
  nul: 'nul\u0000byte',
  bidi: 'admin\u202egnp.exe\u202c \u2066iso\u2069 \u200e\u200f\u061c\u202a\u202b\u202d\u2067\u2068',
  surrogates: 'lone\ud800high \udfffow',
  // Not an attack on the terminal but on the layout: two columns each (a view that counts code units overflows).
  wide: '漢字🚀',
  // Every C1 control, each its own character: U+009B is CSI (with `2J` it clears the screen), U+009D
  // OSC; unterminated, the last ones swallow what follows, so this attack comes last.
  c1: Array.from({ length: 32 }, (_, i) => String.fromCharCode(0x80 + i) + (i === 0x1b ? '2J' : '.')).join(''),
};

/** Every attack in one string, readable text first (so a view shows something to find). */
export const HOSTILE = ` ${Object.values(ATTACKS).join(' ')}`;

/** `clean` followed by every attack: what a hostile server sends in each string field. */
export const hostile = (clean: string) => clean + HOSTILE;

/** A name as long as a bad day: the views must cut it, not wrap or freeze on it. */
export const LONG_TEXT = `long${'-\u001b[1mx'.repeat(200_000)}`;

/** A 10 MB log line (one JSON string; it arrives whole). */
export const HUGE_LOG_LINE = `huge ${'0123456789'.repeat(1_000_000)} end`;

/**
 * What must never reach a terminal from a server, as a pattern over decoded text: ESC and every other
 * C0 control but tab and newline (a CR too: Ink and our commands write `\n` only, the terminal's own
 * CR LF comes from the pty), DEL, C1 controls (U+0080-U+009F), bidi controls, lone surrogates.
 */
const UNSAFE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Each unsafe character in `text`, with where it is and what surrounds it (for a readable failure). */
export function unsafeCharacters(text: string, { allowCr = false } = {}): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(UNSAFE)) {
    if (allowCr && match[0] === '\r') continue;
    const at = match.index;
    found.push(
      `U+${match[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 30), at + 10))}`,
    );
    if (found.length >= 10) break;
  }
  return found;
}

/** Fails with the first unsafe characters when `text` holds any. */
export function assertSafeOutput(text: string, what: string): void {
  const found = unsafeCharacters(text);
  if (found.length > 0) throw new Error(`${what} holds characters a terminal acts on:\n${found.join('\n')}`);
}
