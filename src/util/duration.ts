/** Durations as operators type them (`500ms`, `30s`, `2m`, `1h`, `1h30m`) and as the board shows them. */

import { echo } from './echo.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

export class InvalidDurationError extends Error {
  override name = 'InvalidDurationError';
}

/** Parses a duration into milliseconds; throws InvalidDurationError with the accepted forms. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (!DURATION_RE.test(trimmed)) {
    const hint = /^\d+(\.\d+)?$/.test(trimmed) ? ' (add a unit)' : '';
    throw new InvalidDurationError(`invalid duration ${echo(text)}${hint}: use a number with ms, s, m or h, e.g. 500ms, 30s, 2m, 1h`);
  }
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART_RE)) total += Number(amount) * UNIT_MS[unit!]!;
  if (!(total > 0) || !Number.isFinite(total)) {
    throw new InvalidDurationError(`invalid duration ${echo(text)}: it must be more than zero`);
  }
  return Math.round(total);
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Compact elapsed time: `42s`, `3m 07s`, `1h 02m`, `2d 03h`. */
export function formatElapsed(ms: number): string {
  const totalSeconds = Math.max(0, Math.floor(ms / 1000));
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes}m ${pad2(totalSeconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${pad2(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d ${pad2(hours % 24)}h`;
}

/** A duration for messages: `2m`, `90s`, `1h 30m`, `500ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return ms >= 3_600_000 ? formatElapsed(ms) : `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms < 600_000) return `${ms / 1000}s`;
  return formatElapsed(ms);
}
