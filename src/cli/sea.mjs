// Builds dist/pvetasks-linux-x64 (`npm run sea`, after `npm run bundle`): one executable holding the
// Node runtime this build runs on (process.execPath) and dist/pvetasks.cjs, through Node's single
// executable applications: `node --experimental-sea-config` writes the blob, postject injects it into a
// copy of node, with the bundle's payload as the asset `pieces`. It needs nothing on the jump host but
// the C and C++ libraries node itself was linked against.
// Prints the size and SHA-256 for the README and for whoever copies the file.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const SEA_NAME = 'pvetasks-linux-x64';
const output = join(root, 'dist', SEA_NAME);
const main = join(root, 'dist', 'pvetasks.cjs');
// The pieces the main script compiles when a command needs them (src/cli/bundle-loader.mjs).
const pieces = join(root, 'dist', 'pvetasks.pieces');
// Node's sentinel for the blob; a node binary built without single executable support lacks it.
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Why this machine cannot build the executable, or undefined when it can. */
export function seaUnsupportedReason() {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return `single executables are built for linux-x64 only, not ${process.platform}-${process.arch}`;
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 12))
    return `Node ${process.versions.node} has no usable single executable support (20.12 or later)`;
  if (!readFileSync(process.execPath).includes(`${FUSE}:0`)) return `${process.execPath} was built without single executable support`;
  return undefined;
}

function run(command, args, what, env = process.env) {
  const result = spawnSync(command, args, { encoding: 'utf8', env });
  if (result.status !== 0) throw new Error(`${what} failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const reason = seaUnsupportedReason();
  if (reason) {
    console.error(`npm run sea: ${reason}`);
    process.exit(1);
  }
  if (!existsSync(main) || !existsSync(pieces)) {
    console.error('npm run sea: dist/pvetasks.cjs or dist/pvetasks.pieces is missing; run npm run bundle first');
    process.exit(1);
  }
  // Built beside its destination, so the final rename stays on one file system.
  const work = mkdtempSync(join(root, 'dist', '.sea-'));
  try {
    const blob = join(work, 'sea.blob');
    const config = join(work, 'sea-config.json');
    // No useCodeCache: it saved about 1 ms of --version here, but two builds of the same sources then
    // differ, and a SHA-256 anyone can reproduce by building again is worth more.
    const seaConfig = { main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false, assets: { pieces } };
    writeFileSync(config, JSON.stringify(seaConfig));
    run(process.execPath, ['--experimental-sea-config', config], 'node --experimental-sea-config');
    const executable = join(work, SEA_NAME);
    copyFileSync(process.execPath, executable);
    const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
    run(process.execPath, [postject, executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE], 'postject');
    // Any user may run it; only its owner may change it.
    chmodSync(executable, 0o755);
    // It must run with no node on PATH.
    run(executable, ['--version'], 'the new executable', { PATH: '/nonexistent' });
    renameSync(executable, output);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const sha256 = createHash('sha256').update(readFileSync(output)).digest('hex');
  const size = statSync(output).size;
  console.log(`dist/${SEA_NAME}: ${size} bytes (${(size / 2 ** 20).toFixed(1)} MiB), Node ${process.versions.node}`);
  console.log(`sha256 ${sha256}`);
}
