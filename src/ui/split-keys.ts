/**
 * The board's keys from the bytes of one read, the one place where input is decoded. Ink's input
 * parser hands over each escape sequence on its own and everything between them as one event, and
 * its `useInput` then decodes that event in ways the board cannot use:
 * - keys typed quickly over a slow SSH link (or sent by tmux) arrive together: `jj`, or `y` + Enter,
 *   would match no key at all;
 * - `Esc` followed by a key in the same read (`ESC j`) is reported as Alt+j, and for a key that is not
 *   a letter or digit (`ESC /`, `ESC ?`, `ESC Tab`) the Esc is dropped without a trace.
 * The board never binds Alt: an Esc in front of a key is always Esc, then the key. So every event is
 * decoded here into single keys, each with the Key Ink would have reported for it alone.
 */
import type { Key } from 'ink';

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

const ESC = '\u001b';

type NamedKey = 'upArrow' | 'downArrow' | 'leftArrow' | 'rightArrow' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'delete' | 'tab';

/** CSI and SS3 sequences by their final byte (`ESC [ A`, `ESC O A`). */
const BY_FINAL: Readonly<Record<string, NamedKey>> = {
  A: 'upArrow',
  B: 'downArrow',
  C: 'rightArrow',
  D: 'leftArrow',
  H: 'home',
  F: 'end',
  // Shift-Tab (`ESC [ Z`).
  Z: 'tab',
};

/** `ESC [ n ~` sequences by their number (xterm, rxvt, the Linux console). */
const BY_NUMBER: Readonly<Record<string, NamedKey>> = {
  '1': 'home',
  '3': 'delete',
  '4': 'end',
  '5': 'pageUp',
  '6': 'pageDown',
  '7': 'home',
  '8': 'end',
};

const SEQUENCE = /^\u001b(\[\[?|O)(\d*)(?:;(\d+))?([A-Za-z~])$/;

/** One escape sequence as a named key; undefined for one the board has no use for (F-keys, mouse). */
function namedKey(sequence: string): Key | undefined {
  const match = SEQUENCE.exec(sequence);
  if (!match) return undefined;
  const [, prefix, number = '', modifier, final = ''] = match;
  // `ESC [ [ A` is F1 on the Linux console, not an arrow.
  if (prefix === '[[' && final !== '~') return undefined;
  const name = final === '~' ? BY_NUMBER[number] : BY_FINAL[final];
  if (!name) return undefined;
  // xterm's modifier parameter is 1 + a bit set: 1 Shift, 2 Alt, 4 Ctrl.
  const bits = modifier ? Number(modifier) - 1 : 0;
  return { ...NO_KEY, [name]: true, shift: final === 'Z' || (bits & 1) !== 0, ctrl: (bits & 4) !== 0 };
}

/** One character as Ink reports it when it arrives on its own. */
export function keyOf(char: string): [string, Key] {
  if (char === '\r' || char === '\n') return ['', { ...NO_KEY, return: true }];
  if (char === '\t') return ['', { ...NO_KEY, tab: true }];
  if (char === '\b') return ['', { ...NO_KEY, backspace: true }];
  // Terminals send DEL for Backspace; Ink calls it `delete`.
  if (char === '\u007f') return ['', { ...NO_KEY, delete: true }];
  if (char === ESC) return ['', { ...NO_KEY, escape: true }];
  const code = char.codePointAt(0)!;
  if (code >= 1 && code <= 26) return [String.fromCharCode(code + 96), { ...NO_KEY, ctrl: true }];
  return [char, { ...NO_KEY, shift: /^[A-Z]$/.test(char) }];
}

/** Where the escape sequence at the start of `text` ends (after its final byte), or 0 when none starts there. */
function sequenceEnd(text: string): number {
  const match = /^\u001b(?:\[\[?[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|O[\x40-\x7e])/.exec(text);
  return match ? match[0].length : 0;
}

/**
 * The single keys in `raw`, the bytes of one input event, in order. An Esc not followed by `[` or `O`
 * (an escape sequence) is a key of its own: `ESC j` is Esc then j, `ESC ESC` two Escs. An escape
 * sequence the board has no use for yields nothing.
 */
export function keysOf(raw: string): Array<[string, Key]> {
  const keys: Array<[string, Key]> = [];
  let rest = raw;
  while (rest.length > 0) {
    if (rest.startsWith(ESC)) {
      const end = sequenceEnd(rest);
      if (end > 0) {
        const key = namedKey(rest.slice(0, end));
        if (key) keys.push(['', key]);
        rest = rest.slice(end);
      } else {
        keys.push(keyOf(ESC));
        rest = rest.slice(1);
      }
      continue;
    }
    const next = rest.indexOf(ESC);
    const text = next < 0 ? rest : rest.slice(0, next);
    for (const char of text) keys.push(keyOf(char));
    rest = next < 0 ? '' : rest.slice(next);
  }
  return keys;
}
