/**
 * The board's own state (which view, cursors, filters, marks, the open dialog), in a small vanilla
 * zustand store per board: the input dispatcher reads and writes it without re-creating handlers, and
 * components select the few fields they show.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { BackupCompress, BackupMode, LaunchRequest } from '../tasks/launch-plan.js';
import type { Scope } from '../tasks/store.js';
import type { MaintenanceDialog } from './maintenance-state.js';

export type View = 'tasks' | 'guests' | 'detail';

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
  | { type: 'resume'; count: number };

export type StorageChoices = { status: 'loading' } | { status: 'ready'; ids: readonly string[] } | { status: 'failed'; message: string };

export const BACKUP_MODES: readonly BackupMode[] = ['snapshot', 'suspend', 'stop'];
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
    }
  | {
      kind: 'snapshot';
      vmids: readonly number[];
      title: string;
      field: number;
      name: string;
      description: string;
      error?: string;
    }
  | MaintenanceDialog;

export interface UiState {
  size: TerminalSize;
  view: View;
  scope: Scope;
  tasks: { cursor: Cursor<string>; filter: string };
  guests: { cursor: Cursor<number>; filter: string; marks: Readonly<Record<number, true>> };
  /** The filter of the current list view is being typed. */
  filterEditing: boolean;
  detail?: { key: string; follow: boolean; top: number };
  dialog?: Dialog;
  help?: { top: number };
}

export type UiStore = StoreApi<UiState>;

export const DEFAULT_SIZE: TerminalSize = { columns: 80, rows: 24 };

export function createUiStore(initial: { scope: Scope; size: TerminalSize }): UiStore {
  return createStore<UiState>()(() => ({
    size: initial.size,
    view: 'tasks',
    scope: initial.scope,
    tasks: { cursor: { index: 0, top: 0 }, filter: '' },
    guests: { cursor: { index: 0, top: 0 }, filter: '', marks: {} },
    filterEditing: false,
  }));
}
