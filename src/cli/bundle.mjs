// Bundles the command line into one file, dist/pvetasks.mjs: it starts about twice as fast as loading
// node_modules, and it is the one file a jump host needs. The same code also goes into
// dist/pvetasks.cjs, the CommonJS main script of the single executable (src/cli/sea.mjs).
//
// Why not one plain esbuild bundle: V8 reads every function of a script before running it (a quick
// pre-parse of 1.2 MB took about 30 ms here), so even `--version` paid for Ink, React and the API
// client. esbuild splits the program at its dynamic imports (each command, and Ink behind the board),
// each piece is turned into a CommonJS function body, and all but the entry piece are kept as string
// literals in the one file: V8 skips over a string almost for free and compiles a piece only when the
// command that needs it runs (src/cli/bundle-loader.mjs). dist/pvetasks.meta.json is esbuild's
// metafile: which modules each piece holds and which imports are dynamic (test/reliability/startup).
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

await mkdir(dist, { recursive: true });
const outputs = {
  'pvetasks.mjs': linkChunks(chunks, ENTRY, 'esm'),
  'pvetasks.cjs': linkChunks(chunks, ENTRY, 'cjs'),
};
outputs['pvetasks.meta.json'] = JSON.stringify(result.metafile);
// Written aside and renamed into place: a test may be copying or running the previous build.
for (const [name, text] of Object.entries(outputs)) {
  const temporary = `${dist}/.${name}.${process.pid}`;
  await writeFile(temporary, text);
  await chmod(temporary, name.endsWith('.json') ? 0o644 : 0o755);
  await rename(temporary, `${dist}/${name}`);
}
