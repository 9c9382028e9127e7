/**
 * The summary of this session's tasks, printed to the normal screen after the board exits: a bordered
 * table (ink-table) on a UTF-8 terminal, plain aligned columns under --ascii.
 */
import { Table } from '@alcalzone/ink-table';
import { Text, renderToString } from 'ink';
import type { ReactNode } from 'react';
import { emptyTally, type TaskRow } from '../tasks/store.js';
import { STATE_WORDS, clip, elapsedText, fit, outcomeText, tallyParts, taskTitle } from './format.js';
import { createTheme, type Theme } from './theme.js';

interface SummaryOptions {
  ascii: boolean;
  color: boolean;
  columns: number;
  /** For the time of tasks still running (default: the wall clock). */
  now?: number;
}

type SummaryRow = { state: string; task: string; node: string; time: string; outcome: string };
const HEADINGS: SummaryRow = { state: 'state', task: 'task', node: 'node', time: 'time', outcome: 'outcome' };
const FIELDS = Object.keys(HEADINGS) as Array<keyof SummaryRow>;
const MAX_TASK = 40;

function summaryRow(row: TaskRow, theme: Theme, now: number): SummaryRow {
  return {
    state: `${theme.glyph[row.state]} ${STATE_WORDS[row.state]}`,
    task: taskTitle(row),
    node: row.node,
    time: elapsedText(row, now),
    outcome: outcomeText(row, now) || (row.state === 'running' ? 'still running' : ''),
  };
}

/** Cuts the task and then the outcome column so that a table of `overhead` extra characters fits `columns`. */
function fitted(rows: SummaryRow[], columns: number, overhead: number, ellipsis: string): SummaryRow[] {
  const width = (field: keyof SummaryRow) => Math.max(HEADINGS[field].length, ...rows.map((r) => r[field].length));
  const available = columns - overhead - width('state') - width('node') - width('time');
  let task = Math.min(MAX_TASK, width('task'));
  let outcome = width('outcome');
  if (task + outcome > available) {
    outcome = Math.max(HEADINGS.outcome.length, available - task);
    task = Math.max(HEADINGS.task.length, Math.min(task, available - outcome));
  }
  return rows.map((r) => ({ ...r, task: clip(r.task, task, ellipsis), outcome: clip(r.outcome, outcome, ellipsis) }));
}

function tallyLine(rows: readonly TaskRow[]): string {
  const tally = emptyTally();
  for (const row of rows) tally[row.state] += 1;
  const parts = tallyParts(tally)
    .filter((part) => part.count > 0 && part.state !== 'running' && part.state !== 'queued')
    .map((part) => `${part.count} ${part.label}`);
  const active = tally.running + tally.queued;
  if (tally.running) parts.push(`${tally.running} still running on the server`);
  if (tally.queued) parts.push(`${tally.queued} queued, not launched`);
  return `${rows.length} task${rows.length === 1 ? '' : 's'}${parts.length || active ? `: ${parts.join(', ')}` : ''}`;
}

export function renderSummary(rows: readonly TaskRow[], { ascii, color, columns, now = Date.now() }: SummaryOptions): string {
  if (rows.length === 0) return 'No task was started in this session.\n';
  const theme = createTheme({ color, ascii });
  const data = rows.map((row) => summaryRow(row, theme, now));
  if (ascii) return `${plainTable(fitted(data, columns, 2 * (FIELDS.length - 1), theme.ellipsis))}\n${tallyLine(rows)}\n`;
  // Each column has one space of padding on both sides and a border on its left, plus the last border.
  const table = fitted(data, columns, 3 * FIELDS.length + 1, theme.ellipsis);
  const plain = ({ children }: { children?: ReactNode }) => <Text>{children}</Text>;
  const rendered = renderToString(
    <Table data={table} columns={FIELDS} {...(color ? {} : { header: plain, cell: plain, skeleton: plain })} />,
    // Wide enough never to wrap: the columns were already cut to fit the terminal where that is possible.
    { columns: 1000 },
  );
  return `${rendered}\n${tallyLine(rows)}\n`;
}

function plainTable(rows: SummaryRow[]): string {
  const widths = FIELDS.map((field) => Math.max(HEADINGS[field].length, ...rows.map((r) => r[field].length)));
  const line = (r: SummaryRow) =>
    FIELDS.map((field, i) => (i === FIELDS.length - 1 ? r[field] : fit(r[field], widths[i]!, '~')))
      .join('  ')
      .trimEnd();
  return [line(HEADINGS), ...rows.map(line)].join('\n');
}
