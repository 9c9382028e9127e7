// An esbuild plugin for the bundle (registered in BUNDLE_OPTIONS.plugins, src/cli/bundle-config.mjs):
// allocation cuts in how Ink 6.8 turns its cell grid into a frame string, which it does for every cell
// of every frame. For each cell the tokenizer writes the colour codes that change from the cell before
// (`diffAnsiCodes`: three Sets and several arrays) and joins them without duplicates
// (`ansiCodesToString`: an array, a Set and another array), even when nothing changes, as between most
// neighbours: a megabyte a frame at 120x40, which on a jump host is garbage-collection time and, since
// V8 grows its young generation with the allocation rate, memory. Each function gets a front that
// answers the common cases (equal lists: no change; no code or one: its string) and leaves the others
// to the original, kept under another name. The strings are unchanged (test/ui/ink-render-patches.test.ts
// compares them with the original's).
import { readFile } from 'node:fs/promises';

const ORIGINAL_DIFF = 'export function diffAnsiCodes(from, to) {';

/** Our front for the tokenizer's diff; the original is kept under another name. */
const SAME_CODES_FIRST = `
const noCodes = Object.freeze([]);
function sameCodes(from, to) {
    if (from === to) return true;
    if (from.length !== to.length) return false;
    for (let i = 0; i < from.length; i++) if (from[i].code !== to[i].code) return false;
    return true;
}
export function diffAnsiCodes(from, to) {
    return sameCodes(from, to) ? noCodes : diffAnsiCodesOfDifferentLists(from, to);
}
`;

const ORIGINAL_CODES_TO_STRING = 'export function ansiCodesToString(codes) {';

/** Most cells have no code or one: their string needs no Set and no array. */
const FEW_CODES_FIRST = `
export function ansiCodesToString(codes) {
    if (codes.length === 0) return '';
    if (codes.length === 1) return codes[0].code;
    return joinDistinctAnsiCodes(codes);
}
`;

/** `source` with `original` (a function's first line) renamed to `renamed` and `front` added. */
function withFront(path, source, original, renamed, front) {
  // The build fails if the function is gone (a new Ink or tokenizer: review the patch).
  if (!source.includes(original)) throw new Error(`${path} no longer contains '${original}': review src/ui/ink-render-patches.mjs`);
  return source.replace(original, renamed) + front;
}

export const inkRenderPatches = {
  name: 'ink-render-patches',
  setup(b) {
    b.onLoad({ filter: /[\\/]@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]diff\.js$/ }, async ({ path }) => ({
      contents: withFront(
        path,
        await readFile(path, 'utf8'),
        ORIGINAL_DIFF,
        'function diffAnsiCodesOfDifferentLists(from, to) {',
        SAME_CODES_FIRST,
      ),
      loader: 'js',
    }));
    b.onLoad({ filter: /[\\/]@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]ansiCodes\.js$/ }, async ({ path }) => ({
      contents: withFront(
        path,
        await readFile(path, 'utf8'),
        ORIGINAL_CODES_TO_STRING,
        'function joinDistinctAnsiCodes(codes) {',
        FEW_CODES_FIRST,
      ),
      loader: 'js',
    }));
  },
};
