/**
 * Builds and runs the benchmark's child programs. Each is bundled with esbuild the way
 * src/cli/bundle.mjs bundles the binary (the same esbuild options and plugins: src/cli/bundle-config.mjs), into a
 * temporary directory that is removed at the end, so a child's timings and memory are those of the
 * shipped code, not of tsx's on-the-fly compiler.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { BUNDLE_OPTIONS } from '../../src/cli/bundle-config.mjs';
import { ROOT, childEnv } from './util.js';

const BANNER =
  "import { createRequire as __benchCreateRequire } from 'node:module';\nconst require = __benchCreateRequire(import.meta.url);";

/** An esbuild plugin that bundles other files in place of some (absolute paths both). */
function replaceFiles(replace: Record<string, string>): Plugin {
  return {
    name: 'bench-replace-files',
    setup(b) {
      b.onLoad({ filter: /\.tsx?$/ }, (args) => {
        const other = replace[args.path];
        return other ? { contents: readFileSync(other, 'utf8'), loader: 'ts', resolveDir: dirname(other) } : undefined;
      });
    },
  };
}

export class Workdir {
  readonly path = mkdtempSync(join(tmpdir(), 'pvetasks-bench-'));

  /**
   * Bundles `entry` (a file, or source text resolved from the repository root) to `<name>.mjs`;
   * `replace` maps source files to the files bundled in their place.
   */
  async bundle(name: string, entry: { file: string } | { source: string }, replace: Record<string, string> = {}): Promise<string> {
    const outfile = join(this.path, `${name}.mjs`);
    await build({
      ...('file' in entry
        ? { entryPoints: [entry.file] }
        : { stdin: { contents: entry.source, resolveDir: ROOT, loader: 'js', sourcefile: `${name}.js` } }),
      outfile,
      ...BUNDLE_OPTIONS,
      plugins: [...(BUNDLE_OPTIONS.plugins ?? []), replaceFiles(replace)],
      banner: { js: BANNER },
      absWorkingDir: ROOT,
    });
    return outfile;
  }

  file(name: string, text: string): string {
    const path = join(this.path, name);
    writeFileSync(path, text);
    return path;
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Runs `node script arg` and parses the last line of its stdout as JSON. */
export function runJsonChild<T>(script: string, arg: unknown, timeoutMs = 600_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(arg)], {
      env: childEnv({ NODE_ENV: 'production' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`${script} exited ${code}: ${err.trim().slice(-2000)}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${script}: no JSON result (${err.trim().slice(-500)})`));
      }
    });
  });
}
