// Bundles the command line into one file, dist/pvetasks.mjs: it starts about twice as fast as loading
// node_modules, and it is the one file a jump host needs. The same pieces also make dist/pvetasks.cjs
// and dist/pvetasks.pieces, the main script and the asset of the single executable (src/cli/sea.mjs).
//
// Why not one plain esbuild bundle: V8 reads every function of a script before running it (a quick
// pre-parse of 1.2 MB took about 30 ms here), so even `--version` paid for Ink, React and the API
// client. esbuild splits the program at its dynamic imports (each command, and Ink behind the board),
// each piece becomes a CommonJS function body, and all but the pieces every start needs go into one
// comment at the end of the file, read back and compiled only when a command needs them
// (src/cli/bundle-loader.mjs). dist/pvetasks.meta.json is esbuild's metafile: which modules each
// piece holds and which imports are dynamic (test/reliability/startup.test.ts reads it).
import { build, transform } from 'esbuild';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_OPTIONS } from './bundle-config.mjs';
import { linkChunks } from './bundle-loader.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = `${root}/dist`;
const ENTRY = 'main.js';

const result = await build({
  ...BUNDLE_OPTIONS,
  entryPoints: { main: `${root}/src/cli/main.ts` },
  absWorkingDir: root,
  // Never written: the pieces are joined below.
  outdir: 'dist/chunks',
  write: false,
  splitting: true,
  chunkNames: '[name]-[hash]',
  metafile: true,
});

/** Each piece as the body of a CommonJS function (`exports`, `require`, `module`), by file name. */
const chunks = {};
for (const file of result.outputFiles) {
  const { code, warnings } = await transform(file.text, {
    format: 'cjs',
    platform: 'node',
    target: BUNDLE_OPTIONS.target,
    // import() of another piece becomes a require() of it, which the loader answers.
    supported: { 'dynamic-import': false },
    minify: true,
    logLevel: 'silent',
  });
  // import.meta and the like have no CommonJS meaning: a new one must be looked at, not shipped.
  if (warnings.length > 0) throw new Error(`${basename(file.path)}: ${warnings.map((warning) => warning.text).join('; ')}`);
  chunks[basename(file.path)] = code;
}
if (!(ENTRY in chunks)) throw new Error(`esbuild produced no ${ENTRY}`);

/** The entry and every piece it imports statically: what runs on every start, so it is written as code. */
function eagerPieces() {
  const eager = new Set([ENTRY]);
  const pending = [ENTRY];
  while (pending.length > 0) {
    for (const imported of result.metafile.outputs[`dist/chunks/${pending.pop()}`].imports) {
      const name = basename(imported.path);
      if (imported.kind !== 'import-statement' || imported.external || eager.has(name)) continue;
      eager.add(name);
      pending.push(name);
    }
  }
  return eager;
}

await mkdir(dist, { recursive: true });
const linked = linkChunks(chunks, ENTRY, eagerPieces());
const outputs = { 'pvetasks.mjs': linked.mjs, 'pvetasks.cjs': linked.cjs, 'pvetasks.pieces': linked.pieces };
outputs['pvetasks.meta.json'] = JSON.stringify(result.metafile);
// Written aside and renamed into place: a test may be copying or running the previous build.
for (const [name, text] of Object.entries(outputs)) {
  const temporary = `${dist}/.${name}.${process.pid}`;
  await writeFile(temporary, text);
  await chmod(temporary, name.endsWith('.mjs') || name.endsWith('.cjs') ? 0o755 : 0o644);
  await rename(temporary, `${dist}/${name}`);
}
