/**
 * Numbers as PVE renders them in task logs: sizes (`render_bytes`: `12.4 GiB`, GNU tar's `838MiB`),
 * durations (`render_duration`: `1m 56s`, `1h 2m 3s`, `0s`), rsync's `2.74G` and line timestamps.
 */

const UNIT_BYTES: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  PiB: 1024 ** 5,
  // PVE renders binary units; decimal ones come from tools whose text it passes through (old vzdump's MB/s).
  kB: 1000,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  TB: 1000 ** 4,
  PB: 1000 ** 5,
};

/** A size with its unit; two capture groups. GNU tar writes no space between number and unit. */
export const SIZE = String.raw`(\d+(?:\.\d+)?) ?(B|KiB|MiB|GiB|TiB|PiB|kB|KB|MB|GB|TB|PB)`;
/** A `render_duration` text; one capture group. */
export const DURATION = String.raw`(\d+[wdhms](?: \d+[wdhms])*)`;
/** A percentage number (`80.26`, `100`); one capture group. */
export const PERCENT = String.raw`(\d+(?:\.\d+)?)`;

export function bytesOf(amount: string, unit: string): number {
  return Math.round(Number(amount) * (UNIT_BYTES[unit] ?? 1));
}

const DURATION_UNIT_SECONDS: Readonly<Record<string, number>> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };

export function secondsOf(duration: string): number {
  let seconds = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+)([wdhms])/g)) seconds += Number(amount) * DURATION_UNIT_SECONDS[unit!]!;
  return seconds;
}

/** rsync's `--human-readable` sizes (`2.74G`): powers of 1000 with one `-h`, as vzdump runs it. */
export function rsyncBytesOf(amount: string, suffix: string): number {
  const power = ' KMGTP'.indexOf(suffix || ' ');
  return Math.round(Number(amount) * 1000 ** Math.max(0, power));
}

const ISO_STAMP = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\b/;
const SYSLOG_STAMP = /^[A-Z][a-z]{2} +(\d{1,2}) (\d\d):(\d\d):(\d\d)\b/;

/**
 * Seconds of the timestamp a line starts with (`2021-04-22 01:02:13`, or PVE 3/4's `Nov 24 12:26:45`),
 * good for differences between lines of one log only.
 */
export function lineTimeOf(line: string): number | undefined {
  let m = ISO_STAMP.exec(line);
  if (m) return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
  m = SYSLOG_STAMP.exec(line);
  if (m) return Number(m[1]) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
  return undefined;
}

/** `2026-09-06 09:19:05` (vzdump's "Backup started at" and "Failed at"), as seconds. */
export function stampSecondsOf(stamp: string): number | undefined {
  const m = ISO_STAMP.exec(stamp);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000 : undefined;
}
