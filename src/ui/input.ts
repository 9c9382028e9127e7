/**
 * The key dispatcher: turns a key into a command through the keymap, for the layer on top (dialog,
 * help, filter field) or else the current view, and carries it out on the board's state or through
 * the runtime's actions. Plain functions over the board's dependencies: no React, so one stable handler serves
 * the whole board.
 */
import type { Key } from 'ink';
import { currentPageSize, say, selectedTaskKey, setUi, visibleTaskKeys, visibleVmids } from './actions.js';
import type { BoardDeps } from './context.js';
import { currentDetailLayout, logLineAt, screenLineOf, SCROLL_STEP } from './detail-text.js';
import { askToQuit, dialogKey, openLaunchDialog } from './dialog-input.js';
import { openConfirm } from './dialog-open.js';
import { askToCancelQueued, openLimits, openWatch } from './queue-dialogs.js';
import { taskTitle } from './format.js';
import { readOnlyMessage } from '../tasks/actions.js';
import { isMaintenanceDialog, maintenanceDialogKey, openMaintenance } from './maintenance-input.js';
import { commandFor, isCommand, isPrintable, keyLabel, type Binding, type Command } from './keymap.js';
import { frameLayout, headerLines } from './layout.js';
import { TASK_SORTS, type DetailState, type UiState } from './ui-state.js';
import { cursorIndex, movedCursor } from './visible.js';

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
    case 'filter': {
      // A new filter: the old one shows until the first key typed replaces it.
      const current = ui.view === 'guests' ? ui.guests.filter : ui.tasks.filter;
      setUi(deps, { filterEditing: true, filterFresh: current !== '' });
      return;
    }
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
    case 'sortNext':
    case 'sortPrev': {
      const step = binding.command === 'sortNext' ? 1 : TASK_SORTS.length - 1;
      const sort = TASK_SORTS[(TASK_SORTS.indexOf(ui.tasks.sort) + step) % TASK_SORTS.length]!;
      // The cursor stays on its task (it follows the key), wherever the task now sorts.
      setUi(deps, { tasks: { ...ui.tasks, sort } });
      return;
    }
    case 'problems':
      setUi(deps, { tasks: { ...ui.tasks, problems: !ui.tasks.problems, cursor: { index: 0, top: 0 } } });
      return;
    case 'copyUpid':
      return copyUpid(deps);
    case 'watchUpid':
      return openWatch(deps);
    case 'pauseQueue':
      deps.actions.setQueuePaused(!deps.store.getState().queue.paused);
      return;
    case 'cancelQueued':
      return askToCancelQueued(deps);
    case 'limits':
      return openLimits(deps);
    case 'wrap':
    case 'scrollLeft':
    case 'scrollRight':
      return scrollSideways(deps, binding.command);
    case 'saveLog':
      return saveLog(deps);
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

/** Esc: the text filter goes, and in the Tasks view "problems only" too. */
function clearFilter(deps: BoardDeps): void {
  const ui = deps.ui.getState();
  if (ui.view === 'guests') setUi(deps, { guests: { ...ui.guests, filter: '' }, filterEditing: false, filterFresh: false });
  else setUi(deps, { tasks: { ...ui.tasks, filter: '', problems: false }, filterEditing: false, filterFresh: false });
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
  setUi(deps, { view: 'detail', detail: { key, follow: true, top: 0, wrap: false, left: 0 } });
  deps.actions.focusTask(key);
}

function closeDetail(deps: BoardDeps): void {
  setUi(deps, { view: 'tasks', detail: undefined });
  deps.actions.focusTask(undefined);
}

/** The detail view's layout as drawn now (the keys scroll what the view shows). */
function detailNow(deps: BoardDeps, detail: DetailState) {
  const ui = deps.ui.getState();
  const state = deps.store.getState();
  const { body } = frameLayout(ui.size, headerLines(state));
  return currentDetailLayout(state, detail, { width: ui.size.columns, height: body, now: deps.clock.now() }, deps.theme);
}

function scrollLog(deps: BoardDeps, command: Command): void {
  const { detail } = deps.ui.getState();
  if (!detail) return;
  const layout = detailNow(deps, detail);
  if (!layout) return;
  const height = Math.max(1, layout.logHeight);
  const last = Math.max(0, layout.log.lines.length - height);
  const top = layout.top;
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

/** `w` wraps long lines or cuts them again; `←`/`→` scroll cut lines sideways. */
function scrollSideways(deps: BoardDeps, command: Command): void {
  const { detail } = deps.ui.getState();
  if (!detail) return;
  if (command === 'wrap') {
    // The same log line stays at the top: wrapped, a log line takes several screen lines.
    const wrap = !detail.wrap;
    const before = detailNow(deps, detail);
    const after = detailNow(deps, { ...detail, wrap });
    const top = before && after ? screenLineOf(after.log, logLineAt(before.log, before.top)) : 0;
    setUi(deps, { detail: { ...detail, wrap, left: 0, top } });
    say(
      deps,
      wrap
        ? `long lines wrap (${keyLabel('wrap')} cuts them again)`
        : `long lines are cut: ${keyLabel('scrollRight', { ascii: deps.theme.ascii })} scrolls right`,
    );
    return;
  }
  if (detail.wrap) {
    say(deps, `lines wrap: nothing to scroll sideways (${keyLabel('wrap')} cuts them)`);
    return;
  }
  const layout = detailNow(deps, detail);
  if (!layout) return;
  const step = command === 'scrollRight' ? SCROLL_STEP : -SCROLL_STEP;
  const left = Math.max(0, Math.min(layout.maxLeft, detail.left + step));
  if (left !== detail.left) setUi(deps, { detail: { ...detail, left } });
}

function saveLog(deps: BoardDeps): void {
  const key = selectedTaskKey(deps);
  if (key === undefined) return;
  say(deps, 'reading the whole log to save it...');
  void deps.actions.saveTaskLog(key);
}

/** `y`: the UPID onto the terminal's clipboard with OSC 52, when the operator turned that on. */
function copyUpid(deps: BoardDeps): void {
  const key = selectedTaskKey(deps);
  const row = key === undefined ? undefined : deps.store.getState().row(key);
  if (!row) return;
  if (!row.upid) {
    say(deps, `${taskTitle(row)} has no UPID yet`, 'error');
    return;
  }
  if (!deps.copyText) {
    say(deps, 'copying is off: --osc52 or PVETASKS_OSC52=1 turns it on (OSC 52)', 'error');
    return;
  }
  deps.copyText(row.upid);
  say(deps, `copied the UPID of ${taskTitle(row)} (OSC 52)`);
}

function stopOrCancel(deps: BoardDeps): void {
  const key = selectedTaskKey(deps);
  const row = key === undefined ? undefined : deps.store.getState().row(key);
  if (!row) return;
  if (row.window !== undefined) return say(deps, readOnlyMessage(row.window), 'error');
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
  // The old filter still shows until the first key: typing replaces it, Backspace clears it.
  const fresh = ui.filterFresh;
  if (fresh) setUi(deps, { filterFresh: false });
  if (isPrintable(input, key)) {
    edit((filter) => (fresh ? input : filter + input));
    return;
  }
  const binding = commandFor('filter', input, key);
  if (binding?.command === 'deleteChar') edit((filter) => (fresh ? '' : filter.slice(0, -1)));
  else if (binding?.command === 'keepFilter') setUi(deps, { filterEditing: false });
  else if (binding?.command === 'clearFilter') clearFilter(deps);
  else {
    // Arrows and pages still move through the narrowed list while typing.
    const viewBinding = commandFor(ui.view, input, key);
    const move = viewBinding && MOVES[viewBinding.command];
    if (move && !isPrintable(input, key)) moveCursor(deps, move);
  }
}
