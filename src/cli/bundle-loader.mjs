// Joins the pieces of the split bundle (src/cli/bundle.mjs) into one file. The entry piece is plain
// code; every other piece is a string literal, compiled by the loader below the first time something
// requires it. Scanning a string costs V8 a fraction of pre-parsing the same code, so a command pays
// only for the pieces it reaches: `--version` and `wait` never compile Ink, React or yoga.

/**
 * The loader, copied into the bundle as source text (so it must not use anything from this module).
 * `nodeRequire` answers Node's built-in modules; `./NAME` is a piece. Pieces are CommonJS bodies whose
 * exports are getters, so a cycle between pieces sees the bindings once they are set, as ESM would.
 * PVETASKS_DEBUG_CHUNKS=1 names each piece on stderr as it is compiled (a test reads that).
 */
function pvetasksLoader(nodeRequire, chunks, entry) {
  const { compileFunction } = nodeRequire('node:vm');
  const debug = process.env.PVETASKS_DEBUG_CHUNKS === '1';
  const modules = new Map();
  const requireChunk = (specifier) => (specifier.startsWith('./') ? load(specifier.slice(2)) : nodeRequire(specifier));
  function load(name) {
    const known = modules.get(name);
    if (known) return known.exports;
    const source = chunks[name];
    if (source === undefined) throw new Error(`pvetasks: the bundle has no piece ${name}`);
    const module = { exports: {} };
    modules.set(name, module);
    if (debug) process.stderr.write(`pvetasks: chunk ${name}\n`);
    const body =
      typeof source === 'function' ? source : compileFunction(source, ['exports', 'require', 'module'], { filename: `pvetasks/${name}` });
    body(module.exports, requireChunk, module);
    return module.exports;
  }
  load(entry);
}

const HEADERS = {
  // The bundle's CommonJS dependencies require() Node's built-in modules: give the ESM file a require.
  esm: "#!/usr/bin/env node\nimport { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n",
  // The single executable runs this as its main script, with a require() for built-in modules.
  cjs: "'use strict';\n",
};

/**
 * One file from `chunks` (file name to CommonJS body): `format` 'esm' for dist/pvetasks.mjs (the
 * jump-host file), 'cjs' for the single executable's main script. Bundled ESM code assumes strict
 * mode, so every piece is compiled strict.
 */
export function linkChunks(chunks, entry, format) {
  const table = Object.entries(chunks)
    .map(([name, code]) =>
      name === entry
        ? `${JSON.stringify(name)}: function (exports, require, module) {\n${code}\n}`
        : `${JSON.stringify(name)}: ${JSON.stringify(`'use strict';${code}`)}`,
    )
    .join(',\n');
  return `${HEADERS[format]}(${pvetasksLoader.toString()})(require, {\n${table}\n}, ${JSON.stringify(entry)});\n`;
}
