/** Small helpers shared by the benchmark's parts: statistics, progress lines, paths, the result shape. */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** The repository's root, without a trailing slash. */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface Figure {
  value: number;
  baseline?: number;
  target: number;
  ok: boolean;
}

/** Nearest-rank percentile (p in 0..100) of a non-empty sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of an empty sample');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** A progress line on stdout, prefixed so it never looks like the final JSON. */
export function progress(text: string): void {
  process.stdout.write(`[bench] ${text}\n`);
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/**
 * The environment for children that draw on a terminal: no CI variable (Ink would draw only the last
 * frame), no cluster of the operator's.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CI;
  for (const key of Object.keys(env)) {
    if (key.startsWith('PROXMOX_VE_') || key.startsWith('PVETASKS_')) delete env[key];
  }
  return { ...env, ...extra };
}

/**
 * A fixed slice of work shaped like a frame of Ink (small objects, sets, string joins), in ms: printed
 * with the results, so that runs on a busier or slower machine can be told apart.
 */
export function calibrate(): number {
  const started = performance.now();
  let sink = 0;
  for (let round = 0; round < 5; round++) {
    const cells: Array<{ value: string; styles: string[] }> = [];
    for (let i = 0; i < 100_000; i++) cells.push({ value: String.fromCharCode(32 + (i % 90)), styles: i % 3 ? [] : ['\u001b[36m'] });
    let line = '';
    for (let i = 1; i < cells.length; i++) {
      const seen = new Set(cells[i - 1]!.styles);
      line += cells[i]!.styles.filter((code) => !seen.has(code)).join('') + cells[i]!.value;
      if (line.length > 120) {
        sink += line.trimEnd().length;
        line = '';
      }
    }
  }
  if (sink < 0) throw new Error('unreachable');
  return performance.now() - started;
}
