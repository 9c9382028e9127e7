/**
 * Progress parsed from task log lines. The PVE API has no progress field anywhere, so the log is the
 * only source (pve-api-facts.md section 5). The formats, the way several steps make one progress, and
 * throughput and ETA are described in progress/lines.ts and progress/parser.ts.
 *
 * Two ways in:
 * - `createProgressParser()` keeps state per task: feed it each page of new log lines as they come and
 *   ask for `progress()`; a long log costs one pass. This is what the poller uses.
 * - `parseTaskProgress(lines)` reads the lines it is given in one go and returns the percentage and
 *   bytes only (the library's one-shot reader, unchanged in shape).
 */
import { createProgressParser, type TaskProgress } from './progress/parser.js';

export { createProgressParser };
export type { ProgressParser, ProgressPhase, TaskProgress } from './progress/parser.js';

/** The percentage and bytes the given log lines state (see the module comment); `{}` when they state none. */
export function parseTaskProgress(lines: readonly string[]): TaskProgress {
  const parser = createProgressParser();
  parser.feed(lines);
  return coreOf(parser.progress());
}

/** The progress one log line states alone, or undefined when it states none. */
export function parseProgressLine(line: string): TaskProgress | undefined {
  const progress = parseTaskProgress([line]);
  return progress.percent === undefined && progress.bytesDone === undefined ? undefined : progress;
}

function coreOf(progress: TaskProgress): TaskProgress {
  const core: TaskProgress = {};
  if (progress.percent !== undefined) core.percent = progress.percent;
  if (progress.bytesDone !== undefined) core.bytesDone = progress.bytesDone;
  if (progress.bytesTotal !== undefined) core.bytesTotal = progress.bytesTotal;
  return core;
}

/** Whether two progress values would show the same (the store skips updates that change nothing). */
export function sameTaskProgress(a: TaskProgress | undefined, b: TaskProgress | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return (
    a.percent === b.percent &&
    a.bytesDone === b.bytesDone &&
    a.bytesTotal === b.bytesTotal &&
    a.bytesPerSecond === b.bytesPerSecond &&
    a.etaSeconds === b.etaSeconds &&
    a.phase === b.phase &&
    a.item === b.item &&
    a.changedDataOnly === b.changedDataOnly &&
    a.guest?.vmid === b.guest?.vmid &&
    a.guest?.index === b.guest?.index &&
    a.guest?.count === b.guest?.count &&
    a.disk?.index === b.disk?.index &&
    a.disk?.count === b.disk?.count
  );
}
