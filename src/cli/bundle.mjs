// Bundles the command line into one file, dist/pvetasks.mjs: it starts about twice as fast as loading
// node_modules, and it is the one file a jump host needs.
import { build } from 'esbuild';
import { chmod } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { BUNDLE_OPTIONS } from './bundle-config.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const outfile = `${root}/dist/pvetasks.mjs`;

await build({
  entryPoints: [`${root}/src/cli/main.ts`],
  outfile,
  ...BUNDLE_OPTIONS,
  // CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __pvetasksCreateRequire } from 'node:module';\nconst require = __pvetasksCreateRequire(import.meta.url);",
  },
});
await chmod(outfile, 0o755);
