/**
 * Ink hands `useInput` everything between two escape sequences as one input: keys typed quickly over
 * a slow SSH link (or sent by tmux) arrive in one read, and `jj` or `y` + Enter would then match no
 * key at all. The board takes such a run apart into single keys, each with the Key Ink would have
 * reported for it alone. Escape sequences (arrows, PgUp) already come one by one.
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

/** One character as Ink reports it when it arrives on its own. */
export function keyOf(char: string): [string, Key] {
  if (char === '\r' || char === '\n') return ['', { ...NO_KEY, return: true }];
  if (char === '\t') return ['', { ...NO_KEY, tab: true }];
  if (char === '\b') return ['', { ...NO_KEY, backspace: true }];
  // Terminals send DEL for Backspace; Ink calls it `delete`.
  if (char === '\u007f') return ['', { ...NO_KEY, delete: true }];
  const code = char.codePointAt(0)!;
  if (code >= 1 && code <= 26) return [String.fromCharCode(code + 96), { ...NO_KEY, ctrl: true }];
  return [char, { ...NO_KEY, shift: /^[A-Z]$/.test(char) }];
}

/** The single keys in one input from Ink; a single key, or an escape sequence, stays as it came. */
export function splitKeys(input: string, key: Key): Array<[string, Key]> {
  const chars = Array.from(input);
  const named = key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown || key.home || key.end;
  if (chars.length <= 1 || named || key.escape || key.meta || key.ctrl || input.includes('\u001b')) return [[input, key]];
  return chars.map(keyOf);
}
