// An esbuild plugin for the bundle (register it in BUNDLE_OPTIONS.plugins, src/cli/bundle-config.mjs):
// an allocation cut in how Ink 6.8 turns its cell grid into a frame string, which it does for every
// line of every frame. To write one cell after another, the tokenizer diffs their colours with three
// Sets and several arrays, per cell, even when both have the same colours, as most neighbours do: a
// few megabytes a frame, which on a jump host is garbage-collection time and, since V8 grows its young
// generation with the allocation rate, memory. Cells with the same codes now skip the diff. The
// strings are unchanged (test/ui/ink-render-patches.test.ts compares them).
import { readFile } from 'node:fs/promises';

/** Cells with the same codes in the same order need no colour change between them. */
const SAME_STYLES_FAST_PATH = `
function sameAnsiCodes(a, b) {
    if (a === b) return true;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i].code !== b[i].code) return false;
    return true;
}
export function styledCharsToString(chars) {
    let ret = "";
    for (let i = 0; i < chars.length; i++) {
        const char = chars[i];
        if (i === 0) {
            if (char.styles.length > 0) ret += ansiCodesToString(char.styles);
        }
        else if (!sameAnsiCodes(chars[i - 1].styles, char.styles)) {
            ret += ansiCodesToString(diffAnsiCodes(chars[i - 1].styles, char.styles));
        }
        ret += char.value;
        if (i === chars.length - 1 && char.styles.length > 0) {
            ret += ansiCodesToString(diffAnsiCodes(char.styles, []));
        }
    }
    return ret;
}
`;

/** `source` with `pattern` replaced; the build fails if it is gone (a new Ink or tokenizer: review the patch). */
function patched(path, source, pattern, replacement) {
  if (!pattern.test(source)) throw new Error(`${path} no longer matches ${pattern}: review src/ui/ink-render-patches.mjs`);
  return source.replace(pattern, replacement);
}

export const inkRenderPatches = {
  name: 'ink-render-patches',
  setup(b) {
    b.onLoad({ filter: /[\\/]@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]styledChars\.js$/ }, async ({ path }) => ({
      contents: patched(
        path,
        await readFile(path, 'utf8'),
        /export function styledCharsToString\(chars\) \{[\s\S]*?\n\}\n/,
        SAME_STYLES_FAST_PATH,
      ),
      loader: 'js',
    }));
  },
};
