// Joins the pieces of the split bundle (src/cli/bundle.mjs) into one file. The entry piece and the
// pieces it imports statically are code; every other piece goes into one comment at the end of the
// file, the payload, which the loader below reads back and compiles the first time something requires
// a piece. V8 must scan every byte of a script before running it: a comment is the cheapest thing to
// scan (no string to build, nothing to pre-parse), so a command pays only for the pieces it reaches.
// `--version` and `wait` never compile Ink, React or yoga.

/**
 * The loader, copied into the bundle as source text (so it must not use anything from this module).
 * `bodies` are the pieces written as code; `index` gives the others' place in the payload, which
 * `readPayload` returns as bytes. `nodeRequire` answers Node's built-in modules; `./NAME` is a piece.
 * Pieces are CommonJS bodies whose exports are getters, so a cycle between pieces sees the bindings
 * once they are set, as ESM would. PVETASKS_DEBUG_CHUNKS=1 names each piece on stderr as it is
 * evaluated, with the time since the process started (a test reads the names).
 */
function pvetasksLoader(nodeRequire, bodies, index, readPayload, entry) {
  const debug = process.env.PVETASKS_DEBUG_CHUNKS === '1';
  const modules = new Map();
  let payload;
  const requireChunk = (specifier) => (specifier.startsWith('./') ? load(specifier.slice(2)) : nodeRequire(specifier));
  function compile(name) {
    if (!index[name]) throw new Error(`pvetasks: the bundle has no piece ${name}`);
    payload ??= readPayload();
    const [offset, length, escaped] = index[name];
    let source = payload.toString('latin1', offset, offset + length);
    // Inside a comment `*/` was written `*~/`, and `~` was doubled.
    if (escaped) source = source.replace(/~([~/])/g, '$1');
    return nodeRequire('node:vm').compileFunction(`'use strict';${source}`, ['exports', 'require', 'module'], {
      filename: `pvetasks/${name}`,
    });
  }
  function load(name) {
    const known = modules.get(name);
    if (known) return known.exports;
    const module = { exports: {} };
    modules.set(name, module);
    if (debug) process.stderr.write(`pvetasks: chunk ${name} at ${Math.round(performance.now())} ms\n`);
    (bodies[name] ?? compile(name))(module.exports, requireChunk, module);
    return module.exports;
  }
  load(entry);
}

// Split in the source, so that only the payload's own opening matches it.
const PAYLOAD_START = "'/*pvetasks' + ' pieces\\n'";

const HEADERS = {
  // The bundle's CommonJS dependencies require() Node's built-in modules: give the ESM file a require.
  esm: "#!/usr/bin/env node\nimport { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n",
  // The single executable runs this as its main script, with a require() for built-in modules.
  cjs: "'use strict';\n",
};

/** Where each form finds the payload: after its own code (the .mjs), or in the executable (the .cjs). */
const READ_PAYLOAD = {
  esm: `() => {
  const file = require('node:fs').readFileSync(new URL(import.meta.url));
  return file.subarray(file.indexOf(${PAYLOAD_START}) + (${PAYLOAD_START}).length);
}`,
  cjs: `() => {
  const sea = require('node:sea');
  if (sea.isSea()) return Buffer.from(sea.getRawAsset('pieces'));
  return require('node:fs').readFileSync(require('node:path').join(__dirname, 'pvetasks.pieces'));
}`,
};

/**
 * Links `chunks` (file name to CommonJS body; `eager` names those written as code: the entry and what
 * it always loads). Returns dist/pvetasks.mjs (the jump-host file, its payload in its closing
 * comment), dist/pvetasks.cjs (the single executable's main script) and the payload alone, which the
 * executable carries as its asset `pieces`. Bundled ESM code assumes strict mode: every piece is strict.
 */
export function linkChunks(chunks, entry, eager) {
  const bodies = [];
  const index = {};
  let payload = '';
  for (const [name, code] of Object.entries(chunks)) {
    if (eager.has(name)) {
      bodies.push(`${JSON.stringify(name)}: function (exports, require, module) {\n'use strict';\n${code}\n}`);
      continue;
    }
    // Offsets count bytes, so one character must be one byte (esbuild escapes the rest by default).
    if (/[^\x00-\x7f]/.test(code)) throw new Error(`piece ${name} is not plain ASCII`);
    const escaped = /~|\*\//.test(code);
    const text = escaped ? code.replace(/~/g, '~~').replace(/\*\//g, '*~/') : code;
    index[name] = [payload.length, text.length, escaped ? 1 : 0];
    payload += text;
  }
  const head = (format) =>
    `${HEADERS[format]}(${pvetasksLoader.toString()})(require, {\n${bodies.join(',\n')}\n}, ${JSON.stringify(index)}, ${READ_PAYLOAD[format]}, ${JSON.stringify(entry)});\n`;
  return {
    mjs: `${head('esm')}/*pvetasks pieces\n${payload}*/\n`,
    cjs: head('cjs'),
    pieces: payload,
  };
}
