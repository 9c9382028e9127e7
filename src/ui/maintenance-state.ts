/**
 * The migrate and drain dialogs' state, in the board's Dialog union (ui-state.ts): what they hold and
 * how tall they are. Their keys are in maintenance-input.ts, their lines in components/maintenance-dialogs.tsx.
 */
import type { DrainPlan } from '../tasks/drain.js';
import type { Verdict } from '../tasks/launch-check.js';

export type Loading<T> = { status: 'loading' } | { status: 'ready'; value: T } | { status: 'failed'; message: string };

/** The migrate dialog: a target (online nodes), whether to mirror local disks, then PVE's check of each guest. */
export interface MigrateDialog {
  kind: 'migrate';
  /** Tells a late answer for an older dialog from one for this dialog. */
  id: number;
  vmids: readonly number[];
  title: string;
  nodes: Loading<readonly string[]>;
  /** 0: target, 1: local disks. */
  field: number;
  node: number;
  withLocalDisks: boolean;
  /** PVE's migration check for this target, once asked (Enter); changing a field asks again. */
  check?: Loading<readonly Verdict[]>;
}

/** The drain dialog: the plan for the node (read when it opens, and again when local disks are toggled). */
export interface DrainDialog {
  kind: 'drain';
  id: number;
  node: string;
  title: string;
  withLocalDisks: boolean;
  plan: Loading<DrainPlan>;
}

export type MaintenanceDialog = MigrateDialog | DrainDialog;

export type MaintenanceCommand = 'shutdown' | 'hardStop' | 'reboot' | 'migrate' | 'drain';

export function isMaintenanceDialog(dialog: { kind: string }): dialog is MaintenanceDialog {
  return dialog.kind === 'migrate' || dialog.kind === 'drain';
}

/** Lines a drain dialog lists guest by guest; the rest are counted. */
export const DRAIN_PLAN_LINES = 5;

/**
 * The box's height (components/maintenance-dialogs.tsx): its border, the title, its lines (migrate: the
 * guests, two fields, the check; drain: the summary, the guest lines, the field, the notes), the key hint.
 */
export function maintenanceDialogHeight(dialog: MaintenanceDialog): number {
  const BORDER = 2;
  return BORDER + 2 + (dialog.kind === 'migrate' ? 4 : DRAIN_PLAN_LINES + 3);
}
