/**
 * Opening and closing the board's dialogs: one place, so every dialog hides the stale message and
 * stops a filter being typed, and every launch dialog carries its verdicts.
 */
import type { LaunchRequest } from '../tasks/launch-plan.js';
import { setUi } from './actions.js';
import type { BoardDeps } from './context.js';
import type { ConfirmPurpose, Dialog, LaunchCheck } from './ui-state.js';

/**
 * Opens a dialog. The status line's message is hidden from then on: it was about what came before (a
 * stale "no guest to act on" under the next dialog misleads); the next message shows as usual.
 */
export function openDialog(deps: BoardDeps, dialog: Dialog): void {
  setUi(deps, { dialog, filterEditing: false, filterFresh: false, hiddenMessage: deps.store.getState().message });
}

export function openConfirm(
  deps: BoardDeps,
  purpose: ConfirmPurpose,
  title: string,
  defaultYes: boolean,
  below?: string | readonly number[],
): void {
  const dialog: Dialog = { kind: 'confirm', purpose, title, defaultYes };
  if (typeof below === 'string') dialog.detail = below;
  else if (below) dialog.vmids = below;
  if (purpose.type === 'launch') dialog.check = launchCheck(deps, purpose.request, deps.noSkip);
  openDialog(deps, dialog);
}

/** The verdicts of a launch (without --no-skip: the toggle says whether the skipped go anyway). */
export function launchCheck(deps: BoardDeps, request: LaunchRequest | undefined, noSkip: boolean): LaunchCheck {
  return { verdicts: request ? deps.actions.checkLaunch(request) : [], noSkip };
}

export function closeDialog(deps: BoardDeps): void {
  setUi(deps, { dialog: undefined });
}
