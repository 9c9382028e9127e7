// What every bundle of pvetasks shares: the command line's (bundle.mjs) and the benchmark children
// that must run like it (test/bench/children.ts).
import { readFile } from 'node:fs/promises';

// Ink's devtools module imports react-devtools-core at top level; the bundle hoists that import, so
// without a stub the file fails to load where the package is absent. Devtools are never enabled here.
const devtoolsStub = {
  name: 'react-devtools-core-stub',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: 'export default { initialize() {}, connectToDevTools() {} };',
      loader: 'js',
    }));
  },
};

const SHARED_OUTPUT_CACHES = `
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

/** `source` with `marker` replaced and `appendix` added; the build fails if the marker is gone. */
function patched(path, source, marker, replacement, appendix) {
  if (!source.includes(marker)) {
    throw new Error(`${path} no longer contains '${marker}': review the frame-cache patch in src/cli/bundle-config.mjs`);
  }
  return source.replace(marker, replacement) + appendix;
}

// Ink 6.8 (the last for Node 20) builds each frame in a new Output whose caches (a line's styled
// characters, text widths) live for that frame only, and measures every text with string-width on
// every frame. The board draws mostly the same lines frame after frame, so the bundle keeps Ink's
// caches across frames and memoises string-width: about a third of a frame's time (npm run bench).
// Nothing else changes; the tests that run the bundle (end-to-end, jump host) check its screens.
const frameCaches = {
  name: 'ink-frame-caches',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]ink[\\/]build[\\/]output\.js$/ }, async ({ path }) => ({
      contents: patched(
        path,
        await readFile(path, 'utf8'),
        'caches = new OutputCaches();',
        'caches = sharedOutputCaches();',
        SHARED_OUTPUT_CACHES,
      ),
      loader: 'js',
    }));
    b.onLoad({ filter: /[\\/]node_modules[\\/]string-width[\\/]index\.js$/ }, async ({ path }) => ({
      contents: patched(
        path,
        await readFile(path, 'utf8'),
        'export default function stringWidth(',
        'function measureStringWidth(',
        MEMOISED_STRING_WIDTH,
      ),
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
  plugins: [devtoolsStub, frameCaches],
  logLevel: 'warning',
};
