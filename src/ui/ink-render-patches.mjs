// An esbuild plugin for the bundle (registered in BUNDLE_OPTIONS.plugins, src/cli/bundle-config.mjs):
// an allocation cut in how Ink 6.8 turns its cell grid into a frame string, which it does for every
// line of every frame. Between two cells the tokenizer diffs their colour codes with three Sets and
// several arrays, even when both cells have the same codes, as most neighbours do: a few megabytes a
// frame, which on a jump host is garbage-collection time and, since V8 grows its young generation with
// the allocation rate, memory. The diff of two equal code lists is empty, so it now answers that at
// once and leaves every other case to the original. The strings are unchanged
// (test/ui/ink-render-patches.test.ts compares them with the original's).
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

export const inkRenderPatches = {
  name: 'ink-render-patches',
  setup(b) {
    b.onLoad({ filter: /[\\/]@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]diff\.js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      // The build fails if the function is gone (a new Ink or tokenizer: review the patch).
      if (!source.includes(ORIGINAL_DIFF))
        throw new Error(`${path} no longer contains '${ORIGINAL_DIFF}': review src/ui/ink-render-patches.mjs`);
      return {
        contents: source.replace(ORIGINAL_DIFF, 'function diffAnsiCodesOfDifferentLists(from, to) {') + SAME_CODES_FIRST,
        loader: 'js',
      };
    });
  },
};
