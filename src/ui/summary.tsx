/**
 * The summary of this session's tasks, printed to the normal screen after the board exits: a bordered
 * table (ink-table) on a UTF-8 terminal, the plain table under --ascii. Every cell is sanitized here
 * (rows were sanitized where they entered the store; this costs little and stands on its own), and
 * columns are measured in display columns, so CJK and emoji guest names align.
 */
import { Table } from '@alcalzone/ink-table';
import { Text, renderToString } from 'ink';
import type { ReactNode } from 'react';
import { emptyTally, type TaskRow } from '../tasks/store.js';
import { sanitizeText } from '../util/sanitize.js';
import { STATE_WORDS, clip, elapsedText, outcomeText, tallyLine, tallyParts, taskTitle, textWidth } from './format.js';
import { formatTable } from './plain-table.js';
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
    task: sanitizeText(taskTitle(row)),
    node: sanitizeText(row.node),
    time: elapsedText(row, now),
    outcome: sanitizeText(outcomeText(row, now) || (row.state === 'running' ? 'still running' : '')),
  };
}

function columnWidth(rows: SummaryRow[], field: keyof SummaryRow): number {
  return Math.max(textWidth(HEADINGS[field]), ...rows.map((r) => textWidth(r[field])));
}

/** Cuts the task and then the outcome column so that a table of `overhead` extra columns fits `columns`. */
function fitted(rows: SummaryRow[], columns: number, overhead: number, ellipsis: string): SummaryRow[] {
  const width = (field: keyof SummaryRow) => columnWidth(rows, field);
  const available = columns - overhead - width('state') - width('node') - width('time');
  let task = Math.min(MAX_TASK, width('task'));
  let outcome = width('outcome');
  if (task + outcome > available) {
    outcome = Math.max(HEADINGS.outcome.length, available - task);
    task = Math.max(HEADINGS.task.length, Math.min(task, available - outcome));
  }
  return rows.map((r) => ({ ...r, task: clip(r.task, task, ellipsis), outcome: clip(r.outcome, outcome, ellipsis) }));
}

/** `5 tasks: 1 ok, 1 failed, 2 still running on the server`. */
function sessionTally(rows: readonly TaskRow[]): string {
  const tally = emptyTally();
  for (const row of rows) tally[row.state] += 1;
  const ended = tallyParts(tally)
    .filter((part) => part.state !== 'running' && part.state !== 'queued')
    .map((part) => [part.count, part.label] as const);
  return tallyLine(rows.length, 'task', [...ended, [tally.running, 'still running on the server'], [tally.queued, 'queued, not launched']]);
}

export function renderSummary(rows: readonly TaskRow[], { ascii, color, columns, now = Date.now() }: SummaryOptions): string {
  if (rows.length === 0) return 'No task was started in this session.\n';
  const theme = createTheme({ color, ascii });
  const data = rows.map((row) => summaryRow(row, theme, now));
  if (ascii) {
    const table = fitted(data, columns, 2 * (FIELDS.length - 1), theme.ellipsis);
    return `${formatTable(
      FIELDS,
      table.map((r) => FIELDS.map((field) => r[field])),
    )}${sessionTally(rows)}\n`;
  }
  // Each column has one space of padding on both sides and a border on its left, plus the last border.
  const table = fitted(data, columns, 3 * FIELDS.length + 1, theme.ellipsis);
  const widths = FIELDS.map((field) => columnWidth(table, field));
  const rendered = renderToString(
    <Table data={table} columns={FIELDS} {...displayWidthParts(widths, color)} />,
    // Wide enough never to wrap: the columns were already cut to fit the terminal where that is possible.
    { columns: 1000 },
  );
  return `${rendered}\n${sessionTally(rows)}\n`;
}

/**
 * ink-table pads cells and draws borders by UTF-16 length, which misaligns a column holding a CJK
 * name. Its header, cell and skeleton parts receive each column's index, so ours pad the cell, or
 * draw the border, to the column's display width instead (plus the one space of padding each side).
 */
function displayWidthParts(widths: number[], color: boolean) {
  const padded = (column: number | undefined, children: ReactNode): ReactNode => {
    if (column === undefined || typeof children !== 'string') return children;
    const target = widths[column]! + 2;
    // A border fill is one character repeated; a cell is ' ' + text + padding.
    if (/^(.)\1*$/.test(children) && children[0] !== ' ') return children[0]!.repeat(target);
    const text = children.trimEnd();
    return text + ' '.repeat(Math.max(0, target - textWidth(text)));
  };
  return {
    header: ({ children, column }: { children?: ReactNode; column?: number }) => (
      <Text {...(color ? { bold: true, color: 'blue' } : {})}>{padded(column, children)}</Text>
    ),
    cell: ({ children, column }: { children?: ReactNode; column: number }) => <Text>{padded(column, children)}</Text>,
    skeleton: ({ children, column }: { children?: ReactNode; column?: number }) => (
      <Text {...(color ? { bold: true } : {})}>{padded(column, children)}</Text>
    ),
  };
}
