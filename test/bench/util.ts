/** Small helpers shared by the benchmark's parts: statistics, progress lines, paths, the result shape. */
import { resolve } from 'node:path';
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

/** The environment for children that draw on a terminal: no CI variable (Ink would draw only the last frame), no cluster of the operator's. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CI;
  for (const key of Object.keys(env)) {
    if (key.startsWith('PROXMOX_VE_') || key.startsWith('PVETASKS_')) delete env[key];
  }
  return { ...env, ...extra };
}
