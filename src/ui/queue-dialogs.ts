/**
 * The launch queue's dialogs: cancel every queued launch (asks, default No), the launch limits
 * changed live, and a UPID started elsewhere to watch.
 */
import { parseUpid } from '../tasks/upid.js';
import { say, setUi } from './actions.js';
import type { BoardDeps } from './context.js';
import { closeDialog, openConfirm, openDialog } from './dialog-open.js';
import { keyLabel, type Command } from './keymap.js';
import { MAX_LIMIT, type Dialog } from './ui-state.js';

/** Asks before dropping every queued launch not sent yet (default No: it cannot be undone). */
export function askToCancelQueued(deps: BoardDeps): void {
  const state = deps.store.getState();
  const count = state.order.mine.filter((key) => {
    const row = state.row(key);
    return row?.launch !== undefined && row.state === 'queued' && row.sentAt === undefined;
  }).length;
  if (count === 0) {
    say(deps, 'no queued launch to cancel');
    return;
  }
  openConfirm(
    deps,
    { type: 'cancelQueued', count },
    `Cancel ${count === 1 ? '1 queued launch' : `${count} queued launches`}?`,
    false,
    `Launches already sent go on; ${keyLabel('stop')} stops their tasks once they run.`,
  );
}

export function openLimits(deps: BoardDeps): void {
  const { parallel, perNode } = deps.store.getState().queue;
  openDialog(deps, { kind: 'limits', field: 0, parallel: String(parallel), perNode: String(perNode) });
}

export type LimitsDialog = Extract<Dialog, { kind: 'limits' }>;

export function editLimit(dialog: LimitsDialog, edit: (text: string) => string): LimitsDialog {
  return dialog.field === 0
    ? { ...dialog, parallel: edit(dialog.parallel), error: undefined }
    : { ...dialog, perNode: edit(dialog.perNode), error: undefined };
}

export function limitsKey(deps: BoardDeps, dialog: LimitsDialog, command: Command): void {
  switch (command) {
    case 'nextField':
    case 'prevField':
      setUi(deps, { dialog: { ...dialog, field: 1 - dialog.field } });
      return;
    case 'chooseNext':
    case 'choosePrev': {
      const step = command === 'chooseNext' ? 1 : -1;
      const bump = (text: string) => String(Math.max(1, Math.min(MAX_LIMIT, (Number(text) || 0) + step)));
      setUi(deps, { dialog: editLimit(dialog, bump) });
      return;
    }
    case 'deleteChar':
      setUi(deps, { dialog: editLimit(dialog, (text) => text.slice(0, -1)) });
      return;
    case 'confirm':
    case 'accept': {
      const parallel = Number(dialog.parallel);
      const perNode = Number(dialog.perNode);
      const bad = [parallel, perNode].some((value) => !Number.isInteger(value) || value < 1 || value > MAX_LIMIT);
      if (bad) {
        setUi(deps, { dialog: { ...dialog, error: `each limit is a whole number from 1 to ${MAX_LIMIT}` } });
        return;
      }
      closeDialog(deps);
      deps.actions.setLaunchLimits({ parallel, perNode });
      return;
    }
    default:
      return;
  }
}

export function openWatch(deps: BoardDeps): void {
  openDialog(deps, { kind: 'watch', text: '' });
}

export function submitWatch(deps: BoardDeps, dialog: Extract<Dialog, { kind: 'watch' }>): void {
  const text = dialog.text.trim();
  try {
    parseUpid(text);
  } catch (error) {
    setUi(deps, { dialog: { ...dialog, error: text ? (error as Error).message : 'paste or type a UPID first' } });
    return;
  }
  closeDialog(deps);
  const key = deps.actions.watchTask(text);
  if (key === undefined) return;
  // Show it where it is now: this session's tasks, cursor on it.
  const ui = deps.ui.getState();
  setUi(deps, { view: 'tasks', scope: 'mine', tasks: { ...ui.tasks, cursor: { key, index: 0, top: 0 } } });
}
