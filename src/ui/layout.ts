/**
 * Sizes of the frame and of the table columns, from the terminal size. Pure, so the components and
 * the input dispatcher (page size) agree, and so the rows-1 rule is checked in one place.
 */
import type { TaskStoreState } from '../tasks/store.js';
import type { Dialog, TerminalSize, View } from './ui-state.js';
import { offersNoSkip, verdictLineCount } from './verdicts.js';
import { maintenanceDialogHeight } from './maintenance-state.js';

/** Below this the board shows a notice instead of a broken layout. */
export const MIN_COLUMNS = 40;
export const MIN_ROWS = 14;

/** The cursor marker `> ` before every line of a list. */
export const MARKER_WIDTH = 2;

const VIEW_BAR_LINES = 1;
const FOOTER_LINES = 2;
const LIST_HEADING_LINES = 1;

/** The header takes a second line while the API or some node cannot be reached, and after a failover. */
export function headerLines(state: TaskStoreState): 1 | 2 {
  if (state.connection?.outage || state.connection?.failover) return 2;
  // Several clusters: the second line tells of any cluster's outage or failover.
  for (const part of state.clusters ?? []) if (part.state.connection?.outage || part.state.connection?.failover) return 2;
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

const DIALOG_BORDER = 2;
/** Lines of a launch dialog's verdicts at most: the rest are summed up on the last one. */
export const MAX_VERDICT_LINES = 6;

/** Lines of a dialog without its verdicts, border included. */
function dialogBase(dialog: Dialog): number {
  switch (dialog.kind) {
    case 'confirm':
      return DIALOG_BORDER + (dialog.vmids || dialog.detail ? 3 : 2) + (offersNoSkip(dialog.check) ? 1 : 0);
    case 'backup':
      return DIALOG_BORDER + 6 + (offersNoSkip(dialog.check) ? 1 : 0);
    case 'snapshot':
      return DIALOG_BORDER + 6 + (offersNoSkip(dialog.check) ? 1 : 0);
    case 'limits':
      return DIALOG_BORDER + 5;
    case 'watch':
      return DIALOG_BORDER + 4;
    case 'migrate':
    case 'drain':
      return maintenanceDialogHeight(dialog);
  }
}

/** Lines a launch dialog may give its verdicts in a body of `body` lines: the list keeps its heading and two rows. */
export function verdictRoom(dialog: Dialog, body: number): number {
  return Math.max(1, Math.min(MAX_VERDICT_LINES, body - dialogBase(dialog) - LIST_HEADING_LINES - 2));
}

/** Lines a dialog takes in a body of `body` lines, border included (the list above it gets the rest). */
export function dialogHeight(dialog: Dialog, body = Infinity): number {
  const check = dialog.kind === 'confirm' || dialog.kind === 'backup' || dialog.kind === 'snapshot' ? dialog.check : undefined;
  return Math.min(body, dialogBase(dialog) + verdictLineCount(check, verdictRoom(dialog, body)));
}

/** Lines left for list rows under the column heading, with the dialog (if any) below them. */
export function listRows(body: number, dialog: Dialog | undefined): number {
  const below = dialog ? dialogHeight(dialog, body) : 0;
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

export type TaskColumnId = 'glyph' | 'cluster' | 'title' | 'node' | 'user' | 'start' | 'elapsed' | 'progress' | 'outcome';

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

/**
 * The CLUSTER column of a board over several clusters, as wide as the longest name (within bounds):
 * after the state glyph, and dropped for width after the node (whose name often says the cluster too).
 */
function withCluster<Id extends string>(defs: readonly ColumnDef<Id>[], clusterWidth: number, after: Id): readonly ColumnDef<Id>[] {
  if (clusterWidth <= 0) return defs;
  const at = defs.findIndex((def) => def.id === after) + 1;
  const column = { id: 'cluster' as Id, title: 'CLUSTER', width: Math.min(12, Math.max(7, clusterWidth)), dropRank: 1.5 };
  return [...defs.slice(0, at), column, ...defs.slice(at)];
}

/** The width a CLUSTER column wants for these names; 0 (no column) for one cluster. */
export function clusterColumnWidth(names: readonly string[] | undefined): number {
  return names && names.length > 1 ? Math.max(...names.map((name) => name.length)) : 0;
}

export function taskColumns(width: number, clusterWidth = 0): Column<TaskColumnId>[] | undefined {
  return fitColumns(withCluster(TASK_COLUMNS, clusterWidth, 'glyph'), width);
}

export type GuestColumnId = 'mark' | 'cluster' | 'vmid' | 'name' | 'node' | 'type' | 'status' | 'task' | 'ha' | 'tags';

const GUEST_COLUMNS: readonly ColumnDef<GuestColumnId>[] = [
  { id: 'mark', title: ' ', width: 1 },
  { id: 'vmid', title: 'VMID', width: 6 },
  { id: 'name', title: 'NAME', width: 12, flex: { share: 2, max: 32, floor: 8 } },
  { id: 'node', title: 'NODE', width: 8, dropRank: 2 },
  { id: 'type', title: 'TYPE', width: 8, dropRank: 3 },
  { id: 'status', title: 'STATUS', width: 8 },
  // PVE's lock and the task in flight on the guest: what a launch would be skipped for.
  { id: 'task', title: 'LOCK/TASK', width: 14, flex: { share: 2, max: 40, floor: 10 }, dropRank: 2.5 },
  { id: 'ha', title: 'HA', width: 9, dropRank: 4 },
  { id: 'tags', title: 'TAGS', width: 8, flex: { share: 1, floor: 8 }, dropRank: 5 },
];

export function guestColumns(width: number, clusterWidth = 0): Column<GuestColumnId>[] | undefined {
  return fitColumns(withCluster(GUEST_COLUMNS, clusterWidth, 'mark'), width);
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
