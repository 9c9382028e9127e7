// The one-file command line under test, dist/pvetasks.mjs: `npm ci` builds it (prepare); a test run
// after editing src/ rebuilds it here, so no test measures or copies a stale bundle.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BUNDLE = join(ROOT, 'dist', 'pvetasks.mjs');

export function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export function bundleIsStale(): boolean {
  return !existsSync(BUNDLE) || statSync(BUNDLE).mtimeMs < newestMtime(join(ROOT, 'src'));
}

/** Runs `npm run bundle`; throws with its output when it fails. */
export function buildBundle(): void {
  const result = spawnSync('npm', ['run', 'bundle'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  if (result.status !== 0) throw new Error(`npm run bundle failed:\n${result.stdout}\n${result.stderr}`);
}

/** Builds the bundle when it is missing or older than the sources. */
export function ensureBundle(): void {
  if (bundleIsStale()) buildBundle();
}
