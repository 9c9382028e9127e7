/**
 * Rows that keep their content but move (a task ends and the rows under it close up; a launch
 * enters at the top and pushes the list down) are moved by the terminal itself: delete-line and
 * insert-line inside a scrolling region, a few bytes, instead of rewriting every moved row.
 *
 * The plan aligns the rows shown with the rows wanted (a longest common subsequence, weighted by
 * what each row would cost to write), then deletes the shown rows that are not kept, bottom up, and
 * inserts blank rows where new ones go, top down, inside one region: the kept rows land where they
 * belong and the cell diff paints the rest. A plan only changes how many bytes a frame takes: the
 * painter applies it to its model of the screen and diffs cells after it, so the screen is right
 * whatever the plan.
 */
import type { Screen } from './screen.js';
import { DEFAULT_STYLE } from './sgr.js';

export interface LineMoves {
  /** The scrolling region, rows inclusive. */
  top: number;
  bottom: number;
  /** Runs of rows to delete, bottom up (each row as the screen is when it runs). */
  deletes: Array<{ row: number; count: number }>;
  /** Runs of blank rows to insert, top down. */
  inserts: Array<{ row: number; count: number }>;
}

/**
 * A row's content as a key (two 32-bit hashes of its characters and styles: rows with equal keys are
 * taken as equal; a collision could only cost bytes, never show a wrong screen), and the cells it
 * would take to write it (0 for a blank row).
 */
function rowKey(screen: Screen, row: number): { key: string; weight: number } {
  const { chars, styles } = screen.lines[row]!;
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  let weight = 0;
  for (let col = 0; col < screen.columns; col++) {
    const char = chars[col]!;
    const style = styles[col]!;
    for (let i = 0; i < char.length; i++) {
      const code = char.charCodeAt(i);
      a = Math.imul(a ^ code, 0x01000193);
      b = Math.imul(b ^ code, 0x5bd1e995) ^ (b >>> 15);
    }
    a = Math.imul(a ^ style.hash, 0x01000193);
    b = Math.imul(b ^ (style.hash + col), 0x5bd1e995) ^ (b >>> 15);
    if (char !== ' ' || style !== DEFAULT_STYLE) weight++;
  }
  return { key: `${a >>> 0}:${b >>> 0}`, weight };
}

const NO_KEY = { key: '', weight: 0 };

/** Groups sorted row numbers into runs of consecutive rows. */
function runs(rows: number[]): Array<{ row: number; count: number }> {
  const out: Array<{ row: number; count: number }> = [];
  for (const row of rows) {
    const last = out.at(-1);
    if (last && last.row + last.count === row) last.count++;
    else out.push({ row, count: 1 });
  }
  return out;
}

/** How the shown rows can move to become the wanted ones; undefined when no kept row moves. */
export function planLineMoves(shown: Screen, target: Screen): LineMoves | undefined {
  const rows = target.rows;
  const sameRow = (row: number) => {
    for (let col = 0; col < target.columns; col++) if (!shown.sameCell(row, col, target)) return false;
    return true;
  };
  let first = 0;
  while (first < rows && sameRow(first)) first++;
  let last = rows - 1;
  while (last > first && sameRow(last)) last--;
  // A move needs at least two changed rows.
  if (first >= last) return undefined;
  const before = Array.from({ length: rows }, (_, row) => (row >= first && row <= last ? rowKey(shown, row) : NO_KEY));
  const after = Array.from({ length: rows }, (_, row) => (row >= first && row <= last ? rowKey(target, row) : NO_KEY));
  // Only rows with content are worth keeping; a wanted row must be somewhere else on screen now.
  const shownKeys = new Set(before.slice(first, last + 1).map((row) => row.key));
  if (!after.slice(first, last + 1).some((row, i) => row.weight > 0 && shownKeys.has(row.key) && before[first + i]!.key !== row.key)) {
    return undefined;
  }

  // Weighted LCS over rows first..last; a row kept in place counts a little more, so that rows which
  // did not move are never traded for ones that did.
  const n = last - first + 1;
  const score = new Float64Array((n + 1) * (n + 1));
  const at = (i: number, j: number) => i * (n + 1) + j;
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= n; j++) {
      const wanted = after[first + i - 1]!;
      let best = Math.max(score[at(i - 1, j)]!, score[at(i, j - 1)]!);
      if (wanted.weight > 0 && wanted.key === before[first + j - 1]!.key) {
        best = Math.max(best, score[at(i - 1, j - 1)]! + wanted.weight + (i === j ? 0.5 : 0));
      }
      score[at(i, j)] = best;
    }
  }
  // Back from the end: the edit script, top down, as keeps, deletes (shown rows) and inserts (wanted rows).
  const script: Array<{ op: 'keep' | 'delete' | 'insert'; row: number; to?: number }> = [];
  let i = n;
  let j = n;
  while (i > 0 || j > 0) {
    const wanted = i > 0 ? after[first + i - 1]! : undefined;
    if (
      i > 0 &&
      j > 0 &&
      wanted!.weight > 0 &&
      wanted!.key === before[first + j - 1]!.key &&
      score[at(i, j)] === score[at(i - 1, j - 1)]! + wanted!.weight + (i === j ? 0.5 : 0)
    ) {
      script.push({ op: 'keep', row: first + j - 1, to: first + i - 1 });
      i--;
      j--;
    } else if (j > 0 && (i === 0 || score[at(i, j)] === score[at(i, j - 1)])) {
      script.push({ op: 'delete', row: first + j - 1 });
      j--;
    } else {
      script.push({ op: 'insert', row: first + i - 1 });
      i--;
    }
  }
  script.reverse();
  if (!script.some((step) => step.op === 'keep' && step.row !== step.to)) return undefined;

  // Between two kept rows, a delete and an insert together are a row changed in place: no move.
  const deletes: number[] = [];
  const inserts: number[] = [];
  for (let k = 0; k < script.length;) {
    if (script[k]!.op === 'keep') {
      k++;
      continue;
    }
    const group: number[][] = [[], []];
    while (k < script.length && script[k]!.op !== 'keep') {
      group[script[k]!.op === 'delete' ? 0 : 1]!.push(script[k]!.row);
      k++;
    }
    const replaced = Math.min(group[0]!.length, group[1]!.length);
    deletes.push(...group[0]!.slice(0, group[0]!.length - replaced));
    inserts.push(...group[1]!.slice(0, group[1]!.length - replaced));
  }
  if (deletes.length === 0) return undefined;
  const top = Math.min(deletes[0]!, inserts[0]!);
  const bottom = Math.max(deletes.at(-1)!, inserts.at(-1)!);
  return { top, bottom, deletes: runs(deletes).reverse(), inserts: runs(inserts) };
}

/** Does to a model of the screen what the terminal does with the plan. */
export function applyLineMoves(screen: Screen, moves: LineMoves): void {
  for (const { row, count } of moves.deletes) screen.scroll(row, moves.bottom, count);
  for (const { row, count } of moves.inserts) screen.scroll(row, moves.bottom, -count);
}

const CSI = '\u001b[';

/**
 * The plan as bytes: the region, the deletes and inserts, and the region reset (which homes the
 * cursor). The current style must be the default one: new rows take its background.
 */
export function lineMovesSequence(moves: LineMoves, rows: number): string {
  const whole = moves.top === 0 && moves.bottom === rows - 1;
  let out = whole ? '' : `${CSI}${moves.top + 1};${moves.bottom + 1}r`;
  const count = (n: number, final: string) => (n === 1 ? `${CSI}${final}` : `${CSI}${n}${final}`);
  for (const { row, count: n } of moves.deletes) out += `${CSI}${row + 1}H${count(n, 'M')}`;
  for (const { row, count: n } of moves.inserts) out += `${CSI}${row + 1}H${count(n, 'L')}`;
  return whole ? out : `${out}${CSI}r`;
}
