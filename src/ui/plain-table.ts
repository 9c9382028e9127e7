/**
 * The one plain table of the program: the `tasks` listing, the commands' summary on stderr and the
 * `clusters` listing where the bordered one (ink-table) is not drawn. Left-aligned columns two spaces apart, no borders, no trailing
 * blanks, widths by display width (CJK and emoji guest names align). Every cell is sanitized here
 * too, so a table never prints a control sequence whatever its caller forgot.
 */
import { sanitizeText } from '../util/sanitize.js';
import { textWidth } from './format.js';

/** Wraps a body cell after padding (so escape codes do not upset the widths). */
export type DecorateCell = (rowIndex: number, columnIndex: number, paddedCell: string) => string;

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], decorate?: DecorateCell): string {
  const safeRows = rows.map((row) => headers.map((_, i) => sanitizeText(row[i] ?? '')));
  const widths = headers.map((header, i) => Math.max(textWidth(header), ...safeRows.map((row) => textWidth(row[i]!))));
  const line = (cells: readonly string[], rowIndex: number) => {
    const last = cells.length - 1;
    const padded = cells.map((cell, i) => (i === last ? cell : cell + ' '.repeat(widths[i]! - textWidth(cell))));
    // Trailing blanks go before decoration, so that a decorated last cell keeps none either.
    padded[last] = (padded[last] ?? '').trimEnd();
    const text = padded.map((cell, i) => (decorate && rowIndex >= 0 ? decorate(rowIndex, i, cell) : cell)).join('  ');
    return decorate ? text.replace(/ +$/, '') : text.trimEnd();
  };
  return [line(headers, -1), ...safeRows.map((row, index) => line(row, index))].join('\n') + '\n';
}
