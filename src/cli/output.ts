/**
 * What the waiting commands (`wait`, `start`, `backup`, `snapshot`) print: with `--json`, one JSON object
 * per line on stdout (`started`, `finished`, `summary`, DESIGN.md "Command line"); always, human progress
 * lines and a summary table on stderr; and the exit code.
 */
import { describeTask } from '../tasks/describe.js';
import type { TaskOutcome } from '../tasks/exit-status.js';
import { parseUpid } from '../tasks/upid.js';
import { tallyLine } from '../ui/format.js';
import { formatTable } from '../ui/plain-table.js';
import { colorEnabled } from '../util/color.js';
import { formatDuration } from '../util/duration.js';
import { jsonLine, sanitizeText } from '../util/sanitize.js';
import { ExitCode, type CliIo } from './io.js';

/** The unit of output: a UPID for `wait`, a requested guest for the launch commands. */
export interface Target {
  /** Null until a task is known, and for a guest refused before any task. */
  upid: string | null;
  node: string | null;
  vmid: number | null;
  /** The task type, e.g. `qmstart`. */
  type: string | null;
  /** Human name for the stderr lines; by default the task's description or `VM <vmid>`. */
  label?: string;
  /** The target's cluster, when the run names clusters (several, or a configured one). */
  cluster?: string;
  /** A migration's target node (`target_node` in JSON). */
  targetNode?: string;
}

export interface TargetResult {
  outcome: TaskOutcome;
  /** PVE's exit status; null when there is none (timeout, no such task, refused before a task). */
  exitStatus: string | null;
  /** One line for humans; by default derived from the outcome. */
  message?: string;
  durationMs: number;
}

export interface StartedEvent {
  event: 'started';
  /** Only when the run names clusters. */
  cluster?: string;
  upid: string | null;
  node: string | null;
  vmid: number | null;
  type: string | null;
  /** When the task started, ISO 8601 UTC to the second (`2026-11-27T08:00:00Z`). */
  time: string;
  /** A migration's target node. */
  target_node?: string;
}

export interface FinishedEvent {
  event: 'finished';
  cluster?: string;
  upid: string | null;
  node: string | null;
  vmid: number | null;
  type: string | null;
  outcome: TaskOutcome;
  exitstatus: string | null;
  message: string;
  duration_s: number;
  /** A migration's target node. */
  target_node?: string;
}

export type OutcomeCounts = Record<TaskOutcome, number>;

export interface SummaryEvent extends OutcomeCounts {
  event: 'summary';
}

/** Seconds to one decimal: precise enough for a task, steady enough for scripts. */
export function durationSeconds(ms: number): number {
  return Math.round(Math.max(0, ms) / 100) / 10;
}

/** ISO 8601 UTC without milliseconds, which jq's `fromdate` reads. */
export function isoSeconds(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function startedEvent(target: Target, startedAtMs: number): StartedEvent {
  return {
    event: 'started',
    ...clusterOf(target),
    upid: target.upid,
    node: target.node,
    vmid: target.vmid,
    type: target.type,
    time: isoSeconds(startedAtMs),
    ...(target.targetNode ? { target_node: target.targetNode } : {}),
  };
}

export function finishedEvent(target: Target, result: TargetResult): FinishedEvent {
  return {
    event: 'finished',
    ...clusterOf(target),
    upid: target.upid,
    node: target.node,
    vmid: target.vmid,
    type: target.type,
    outcome: result.outcome,
    exitstatus: result.exitStatus,
    message: result.message ?? outcomeMessage(result.outcome, result.exitStatus),
    duration_s: durationSeconds(result.durationMs),
    ...(target.targetNode ? { target_node: target.targetNode } : {}),
  };
}

const clusterOf = (target: Target) => (target.cluster === undefined ? {} : { cluster: target.cluster });

/** `on pve1`, or with the cluster `on east:pve1` (as CLUSTER:NODE:VMID is typed). */
function whereOf(target: Target): string {
  if (!target.node) return target.cluster ? ` on ${safe(target.cluster)}` : '';
  return ` on ${target.cluster ? `${safe(target.cluster)}:` : ''}${safe(target.node)}`;
}

/** Where a finished target was, when the run names clusters (a VMID may be in two of them). */
const clusterWhere = (target: Target) => (target.cluster === undefined ? '' : whereOf(target));

export function countOutcomes(outcomes: Iterable<TaskOutcome>): OutcomeCounts {
  const counts: OutcomeCounts = { ok: 0, warnings: 0, failed: 0, timeout: 0, unknown: 0, skipped: 0 };
  for (const outcome of outcomes) counts[outcome]++;
  return counts;
}

export function summaryEvent(outcomes: Iterable<TaskOutcome>): SummaryEvent {
  const { ok, warnings, failed, timeout, unknown, skipped } = countOutcomes(outcomes);
  return { event: 'summary', ok, warnings, failed, timeout, unknown, skipped };
}

/**
 * The exit code for the targets' outcomes, first match wins: 1 when any failed or ended unknown, else
 * 124 when any timed out, else 0 (`skipped` is a success: nothing needed doing). Usage (2) and
 * connection (3) errors are raised before anything runs.
 */
export function exitCodeFor(outcomes: Iterable<TaskOutcome>): number {
  let timedOut = false;
  for (const outcome of outcomes) {
    if (outcome === 'failed' || outcome === 'unknown') return ExitCode.failed;
    if (outcome === 'timeout') timedOut = true;
  }
  return timedOut ? ExitCode.timeout : ExitCode.ok;
}

/** A default one-line message for an outcome. */
export function outcomeMessage(outcome: TaskOutcome, exitStatus: string | null): string {
  switch (outcome) {
    case 'ok':
      return 'OK';
    case 'warnings':
      return `${exitStatus ?? 'WARNINGS'} (finished, with warnings in the task log)`;
    case 'failed':
      return exitStatus ? `failed: ${exitStatus}` : 'failed';
    case 'timeout':
      return 'timed out; the task keeps running on the server';
    case 'unknown':
      return exitStatus === 'unexpected status'
        ? 'ended without a status line (killed or crashed): unexpected status'
        : 'unknown: PVE does not know this task on its node';
    case 'skipped':
      return 'skipped';
  }
}

const SGR: Record<TaskOutcome | 'dim', string> = {
  ok: '32',
  warnings: '33',
  failed: '31',
  timeout: '35',
  unknown: '31',
  skipped: '2',
  dim: '2',
};

/** Colours text; the words themselves always carry the meaning, so a monochrome line says the same. */
export function paint(text: string, style: TaskOutcome | 'dim', color: boolean): string {
  return color ? `\u001b[${SGR[style]}m${text}\u001b[0m` : text;
}

/** The outcome as one word, for lines and tables. */
export function outcomeWord(outcome: TaskOutcome): string {
  return outcome === 'timeout' ? 'TIMED OUT' : outcome.toUpperCase();
}

export function targetLabel(target: Target): string {
  if (target.label) return target.label;
  if (target.type) return describeTask(target.type, target.vmid ?? upidId(target.upid));
  if (target.vmid !== null) return `guest ${target.vmid}`;
  return target.upid ?? 'target';
}

/** The worker id of a UPID ('' when there is none or the UPID does not parse). */
function upidId(upid: string | null): string {
  if (upid === null) return '';
  try {
    return parseUpid(upid).id;
  } catch {
    return '';
  }
}

/** Server text on a human line: one line, no control sequence, and not endless. */
const HUMAN_TEXT_MAX = 1024;
function safe(text: string): string {
  return sanitizeText(text, { maxLength: HUMAN_TEXT_MAX });
}

export interface ReporterOptions {
  json: boolean;
  /** Colour stderr; by default decided by the one colour policy (colorEnabled). */
  color?: boolean;
  noColor?: boolean;
}

interface Entry {
  target: Target;
  started?: boolean;
  result?: TargetResult;
}

/**
 * Writes a command's output as its targets start and finish. Each target gets at most one `started` and
 * exactly one `finished` (a second `finished` for the same target is ignored), and `summary()` comes last.
 */
export class TaskReporter {
  private readonly entries = new Map<Target, Entry>();
  private readonly color: boolean;

  constructor(
    private readonly io: Pick<CliIo, 'stdout' | 'stderr' | 'env'>,
    private readonly options: ReporterOptions,
  ) {
    this.color = options.color ?? colorEnabled({ env: io.env, flag: options.noColor ? false : undefined, isTTY: io.stderr.isTTY });
  }

  started(target: Target, startedAtMs: number): void {
    const entry = this.entry(target);
    if (entry.result || entry.started) return;
    entry.started = true;
    if (this.options.json) this.writeJson(startedEvent(target, startedAtMs));
    this.io.stderr.write(
      `started   ${safe(targetLabel(target))}${whereOf(target)}  ${paint(safe(target.upid ?? ''), 'dim', this.color)}\n`,
    );
  }

  finished(target: Target, result: TargetResult): void {
    const entry = this.entry(target);
    if (entry.result) return;
    entry.result = result;
    const event = finishedEvent(target, result);
    if (this.options.json) this.writeJson(event);
    if (result.outcome === 'skipped') {
      // Nothing was sent: no time to tell, only why.
      this.io.stderr.write(
        `finished  ${safe(targetLabel(target))}${clusterWhere(target)}  ${paint(`skipped (${safe(event.message)})`, 'skipped', this.color)}\n`,
      );
      return;
    }
    const word = paint(outcomeWord(result.outcome), result.outcome, this.color);
    const detail = result.outcome === 'ok' ? '' : `  ${safe(event.message)}`;
    this.io.stderr.write(
      `finished  ${safe(targetLabel(target))}${clusterWhere(target)}  ${word}  ${formatDuration(result.durationMs)}${detail}\n`,
    );
  }

  /** The outcomes so far, in the order targets were first reported. */
  get outcomes(): TaskOutcome[] {
    return [...this.entries.values()].flatMap((entry) => (entry.result ? [entry.result.outcome] : []));
  }

  /** Writes the summary (JSON last line, human table on stderr) and returns the exit code. */
  summary(): number {
    const outcomes = this.outcomes;
    if (this.options.json) this.writeJson(summaryEvent(outcomes));
    const done = [...this.entries.values()].filter((entry): entry is Required<Entry> => entry.result !== undefined);
    const clusters = done.some(({ target }) => target.cluster !== undefined);
    const rows = done.map(({ target, result }) => [
      ...(clusters ? [safe(target.cluster ?? '-')] : []),
      safe(targetLabel(target)),
      safe(target.node ?? '-'),
      outcomeWord(result.outcome),
      formatDuration(result.durationMs),
      result.outcome === 'ok' ? '' : safe(result.message ?? outcomeMessage(result.outcome, result.exitStatus)),
    ]);
    if (rows.length > 0) {
      const headers = ['TARGET', 'NODE', 'OUTCOME', 'TIME', 'DETAIL'];
      this.io.stderr.write('\n' + formatTable(clusters ? ['CLUSTER', ...headers] : headers, rows));
    }
    this.io.stderr.write(outcomeTally(outcomes) + '\n');
    return exitCodeFor(outcomes);
  }

  private entry(target: Target): Entry {
    let entry = this.entries.get(target);
    if (!entry) {
      entry = { target };
      this.entries.set(target, entry);
    }
    return entry;
  }

  private writeJson(event: object): void {
    this.io.stdout.write(jsonLine(event));
  }
}

/** `3 targets: 2 ok, 1 failed` (only the outcomes that occurred). */
export function outcomeTally(outcomes: TaskOutcome[]): string {
  const counts = countOutcomes(outcomes);
  const parts = (Object.keys(counts) as TaskOutcome[]).map(
    (outcome) => [counts[outcome], outcome === 'timeout' ? 'timed out' : outcome] as const,
  );
  return tallyLine(outcomes.length, 'target', parts);
}
