/**
 * The report of a session's tasks for a change ticket (`--report FILE`): Markdown (`.md`) or JSON
 * (`.json`), chosen by the file's extension. It says which cluster, as whom, over which time window,
 * and for each task its UPID, guests, node, type, outcome, PVE's exit status, start, end and duration,
 * and for a backup job each guest's own result. Every text is sanitized again here (it came from
 * servers and session files): no control or bidi character reaches the file, and Markdown cells
 * cannot open a link, an image, HTML or a code span of their own.
 *
 * Also the one order of a session's tasks for people (the exit summary uses it): what needs a look first.
 */
import { formatElapsed } from '../util/duration.js';
import { sanitizeText } from '../util/sanitize.js';
import type { GuestResult } from './backup-log.js';
import { emptyTally, type TaskRow, type TaskState } from './store.js';

export type ReportFormat = 'markdown' | 'json';

/** The format a report file's name asks for, or undefined for any other extension. */
export function reportFormatOf(path: string): ReportFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.md') || lower.endsWith('.markdown')) return 'markdown';
  if (lower.endsWith('.json')) return 'json';
  return undefined;
}

export interface ReportInput {
  /** The command that ran the tasks: `board`, `start`, `backup`, `snapshot`, `wait`. */
  command: string;
  /** The cluster, or the clusters of a run over several (`alpha, bravo`). */
  cluster: string;
  user: string;
  rows: readonly TaskRow[];
  /** A run over several clusters: each row's own (the report then names it per task). */
  clusterOf?: (row: TaskRow) => string;
  /** Guest names by VMID, for the guests of a backup job. */
  guestNames?: Readonly<Record<number, string | undefined>>;
  /** When the report is written (epoch ms): the end of the time window for tasks still running. */
  writtenAt: number;
}

/** Failed, unknown and timed out first, then what still runs or waits, then the successes. */
const ATTENTION: Readonly<Record<TaskState, number>> = {
  failed: 0,
  unknown: 1,
  timeout: 2,
  running: 3,
  queued: 4,
  warnings: 5,
  ok: 6,
  skipped: 7,
};

/** The rows as people read them: those needing a look first, then by start time (oldest first). */
export function byAttention(rows: readonly TaskRow[]): TaskRow[] {
  const start = (row: TaskRow) => row.startedAt ?? row.sentAt ?? row.firstSeenAt;
  return [...rows].sort((a, b) => ATTENTION[a.state] - ATTENTION[b.state] || start(a) - start(b) || (a.key < b.key ? -1 : 1));
}

/** What the report says of one task (the JSON form; Markdown shows the same). */
export interface ReportTask {
  /** The task's cluster: the report's, or its own in a run over several. */
  cluster: string;
  upid: string | null;
  node: string;
  type: string;
  description: string;
  vmids: number[];
  guest: string | null;
  user: string | null;
  /** The state: ok, warnings, failed, timeout, unknown, skipped, or running / queued when unfinished. */
  outcome: TaskState;
  /** For a task that timed out and ended later: how it ended. */
  late_outcome: string | null;
  exitstatus: string | null;
  message: string | null;
  start: string | null;
  end: string | null;
  duration_s: number | null;
  guests: ReportGuest[];
}

export interface ReportGuest {
  vmid: number;
  name: string | null;
  outcome: GuestResult['outcome'];
  message: string | null;
  duration_s: number | null;
}

export interface Report {
  report: 'pvetasks';
  version: 1;
  command: string;
  cluster: string;
  user: string;
  /** The time window: the first task's start to the last one's end (or when the report was written). */
  from: string | null;
  to: string | null;
  written: string;
  counts: Record<TaskState, number> & { total: number };
  tasks: ReportTask[];
}

const text = (value: string | undefined): string | null => (value === undefined ? null : sanitizeText(value, { maxLength: 4096 }));
const iso = (ms: number | undefined): string | null =>
  ms === undefined || !Number.isFinite(ms) ? null : new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const seconds = (ms: number): number => Math.round(Math.max(0, ms) / 100) / 10;

function taskOf(row: TaskRow, input: ReportInput): ReportTask {
  const start = row.startedAt ?? row.sentAt;
  const duration = start !== undefined && row.endedAt !== undefined ? seconds(row.endedAt - start) : null;
  const guests = Object.entries(row.guestResults ?? {})
    .map(([vmid, result]): ReportGuest => {
      const name = input.guestNames?.[Number(vmid)];
      return {
        vmid: Number(vmid),
        name: name === undefined ? null : text(name),
        outcome: result.outcome,
        message: text(result.message),
        duration_s: result.durationSeconds ?? null,
      };
    })
    .sort((a, b) => a.vmid - b.vmid);
  return {
    cluster: text(input.clusterOf?.(row) ?? input.cluster) ?? '',
    upid: text(row.upid),
    node: text(row.node) ?? '',
    type: text(row.type) ?? '',
    description: text(row.description) ?? '',
    vmids: [...row.vmids],
    guest: text(row.guestName),
    user: text(row.user),
    outcome: row.state,
    late_outcome: row.lateOutcome === undefined ? null : text(row.lateExitStatus ?? row.lateOutcome),
    exitstatus: text(row.exitStatus),
    message: text(row.message),
    start: iso(start),
    end: iso(row.endedAt),
    duration_s: duration,
    guests,
  };
}

/** The report's content, whatever its format. */
export function reportOf(input: ReportInput): Report {
  const rows = byAttention(input.rows);
  const counts = emptyTally();
  for (const row of rows) {
    counts[row.state]++;
    counts.total++;
  }
  const starts = rows.map((row) => row.startedAt ?? row.sentAt ?? row.firstSeenAt);
  const ends = rows.map((row) => row.endedAt ?? input.writtenAt);
  return {
    report: 'pvetasks',
    version: 1,
    command: input.command,
    cluster: text(input.cluster) ?? '',
    user: text(input.user) ?? '',
    from: rows.length ? iso(Math.min(...starts)) : null,
    to: rows.length ? iso(Math.max(...ends)) : null,
    written: iso(input.writtenAt)!,
    counts,
    tasks: rows.map((row) => taskOf(row, input)),
  };
}

/** The report file's text in `format`. */
export function renderReport(input: ReportInput, format: ReportFormat): string {
  const report = reportOf(input);
  return format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : markdownOf(report);
}

// --- Markdown ------------------------------------------------------------------------------------

/**
 * A table cell: one line (sanitized already), every character Markdown could take for markup
 * backslash-escaped (emphasis, code, links and images, HTML and autolinks, strikethrough, entities,
 * the table's own pipe), so a hostile guest name stays text.
 */
export function markdownCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  return String(value).replace(/[\\`*_[\]<>!|~&#]/g, (char) => `\\${char}`);
}

/** A UPID as code (easy to copy), unless it holds a backtick (a UPID never does): then as text. */
function upidCell(upid: string | null): string {
  return upid && !upid.includes('`') ? `\`${upid}\`` : markdownCell(upid);
}

const STATE_WORDS: Readonly<Record<TaskState, string>> = {
  queued: 'queued, not launched',
  running: 'still running',
  ok: 'ok',
  warnings: 'warnings',
  failed: 'failed',
  timeout: 'timed out',
  unknown: 'unknown',
  skipped: 'skipped',
};

function countsLine(counts: Report['counts']): string {
  const order: TaskState[] = ['ok', 'warnings', 'failed', 'timeout', 'unknown', 'skipped', 'running', 'queued'];
  const parts = order.filter((state) => counts[state] > 0).map((state) => `${counts[state]} ${STATE_WORDS[state]}`);
  return `${counts.total} task${counts.total === 1 ? '' : 's'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(headings: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [row(headings), row(headings.map(() => '---')), ...rows.map(row)];
}

const duration = (value: number | null) => (value === null ? '-' : formatElapsed(value * 1000));

function outcomeCell(task: ReportTask): string {
  const word = STATE_WORDS[task.outcome];
  return markdownCell(task.late_outcome ? `${word}, then ${task.late_outcome}` : word);
}

function markdownOf(report: Report): string {
  const lines = [
    `# Tasks run with pvetasks on ${markdownCell(report.cluster)}`,
    '',
    `- Cluster: ${markdownCell(report.cluster)}`,
    `- User: ${markdownCell(report.user)}`,
    `- Command: ${markdownCell(`pvetasks ${report.command}`)}`,
    `- From ${markdownCell(report.from)} to ${markdownCell(report.to)} (UTC)`,
    `- Written: ${markdownCell(report.written)}`,
    `- ${markdownCell(countsLine(report.counts))}`,
    '',
    '## Tasks',
    '',
  ];
  // A Cluster column only when the tasks span several.
  const several = new Set(report.tasks.map((task) => task.cluster)).size > 1;
  const withCluster = (task: ReportTask, cells: string[]) => (several ? [markdownCell(task.cluster), ...cells] : cells);
  if (report.tasks.length === 0) lines.push('No task.');
  else
    lines.push(
      ...table(
        [
          ...(several ? ['Cluster'] : []),
          'Outcome',
          'Guest',
          'Task',
          'Node',
          'Type',
          'Exit status',
          'Message',
          'Start',
          'End',
          'Duration',
          'UPID',
        ],
        report.tasks.map((task) =>
          withCluster(task, [
            outcomeCell(task),
            markdownCell([task.vmids.join(', '), task.guest].filter(Boolean).join(' ')),
            markdownCell(task.description),
            markdownCell(task.node),
            markdownCell(task.type),
            markdownCell(task.exitstatus),
            markdownCell(task.message),
            markdownCell(task.start),
            markdownCell(task.end),
            duration(task.duration_s),
            upidCell(task.upid),
          ]),
        ),
      ),
    );
  const jobs = report.tasks.filter((task) => task.guests.length > 0);
  if (jobs.length > 0) lines.push('', '## Guests of backup jobs');
  for (const job of jobs) {
    lines.push(
      '',
      `### ${markdownCell(job.description)} on ${markdownCell(several ? `${job.cluster}:${job.node}` : job.node)}: ${outcomeCell(job)}`,
      '',
      `UPID: ${upidCell(job.upid)}`,
      '',
      ...table(
        ['Guest', 'Outcome', 'Duration', 'Message'],
        job.guests.map((guest) => [
          markdownCell([guest.vmid, guest.name].filter((part) => part !== null).join(' ')),
          markdownCell(guest.outcome),
          duration(guest.duration_s),
          markdownCell(guest.message),
        ]),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
