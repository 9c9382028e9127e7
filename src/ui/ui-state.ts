/**
 * The board's own state (which view, cursors, filters, marks, the open dialog), in a small vanilla
 * zustand store per board: the input dispatcher reads and writes it without re-creating handlers, and
 * components select the few fields they show.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Verdict } from '../tasks/launch-check.js';
import type { BackupCompress, BackupMode, LaunchRequest } from '../tasks/launch-plan.js';
import type { Message, Scope } from '../tasks/store.js';
import type { MaintenanceDialog } from './maintenance-state.js';

export type View = 'tasks' | 'guests' | 'detail';

/** The Tasks view's orders: `start` is the store's own (running and queued first, then newest). */
export type TaskSort = 'start' | 'state' | 'guest' | 'node' | 'duration';
export const TASK_SORTS: readonly TaskSort[] = ['start', 'state', 'guest', 'node', 'duration'];

/** A list cursor: the item it is on (so it stays on it as rows move) and where it was. */
export interface Cursor<K> {
  key?: K;
  index: number;
  /** First visible line of the window. */
  top: number;
}

export interface TerminalSize {
  columns: number;
  rows: number;
}

export type ConfirmPurpose =
  | { type: 'quit' }
  | { type: 'stop'; key: string }
  | { type: 'launch'; request: LaunchRequest }
  /** Launches an earlier session queued and never sent: send them, or drop them. */
  | { type: 'resume'; count: number }
  /** Drop every queued launch not sent yet. */
  | { type: 'cancelQueued'; count: number };

/**
 * What a launch dialog would do with each guest (go, skip or refuse, with the reason), and whether the
 * guests that would be skipped are sent anyway (the board's `--no-skip`, a toggle in the dialog).
 */
export interface LaunchCheck {
  verdicts: readonly Verdict[];
  noSkip: boolean;
}

export type StorageChoices = { status: 'loading' } | { status: 'ready'; ids: readonly string[] } | { status: 'failed'; message: string };

export const BACKUP_MODES: readonly BackupMode[] = ['snapshot', 'suspend', 'stop'];
/** The highest launch limit the limits dialog takes (as `--parallel` and `--per-node` do). */
export const MAX_LIMIT = 64;

export const BACKUP_COMPRESSIONS: readonly BackupCompress[] = ['zstd', 'lzo', 'gzip', '0'];

export type Dialog =
  | {
      kind: 'confirm';
      purpose: ConfirmPurpose;
      title: string;
      /** A line under the title: what exactly, or what follows. */
      detail?: string;
      /** The guests it acts on, listed under the title instead of `detail`. */
      vmids?: readonly number[];
      /** A launch: the verdicts, listed under the targets. */
      check?: LaunchCheck;
      defaultYes: boolean;
    }
  | {
      kind: 'backup';
      /** Tells a late storage answer for an older dialog from one for this dialog. */
      id: number;
      vmids: readonly number[];
      title: string;
      storages: StorageChoices;
      field: number;
      storage: number;
      mode: number;
      compress: number;
      check: LaunchCheck;
    }
  | {
      kind: 'snapshot';
      vmids: readonly number[];
      title: string;
      field: number;
      name: string;
      description: string;
      error?: string;
      check: LaunchCheck;
    }
  /** The launch queue's limits, changed live: each field as typed, checked when applied. */
  | { kind: 'limits'; field: number; parallel: string; perNode: string; error?: string }
  /** A UPID started elsewhere, typed or pasted, to watch. */
  | { kind: 'watch'; text: string; error?: string }
  | MaintenanceDialog;

export interface UiState {
  size: TerminalSize;
  view: View;
  scope: Scope;
  tasks: {
    cursor: Cursor<string>;
    filter: string;
    sort: TaskSort;
    /** Only failed, timed-out and unknown rows. */
    problems: boolean;
  };
  guests: { cursor: Cursor<number>; filter: string; marks: Readonly<Record<number, true>> };
  /** The filter of the current list view is being typed. */
  filterEditing: boolean;
  /** The filter being typed still shows the previous one: the first key typed replaces it. */
  filterFresh: boolean;
  detail?: DetailState;
  dialog?: Dialog;
  help?: { top: number };
  /** The message of the status line when the last dialog opened: it is not shown again. */
  hiddenMessage?: Message;
}

export interface DetailState {
  key: string;
  follow: boolean;
  /** First line of the log shown (in screen lines while wrapped). */
  top: number;
  /** Long lines wrap; else they are cut and `left` scrolls them sideways. */
  wrap: boolean;
  /** Columns scrolled to the right (not wrapped). */
  left: number;
}

export type UiStore = StoreApi<UiState>;

export const DEFAULT_SIZE: TerminalSize = { columns: 80, rows: 24 };

export function createUiStore(initial: { scope: Scope; size: TerminalSize }): UiStore {
  return createStore<UiState>()(() => ({
    size: initial.size,
    view: 'tasks',
    scope: initial.scope,
    tasks: { cursor: { index: 0, top: 0 }, filter: '', sort: 'start', problems: false },
    guests: { cursor: { index: 0, top: 0 }, filter: '', marks: {} },
    filterEditing: false,
    filterFresh: false,
  }));
}
