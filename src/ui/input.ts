/**
 * The key dispatcher: turns a key into a command through the keymap, for the layer on top (dialog,
 * help, filter field) or else the current view, and carries it out on the board's state or through
 * the runtime's actions. Plain functions over the board's dependencies: no React, so one stable handler serves
 * the whole board.
 */
import type { Key } from 'ink';
import { currentPageSize, say, selectedTaskKey, setUi, visibleTaskKeys, visibleVmids } from './actions.js';
import type { BoardDeps } from './context.js';
import { askToQuit, dialogKey, openConfirm, openLaunchDialog } from './dialog-input.js';
import { taskTitle } from './format.js';
import { isMaintenanceDialog, maintenanceDialogKey, openMaintenance } from './maintenance-input.js';
import { commandFor, isCommand, isPrintable, keyLabel, type Binding, type Command } from './keymap.js';
import type { UiState } from './ui-state.js';
import { cursorIndex, logLines, logTop, movedCursor } from './visible.js';

export function handleKey(deps: BoardDeps, input: string, key: Key): void {
  // Ctrl-C quits from anywhere, also from a text field: the terminal's own convention.
  if (isCommand('interrupt', input, key)) {
    deps.exit({ reason: 'interrupt' });
    return;
  }
  const ui = deps.ui.getState();
  if (ui.dialog && isMaintenanceDialog(ui.dialog)) return maintenanceDialogKey(deps, ui.dialog, input, key);
  if (ui.dialog) return dialogKey(deps, ui.dialog, input, key);
  if (ui.help) return helpKey(deps, input, key);
  if (ui.filterEditing) return filterKey(deps, ui, input, key);
  const binding = commandFor(ui.view, input, key);
  if (binding) runCommand(deps, binding);
}

// ---- views ----------------------------------------------------------------------------------------

const MOVES: Partial<Record<Command, (index: number, page: number, count: number) => number>> = {
  up: (i) => i - 1,
  down: (i) => i + 1,
  pageUp: (i, page) => i - page,
  pageDown: (i, page) => i + page,
  top: () => 0,
  bottom: (_i, _page, count) => count - 1,
};

function runCommand(deps: BoardDeps, binding: Binding): void {
  const ui = deps.ui.getState();
  if (binding.action && deps.readOnly) {
    say(deps, `read-only: ${binding.hint ?? binding.command} is off (--read-only)`, 'error');
    return;
  }
  const move = MOVES[binding.command];
  if (move) {
    if (ui.view === 'detail') scrollLog(deps, binding.command);
    else moveCursor(deps, move);
    return;
  }
  switch (binding.command) {
    case 'switchView':
      setUi(deps, { view: ui.view === 'guests' ? 'tasks' : 'guests', filterEditing: false });
      return;
    case 'open':
      return openDetail(deps);
    case 'back':
      if (ui.view === 'detail') return closeDetail(deps);
      return clearFilter(deps);
    case 'filter':
      setUi(deps, { filterEditing: true });
      return;
    case 'mark':
      return toggleMark(deps);
    case 'markAll': {
      const marks: Record<number, true> = { ...ui.guests.marks };
      for (const vmid of visibleVmids(deps)) marks[vmid] = true;
      setUi(deps, { guests: { ...ui.guests, marks } });
      return;
    }
    case 'clearMarks':
      setUi(deps, { guests: { ...ui.guests, marks: {} } });
      return;
    case 'start':
    case 'backup':
    case 'snapshot':
      return openLaunchDialog(deps, binding.command);
    case 'shutdown':
    case 'hardStop':
    case 'reboot':
    case 'migrate':
    case 'drain':
      return openMaintenance(deps, binding.command);
    case 'stop':
      return stopOrCancel(deps);
    case 'follow':
      if (ui.detail) setUi(deps, { detail: { ...ui.detail, follow: !ui.detail.follow } });
      return;
    case 'scope':
      setUi(deps, { scope: ui.scope === 'mine' ? 'cluster' : 'mine' });
      return;
    case 'pause': {
      const paused = !deps.store.getState().poll.paused;
      deps.actions.setPaused(paused);
      say(deps, paused ? `polling paused (${keyLabel('pause')} resumes)` : 'polling resumed');
      return;
    }
    case 'refresh':
      deps.actions.refreshNow();
      say(deps, 'refreshing');
      return;
    case 'help':
      setUi(deps, { help: { top: 0 } });
      return;
    case 'quit':
      return askToQuit(deps);
    default:
      return;
  }
}

function moveCursor(deps: BoardDeps, move: (index: number, page: number, count: number) => number): void {
  const ui = deps.ui.getState();
  const page = currentPageSize(deps);
  if (ui.view === 'guests') {
    const vmids = visibleVmids(deps);
    const cursor = movedCursor(vmids, ui.guests.cursor, move(cursorIndex(vmids, ui.guests.cursor), page, vmids.length), page);
    setUi(deps, { guests: { ...ui.guests, cursor } });
  } else {
    const keys = visibleTaskKeys(deps);
    const cursor = movedCursor(keys, ui.tasks.cursor, move(cursorIndex(keys, ui.tasks.cursor), page, keys.length), page);
    setUi(deps, { tasks: { ...ui.tasks, cursor } });
  }
}

function clearFilter(deps: BoardDeps): void {
  const ui = deps.ui.getState();
  if (ui.view === 'guests') setUi(deps, { guests: { ...ui.guests, filter: '' }, filterEditing: false });
  else setUi(deps, { tasks: { ...ui.tasks, filter: '' }, filterEditing: false });
}

function toggleMark(deps: BoardDeps): void {
  const ui = deps.ui.getState();
  const vmids = visibleVmids(deps);
  const index = cursorIndex(vmids, ui.guests.cursor);
  const vmid = vmids[index];
  if (vmid === undefined) return;
  const marks: Record<number, true> = { ...ui.guests.marks };
  if (marks[vmid]) delete marks[vmid];
  else marks[vmid] = true;
  // Like htop: marking moves on, so a run of guests is marked by holding Space.
  const cursor = movedCursor(vmids, ui.guests.cursor, index + 1, currentPageSize(deps));
  setUi(deps, { guests: { ...ui.guests, marks, cursor } });
}

// ---- detail view ----------------------------------------------------------------------------------

function openDetail(deps: BoardDeps): void {
  const key = selectedTaskKey(deps);
  if (!key) return;
  setUi(deps, { view: 'detail', detail: { key, follow: true, top: 0 } });
  deps.actions.focusTask(key);
}

function closeDetail(deps: BoardDeps): void {
  setUi(deps, { view: 'tasks', detail: undefined });
  deps.actions.focusTask(undefined);
}

function scrollLog(deps: BoardDeps, command: Command): void {
  const { detail } = deps.ui.getState();
  if (!detail) return;
  const height = currentPageSize(deps);
  const count = logLines(deps.store.getState(), detail.key).length;
  const last = Math.max(0, count - height);
  const top = logTop(count, height, detail);
  const targets: Partial<Record<Command, number>> = {
    up: top - 1,
    down: top + 1,
    pageUp: top - height,
    pageDown: top + height,
    top: 0,
    bottom: last,
  };
  const next = Math.max(0, Math.min(last, targets[command] ?? top));
  // Scrolling up reads back and stops following; G (bottom) follows again; down keeps the choice.
  const follow = command === 'bottom' ? true : command === 'down' || command === 'pageDown' ? detail.follow : false;
  setUi(deps, { detail: { ...detail, top: next, follow } });
}

function stopOrCancel(deps: BoardDeps): void {
  const key = selectedTaskKey(deps);
  const row = key === undefined ? undefined : deps.store.getState().row(key);
  if (!row) return;
  if (row.state === 'queued' && row.sentAt !== undefined) {
    // The request is out: PVE may be starting it now. Only a stop can undo it, once its UPID is known.
    say(deps, `already sent, cannot be cancelled any more; ${keyLabel('stop')} stops the task once it runs`, 'error');
    return;
  }
  if (row.state === 'queued') {
    deps.actions.cancelLaunch(row.key);
    return;
  }
  const stillRunning = row.state === 'running' || (row.state === 'timeout' && !row.lateOutcome && row.endedAt === undefined);
  if (!stillRunning || !row.upid) {
    say(deps, `${taskTitle(row)} is not running`, 'error');
    return;
  }
  openConfirm(deps, { type: 'stop', key: row.key }, `Stop this task on ${row.node}?`, false, taskTitle(row));
}

// ---- help and filter ------------------------------------------------------------------------------

function helpKey(deps: BoardDeps, input: string, key: Key): void {
  const binding = commandFor('help', input, key);
  if (!binding) return;
  const help = deps.ui.getState().help!;
  if (binding.command === 'closeHelp') {
    setUi(deps, { help: undefined });
    return;
  }
  const page = currentPageSize(deps);
  const step: Partial<Record<Command, number>> = { up: -1, down: 1, pageUp: -page, pageDown: page, top: -Infinity, bottom: Infinity };
  const delta = step[binding.command];
  // The help view clamps `top` to its length when it renders.
  if (delta !== undefined) setUi(deps, { help: { top: Math.max(0, Math.min(1000, help.top + delta)) } });
}

function filterKey(deps: BoardDeps, ui: UiState, input: string, key: Key): void {
  const list = ui.view === 'guests' ? 'guests' : 'tasks';
  const edit = (change: (filter: string) => string) => {
    const current = deps.ui.getState();
    // A new filter starts the list from its top.
    if (list === 'guests')
      setUi(deps, { guests: { ...current.guests, filter: change(current.guests.filter), cursor: { index: 0, top: 0 } } });
    else setUi(deps, { tasks: { ...current.tasks, filter: change(current.tasks.filter), cursor: { index: 0, top: 0 } } });
  };
  if (isPrintable(input, key)) {
    edit((filter) => filter + input);
    return;
  }
  const binding = commandFor('filter', input, key);
  if (binding?.command === 'deleteChar') edit((filter) => filter.slice(0, -1));
  else if (binding?.command === 'keepFilter') setUi(deps, { filterEditing: false });
  else if (binding?.command === 'clearFilter') clearFilter(deps);
  else {
    // Arrows and pages still move through the narrowed list while typing.
    const viewBinding = commandFor(ui.view, input, key);
    const move = viewBinding && MOVES[viewBinding.command];
    if (move && !isPrintable(input, key)) moveCursor(deps, move);
  }
}
