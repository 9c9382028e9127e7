// Bundles the command line into one file, dist/pvetasks.mjs: it starts about twice as fast as loading
// node_modules, and it is the one file a jump host needs.
import { build } from 'esbuild';
import { chmod } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const outfile = `${root}/dist/pvetasks.mjs`;

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

await build({
  entryPoints: [`${root}/src/cli/main.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  minify: true,
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': '"production"' },
  // CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __pvetasksCreateRequire } from 'node:module';\nconst require = __pvetasksCreateRequire(import.meta.url);",
  },
  plugins: [devtoolsStub],
  logLevel: 'warning',
});
await chmod(outfile, 0o755);
