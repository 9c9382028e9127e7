// The bundle's patch of Ink's line serializer (src/ui/ink-render-patches.mjs) writes the same strings
// as the original: both are bundled with esbuild and given the same styled lines, board-like and random.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { build, type Plugin } from 'esbuild';
import { inkRenderPatches } from '../../src/ui/ink-render-patches.mjs';
import { ROOT } from '../helpers/bundle.js';

interface Tokenizer {
  tokenize(text: string): unknown[];
  styledCharsFromTokens(tokens: unknown[]): unknown[];
  styledCharsToString(chars: unknown[]): string;
  diffAnsiCodes(from: unknown[], to: unknown[]): unknown[];
  ansiCodesToString(codes: unknown[]): string;
}

async function bundled(dir: string, name: string, plugins: Plugin[]): Promise<Tokenizer> {
  const outfile = join(dir, `${name}.mjs`);
  await build({
    stdin: { contents: "export * from '@alcalzone/ansi-tokenize';", resolveDir: ROOT, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile,
    plugins,
    logLevel: 'error',
  });
  return (await import(pathToFileURL(outfile).href)) as Tokenizer;
}

test('the patched serializer writes exactly what the original writes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pvetasks-patch-'));
  try {
    const original = await bundled(dir, 'original', []);
    const patched = await bundled(dir, 'patched', [inkRenderPatches]);
    const E = '\u001b[';
    const lines = [
      '',
      'plain text',
      `${E}7m> ${E}36m●${E}39m VM 101 - Start web-01 ${E}90mroot@pam${E}39m 12s ${E}32mOK${E}39m${E}27m`,
      `${E}1m${E}2mbold and dim${E}22m then ${E}38;5;208mcolour${E}39m ${E}48;2;1;2;3mbackground${E}49m`,
      `${E}4munder${E}24m 漢字 ${E}3mitalic 🚀${E}23m end`,
    ];
    let seed = 5;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const codes = ['0', '1', '2', '3', '4', '7', '22', '27', '31', '36', '39', '90', '44', '49', '38;5;17'];
    for (let n = 0; n < 300; n++) {
      let line = '';
      for (let k = random(12); k > 0; k--) line += random(2) ? `${E}${codes[random(codes.length)]}m` : 'abc漢 '.slice(random(4));
      lines.push(line);
    }
    for (const line of lines) {
      const chars = original.styledCharsFromTokens(original.tokenize(line)) as Array<{ styles: unknown[] }>;
      assert.equal(patched.styledCharsToString(chars), original.styledCharsToString(chars), JSON.stringify(line));
      for (const { styles } of chars) assert.equal(patched.ansiCodesToString(styles), original.ansiCodesToString(styles));
    }
    // The patch is in place: two equal code lists share one empty answer, allocated once.
    const styles = (original.styledCharsFromTokens(original.tokenize(`${E}1m${E}36mx`))[0] as { styles: unknown[] }).styles;
    assert.equal(patched.diffAnsiCodes(styles, [...styles]), patched.diffAnsiCodes([], []));
    assert.notEqual(original.diffAnsiCodes(styles, [...styles]), original.diffAnsiCodes([], []));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
