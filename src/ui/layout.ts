/**
 * Sizes of the frame and of the table columns, from the terminal size. Pure, so the components and
 * the input dispatcher (page size) agree, and so the rows-1 rule is checked in one place.
 */
import type { TaskStoreState } from '../tasks/store.js';
import type { Dialog, TerminalSize, View } from './ui-state.js';
import { maintenanceDialogHeight } from './maintenance-state.js';

/** Below this the board shows a notice instead of a broken layout. */
export const MIN_COLUMNS = 40;
export const MIN_ROWS = 14;

/** The cursor marker `> ` before every line of a list. */
export const MARKER_WIDTH = 2;

const VIEW_BAR_LINES = 1;
const FOOTER_LINES = 2;
const LIST_HEADING_LINES = 1;

/** The header takes a second line while some node cannot be reached. */
export function headerLines(state: TaskStoreState): 1 | 2 {
  for (const node of Object.values(state.nodes)) if (node.error) return 2;
  return 1;
}

export interface FrameLayout {
  tooSmall: boolean;
  /** Lines of the whole frame: never more than rows - 1 (Ink clears the screen on a full frame). */
  height: number;
  headerLines: number;
  /** Lines between the view bar and the footer. */
  body: number;
}

export function frameLayout(size: TerminalSize, headerLines: number): FrameLayout {
  const height = Math.max(1, size.rows - 1);
  const tooSmall = size.columns < MIN_COLUMNS || size.rows < MIN_ROWS;
  const body = Math.max(0, height - headerLines - VIEW_BAR_LINES - FOOTER_LINES);
  return { tooSmall, height, headerLines, body };
}

/** Lines a dialog takes, border included (the list above it gets the rest). */
export function dialogHeight(dialog: Dialog): number {
  const BORDER = 2;
  switch (dialog.kind) {
    case 'confirm':
      return BORDER + (dialog.vmids || dialog.detail ? 3 : 2);
    case 'backup':
      return BORDER + 6;
    case 'snapshot':
      return BORDER + 6;
    case 'migrate':
    case 'drain':
      return maintenanceDialogHeight(dialog);
  }
}

/** Lines left for list rows under the column heading, with the dialog (if any) below them. */
export function listRows(body: number, dialog: Dialog | undefined): number {
  const below = dialog ? dialogHeight(dialog) : 0;
  return Math.max(0, body - LIST_HEADING_LINES - below);
}

/** How far PgUp/PgDn move in a view. */
export function pageSize(view: View, body: number, dialog: Dialog | undefined): number {
  if (view === 'detail') return Math.max(1, body - DETAIL_FIELD_LINES);
  return Math.max(1, listRows(body, dialog));
}

/** Lines of task fields above the log in the detail view. */
export const DETAIL_FIELD_LINES = 7;

export interface Column<Id extends string> {
  id: Id;
  title: string;
  width: number;
  align: 'left' | 'right';
}

interface ColumnDef<Id extends string> {
  id: Id;
  title: string;
  /** Fixed width, or the width a flexible column wants before others are dropped for it. */
  width: number;
  /** A flexible column takes a share of what is left, up to `max`, and shrinks to `floor` last. */
  flex?: { share: number; max?: number; floor: number };
  /** Columns with a higher rank are dropped first as the terminal narrows; none: never dropped. */
  dropRank?: number;
  align?: 'left' | 'right';
}

/**
 * Fits the columns into `width` after the marker, one space between columns: drops the columns of
 * highest rank until the rest fits, then shares the slack among the flexible ones. Undefined when even
 * the columns that are never dropped do not fit.
 */
function fitColumns<Id extends string>(defs: readonly ColumnDef<Id>[], width: number): Column<Id>[] | undefined {
  const droppable = defs.filter((def) => def.dropRank !== undefined).sort((a, b) => b.dropRank! - a.dropRank!);
  let kept = [...defs];
  const needed = (columns: readonly ColumnDef<Id>[]) =>
    MARKER_WIDTH + columns.reduce((sum, def) => sum + def.width, 0) + Math.max(0, columns.length - 1);
  for (const def of droppable) {
    if (needed(kept) <= width) break;
    kept = kept.filter((k) => k !== def);
  }
  const widths = new Map(kept.map((def) => [def.id, def.width]));
  const flexible = kept.filter((def) => def.flex);
  // Nothing left to drop: squeeze the flexible columns, the last one first, down to their floors.
  let excess = needed(kept) - width;
  for (const def of [...flexible].reverse()) {
    if (excess <= 0) break;
    const cut = Math.min(excess, def.width - def.flex!.floor);
    widths.set(def.id, def.width - cut);
    excess -= cut;
  }
  if (excess > 0) return undefined;

  let slack = Math.max(0, -excess);
  const shares = flexible.reduce((sum, def) => sum + def.flex!.share, 0);
  const pool = slack;
  for (const def of flexible) {
    const current = widths.get(def.id)!;
    const room = def.flex!.max !== undefined ? def.flex!.max - current : Infinity;
    const extra = Math.max(0, Math.min(room, Math.floor((pool * def.flex!.share) / shares), slack));
    widths.set(def.id, current + extra);
    slack -= extra;
  }
  // What the caps left over goes to the last flexible column without a cap.
  const open = [...flexible].reverse().find((def) => def.flex!.max === undefined);
  if (open && slack > 0) widths.set(open.id, widths.get(open.id)! + slack);

  return kept.map((def) => ({ id: def.id, title: def.title, width: widths.get(def.id)!, align: def.align ?? 'left' }));
}

export type TaskColumnId = 'glyph' | 'title' | 'node' | 'user' | 'start' | 'elapsed' | 'progress' | 'outcome';

const TASK_COLUMNS: readonly ColumnDef<TaskColumnId>[] = [
  { id: 'glyph', title: ' ', width: 1 },
  { id: 'title', title: 'TASK', width: 24, flex: { share: 1, max: 44, floor: 14 } },
  { id: 'node', title: 'NODE', width: 8, dropRank: 2 },
  { id: 'user', title: 'USER', width: 14, dropRank: 5 },
  { id: 'start', title: 'STARTED', width: 8, dropRank: 4 },
  { id: 'elapsed', title: 'TIME', width: 7, dropRank: 1, align: 'right' },
  // Without its column, a running task's progress shows in the outcome cell.
  { id: 'progress', title: 'PROGRESS', width: 16, dropRank: 3 },
  { id: 'outcome', title: 'OUTCOME', width: 20, flex: { share: 1, floor: 12 } },
];

export function taskColumns(width: number): Column<TaskColumnId>[] | undefined {
  return fitColumns(TASK_COLUMNS, width);
}

export type GuestColumnId = 'mark' | 'vmid' | 'name' | 'node' | 'type' | 'status' | 'ha' | 'tags';

const GUEST_COLUMNS: readonly ColumnDef<GuestColumnId>[] = [
  { id: 'mark', title: ' ', width: 1 },
  { id: 'vmid', title: 'VMID', width: 6 },
  { id: 'name', title: 'NAME', width: 12, flex: { share: 2, max: 32, floor: 8 } },
  { id: 'node', title: 'NODE', width: 8, dropRank: 2 },
  { id: 'type', title: 'TYPE', width: 8, dropRank: 3 },
  { id: 'status', title: 'STATUS', width: 8 },
  { id: 'ha', title: 'HA', width: 9, dropRank: 4 },
  { id: 'tags', title: 'TAGS', width: 8, flex: { share: 1, floor: 8 }, dropRank: 5 },
];

export function guestColumns(width: number): Column<GuestColumnId>[] | undefined {
  return fitColumns(GUEST_COLUMNS, width);
}

/**
 * The first line of a window of `height` lines over `count` items that shows `index`, moving as little
 * as possible from `preferredTop`.
 */
export function windowTop(count: number, index: number, height: number, preferredTop: number): number {
  if (height <= 0 || count <= height) return 0;
  let top = Math.min(preferredTop, index);
  if (index >= top + height) top = index - height + 1;
  return Math.max(0, Math.min(top, count - height));
}
