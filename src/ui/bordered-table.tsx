/**
 * Bordered tables drawn by ink-table (@alcalzone/ink-table, the ESM fork that loads with Ink 6), for
 * bounded static output only: the exit summary when it fits the screen and the `clusters` listing.
 * Never for a live view (ink-table re-renders every row), never under ASCII (its borders are Unicode).
 *
 * ink-table sizes a column by its cells' String length, so a CJK or emoji name would push its border
 * out of line, and a long name would widen the table past the terminal. So the caller chooses each
 * column's display width; every cell is sanitized and fitted to it here, and the cell, heading and
 * border components draw each column at exactly that width, whatever ink-table measured.
 */
import { Table } from '@alcalzone/ink-table';
import { Text, renderToString } from 'ink';
import type { ReactNode } from 'react';
import { sanitizeText } from '../util/sanitize.js';
import { fit, textWidth } from './format.js';

export interface BorderedColumn {
  /** The heading; also ink-table's key for the column, so headings must differ. */
  heading: string;
  /** Display columns of the cells, blanks around them and borders not counted. */
  width: number;
  align?: 'left' | 'right';
}

export interface BorderedTableOptions {
  /** Off: plain components, so not one escape code, whatever Ink's colour detection says. */
  color: boolean;
  ellipsis: string;
  /** The Ink colour of a body cell, from its column and its text (asked only with colour on). */
  tone?: (column: number, text: string) => string | undefined;
}

/** One blank on either side of each cell (ink-table's padding), a border before each column and after the last. */
const PADDING = 1;

/** The display width of a table with these column widths. */
export function borderedWidth(widths: readonly number[]): number {
  return widths.reduce((sum, width) => sum + width + 2 * PADDING + 1, 1);
}

/** Its height: the top border, the headings, a rule above each row (ink-table draws them), the bottom border. */
export function borderedHeight(rowCount: number): number {
  return 3 + 2 * rowCount;
}

/** The display width a column needs for its heading and every cell whole (sanitized as they will be shown). */
export function naturalWidth(heading: string, cells: readonly string[]): number {
  return Math.max(textWidth(heading), ...cells.map((cell) => textWidth(clean(cell))));
}

const clean = (text: string) => sanitizeText(text, { maxLength: 1024 }).replace(/[\r\n\t]+/g, ' ');

type Props = { column?: number; children?: ReactNode };

export function renderBorderedTable(
  columns: readonly BorderedColumn[],
  rows: readonly (readonly string[])[],
  options: BorderedTableOptions,
): string {
  const { color, ellipsis, tone } = options;
  if (new Set(columns.map((column) => column.heading)).size !== columns.length) throw new Error('bordered table: headings must differ');
  const fitted = (text: string, index: number) => fit(text, columns[index]!.width, ellipsis, columns[index]!.align ?? 'left');
  const data = rows.map((row) => Object.fromEntries(columns.map((column, i) => [column.heading, fitted(clean(row[i] ?? ''), i)])));
  // ink-table hands a component `' ' + value + ' '` padded to its own width: take the value back and
  // draw it at ours (a fitted value is exactly the column's width, so trimming its end loses nothing).
  const redrawn = (column: number, children: ReactNode) =>
    ` ${fitted(
      String(children ?? '')
        .slice(PADDING)
        .trimEnd(),
      column,
    )} `;
  const header = ({ column, children }: Props) => <Text bold={color}>{column === undefined ? children : redrawn(column, children)}</Text>;
  const cell = ({ column, children }: Props) => {
    if (column === undefined) return <Text>{children}</Text>;
    const text = redrawn(column, children);
    return <Text color={color && tone ? tone(column, text.trim()) : undefined}>{text}</Text>;
  };
  // In a rule, each column's cell is its line character repeated; the borders come without a column.
  const skeleton = ({ column, children }: Props) => {
    const text = String(children ?? '');
    return <Text>{column === undefined ? text : text.charAt(0).repeat(columns[column]!.width + 2 * PADDING)}</Text>;
  };
  const width = borderedWidth(columns.map((column) => column.width));
  // Wider than the table, so that Ink never wraps a line: the widths were chosen to fit the terminal already.
  return renderToString(
    <Table
      data={data}
      columns={columns.map((column) => column.heading)}
      padding={PADDING}
      header={header}
      cell={cell}
      skeleton={skeleton}
    />,
    { columns: width + 10 },
  );
}
