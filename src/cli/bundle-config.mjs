// What every bundle of pvetasks shares: the command line's (bundle.mjs) and the benchmark children
// that must run like it (test/bench/children.ts).
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { inkRenderPatches } from '../ui/ink-render-patches.mjs';

/** The build fails when a patched dependency changed: each patch below names the text it expects. */
function mustContain(path, source, marker) {
  if (!source.includes(marker)) {
    throw new Error(`${path} no longer contains '${marker}': review the patches in src/cli/bundle-config.mjs`);
  }
}

function replaced(path, source, marker, replacement) {
  mustContain(path, source, marker);
  return source.replace(marker, replacement);
}

// Ink's reconciler has two top-level awaits, both for React devtools when DEV=true: it imports its
// devtools module (which imports react-devtools-core) and reads its package.json. pvetasks never uses
// devtools, and a top-level await would stop the CommonJS build that a single executable needs (esbuild
// refuses it in cjs output): both are removed here, so react-devtools-core is never reached either.
const inkWithoutDevtools = {
  name: 'ink-without-devtools',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]ink[\\/]build[\\/]reconciler\.js$/ }, async ({ path }) => {
      let source = await readFile(path, 'utf8');
      source = replaced(path, source, "await import('./devtools.js');", '/* pvetasks: React devtools are never used */');
      source = replaced(path, source, '? await loadPackageJson()', '? { name: undefined, version: undefined }');
      return { contents: source, loader: 'js' };
    });
  },
};

const YOGA_WASM_LITERAL = /"data:application\/octet-stream;base64,[A-Za-z0-9+/=]{1000,}"/g;

// yoga-layout 3 (Ink's layout engine) compiles its WebAssembly with a top-level await, which the
// CommonJS build cannot hold. Its Emscripten loader accepts an `instantiateWasm` hook: the bundle
// instantiates the module synchronously there (Node allows that for any size), so yoga is ready when
// its module has run, with no await. The loader's embedded binary is exported to the hook.
const SYNC_YOGA_INDEX = `
import loadYogaModule, { pvetasksYogaWasm } from '../binaries/yoga-wasm-base64-esm.js';
import wrapAssembly from './wrapAssembly.js';
const wasm = new WebAssembly.Module(Buffer.from(pvetasksYogaWasm.slice(pvetasksYogaWasm.indexOf(',') + 1), 'base64'));
const yogaModule = {
  instantiateWasm(imports, receive) {
    receive(new WebAssembly.Instance(wasm, imports));
    return {};
  },
};
loadYogaModule(yogaModule);
if (!yogaModule.calledRun) throw new Error('pvetasks: yoga-layout did not initialise synchronously');
const Yoga = wrapAssembly(yogaModule);
export default Yoga;
export * from './generated/YGEnums.js';
`;

const syncYoga = {
  name: 'sync-yoga',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]yoga-layout[\\/]dist[\\/]src[\\/]index\.js$/ }, async ({ path }) => {
      mustContain(path, await readFile(path, 'utf8'), 'wrapAssembly(await loadYoga())');
      return { contents: SYNC_YOGA_INDEX, loader: 'js', resolveDir: dirname(path) };
    });
    b.onLoad({ filter: /[\\/]node_modules[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, async ({ path }) => {
      let source = await readFile(path, 'utf8');
      const literals = source.match(YOGA_WASM_LITERAL) ?? [];
      if (literals.length !== 1) throw new Error(`${path}: expected one embedded WebAssembly binary, found ${literals.length}`);
      source = source.replace(literals[0], 'pvetasksYogaWasm');
      // Only used to locate a separate .wasm file, which the embedded binary makes unnecessary.
      source = replaced(path, source, 'var _scriptDir = import.meta.url;', 'var _scriptDir = undefined;');
      return { contents: `${source}\nexport const pvetasksYogaWasm = ${literals[0]};\n`, loader: 'js' };
    });
  },
};

/** How Ink fills each cell of a new frame: an object per cell (4,800 at 120x40), every frame. */
const BLANK_CELL_LITERAL = `row.push({
                    type: 'char',
                    value: ' ',
                    fullWidth: false,
                    styles: [],
                });`;

const SHARED_OUTPUT_CACHES = `
// pvetasks: one blank cell for all, frozen (cells are replaced, never changed in place).
const BLANK_CELL = Object.freeze({ type: 'char', value: ' ', fullWidth: false, styles: Object.freeze([]) });
// pvetasks: one set of caches for every frame, dropped when it grows, instead of one per frame.
let sharedCaches;
function sharedOutputCaches() {
    if (!sharedCaches || sharedCaches.styledChars.size > 500 || sharedCaches.widths.size > 5000 || sharedCaches.blockWidths.size > 500) {
        sharedCaches = new OutputCaches();
    }
    return sharedCaches;
}
`;

const MEMOISED_STRING_WIDTH = `
// pvetasks: the same texts are measured on every frame; remember their widths (a bounded memo).
const knownWidths = new Map();
export default function stringWidth(string, options) {
	if (options !== undefined) return measureStringWidth(string, options);
	let width = knownWidths.get(string);
	if (width === undefined) {
		if (knownWidths.size >= 2000) knownWidths.clear();
		width = measureStringWidth(string);
		knownWidths.set(string, width);
	}
	return width;
}
`;

// Ink 6.8 (the last for Node 20) builds each frame in a new Output whose caches (a line's styled
// characters, text widths) live for that frame only, and measures every text with string-width on
// every frame. The board draws mostly the same lines frame after frame, so the bundle keeps Ink's
// caches across frames and memoises string-width: about a third of a frame's time (npm run bench).
// Nothing else changes; the tests that run the bundle (end-to-end, jump host) check its screens.
const frameCaches = {
  name: 'ink-frame-caches',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]ink[\\/]build[\\/]output\.js$/ }, async ({ path }) => ({
      contents:
        replaced(
          path,
          replaced(path, await readFile(path, 'utf8'), 'caches = new OutputCaches();', 'caches = sharedOutputCaches();'),
          BLANK_CELL_LITERAL,
          'row.push(BLANK_CELL);',
        ) + SHARED_OUTPUT_CACHES,
      loader: 'js',
    }));
    b.onLoad({ filter: /[\\/]node_modules[\\/]string-width[\\/]index\.js$/ }, async ({ path }) => ({
      contents:
        replaced(path, await readFile(path, 'utf8'), 'export default function stringWidth(', 'function measureStringWidth(') +
        MEMOISED_STRING_WIDTH,
      loader: 'js',
    }));
  },
};

/** esbuild options shared by every bundle: one ESM file for Node 20, production React, the plugins. */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  minify: true,
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [inkWithoutDevtools, syncYoga, frameCaches, inkRenderPatches],
  logLevel: 'warning',
};
