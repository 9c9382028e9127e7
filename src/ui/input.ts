/**
 * The key dispatcher: turns a key into a command through the keymap, for the layer on top (dialog,
 * help, filter field) or else the current view, and carries it out on the board's state or through
 * the controller. Plain functions over the board's dependencies: no React, so one stable handler serves
 * the whole board.
 */
import type { Key } from 'ink';
import type { LaunchRequest } from '../tasks/controller.js';
import type { Guest, TaskStoreState } from '../tasks/store.js';
import type { BoardDeps } from './context.js';
import { describeTargets, plural, taskTitle } from './format.js';
import { commandFor, isPrintable, type Binding, type Command } from './keymap.js';
import { frameLayout, pageSize, windowTop } from './layout.js';
import { defaultSnapshotName, snapshotNameError } from './snapshot-name.js';
import {
  BACKUP_COMPRESSIONS,
  BACKUP_MODES,
  type ConfirmPurpose,
  type Cursor,
  type Dialog,
  type UiState,
} from './ui-state.js';

export function handleKey(deps: BoardDeps, input: string, key: Key): void {
  // Ctrl-C quits from anywhere, also from a text field: the terminal's own convention.
  if (key.ctrl && input === 'c') {
    deps.exit({ reason: 'interrupt' });
    return;
  }
  const ui = deps.ui.getState();
  if (ui.dialog) return dialogKey(deps, ui.dialog, input, key);
  if (ui.help) return helpKey(deps, input, key);
  if (ui.filterEditing) return filterKey(deps, ui, input, key);
  const binding = commandFor(ui.view, input, key);
  if (binding) runCommand(deps, binding);
}

// ---- shared helpers -------------------------------------------------------------------------------

function setUi(deps: BoardDeps, patch: Partial<UiState> | ((state: UiState) => Partial<UiState>)): void {
  deps.ui.setState(patch);
}

export function flash(deps: BoardDeps, text: string, level: 'info' | 'error' = 'info'): void {
  setUi(deps, { flash: { text, level, at: deps.clock.now() } });
}

export function hasUnreachableNodes(state: TaskStoreState): boolean {
  for (const node of Object.values(state.nodes)) if (node.error) return true;
  return false;
}

function currentPageSize(deps: BoardDeps): number {
  const ui = deps.ui.getState();
  const frame = frameLayout(ui.size, hasUnreachableNodes(deps.store.getState()) ? 2 : 1);
  return pageSize(ui.view, frame.body, ui.dialog);
}

/** Index of the cursor in `keys`: on its item while that is listed, else where it was. */
export function cursorIndex<K>(keys: readonly K[], cursor: Cursor<K>): number {
  if (keys.length === 0) return -1;
  if (cursor.key !== undefined) {
    const found = keys.indexOf(cursor.key);
    if (found >= 0) return found;
  }
  return Math.min(cursor.index, keys.length - 1);
}

function movedCursor<K>(keys: readonly K[], cursor: Cursor<K>, target: number, height: number): Cursor<K> {
  if (keys.length === 0) return { index: 0, top: 0 };
  const index = Math.max(0, Math.min(keys.length - 1, target));
  return { key: keys[index], index, top: windowTop(keys.length, index, height, cursor.top) };
}

function visibleTaskKeys(deps: BoardDeps): readonly string[] {
  const ui = deps.ui.getState();
  return deps.listTasks(deps.store.getState(), ui.scope, ui.tasks.filter).keys;
}

function visibleVmids(deps: BoardDeps): readonly number[] {
  return deps.listGuests(deps.store.getState(), deps.ui.getState().guests.filter).vmids;
}

function selectedTaskKey(deps: BoardDeps): string | undefined {
  const ui = deps.ui.getState();
  if (ui.view === 'detail') return ui.detail?.key;
  const keys = visibleTaskKeys(deps);
  return keys[cursorIndex(keys, ui.tasks.cursor)];
}

/** The marked guests, or the one under the cursor when none is marked. */
function targetGuests(deps: BoardDeps): Guest[] {
  const { guests, guestOrder } = deps.store.getState();
  const { marks, cursor } = deps.ui.getState().guests;
  const marked = guestOrder.filter((vmid) => marks[vmid]);
  if (marked.length > 0) return marked.map((vmid) => guests[vmid]!).filter(Boolean);
  const vmids = visibleVmids(deps);
  const vmid = vmids[cursorIndex(vmids, cursor)];
  const guest = vmid === undefined ? undefined : guests[vmid];
  return guest ? [guest] : [];
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
    flash(deps, `read-only: ${binding.hint ?? binding.command} is off (--read-only)`, 'error');
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
      deps.controller.setPaused(paused);
      flash(deps, paused ? 'polling paused (p resumes)' : 'polling resumed');
      return;
    }
    case 'refresh':
      deps.controller.refreshNow();
      flash(deps, 'refreshing');
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
  deps.controller.focusTask(key);
}

function closeDetail(deps: BoardDeps): void {
  setUi(deps, { view: 'tasks', detail: undefined });
  deps.controller.focusTask(undefined);
}

/** Lines of the log shown for the open task. */
export function logLines(state: TaskStoreState, key: string | undefined): readonly string[] {
  const log = state.focusLog;
  return log && key !== undefined && log.key === key ? log.lines : NO_LINES;
}
const NO_LINES: readonly string[] = [];

/** First log line shown: the tail while following, else where the user scrolled to. */
export function logTop(lineCount: number, height: number, detail: { follow: boolean; top: number }): number {
  const last = Math.max(0, lineCount - height);
  return detail.follow ? last : Math.min(detail.top, last);
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
  const row = key === undefined ? undefined : deps.store.getState().rows[key];
  if (!row) return;
  if (row.state === 'queued') {
    deps.controller.cancelLaunch(row.key);
    flash(deps, `cancelled the queued launch: ${taskTitle(row)}`);
    return;
  }
  const stillRunning = row.state === 'running' || (row.state === 'timeout' && !row.lateOutcome && row.endedAt === undefined);
  if (!stillRunning || !row.upid) {
    flash(deps, `${taskTitle(row)} is not running`, 'error');
    return;
  }
  openConfirm(deps, { type: 'stop', key: row.key }, `Stop this task on ${row.node}?`, false, taskTitle(row));
}

// ---- quitting -------------------------------------------------------------------------------------

function askToQuit(deps: BoardDeps): void {
  const { running, queued } = deps.store.getState().tallies.mine;
  if (running + queued === 0) {
    deps.exit({ reason: 'quit' });
    return;
  }
  const what = [running ? `${running} running` : '', queued ? `${queued} queued` : ''].filter(Boolean).join(', ');
  openConfirm(deps, { type: 'quit' }, `Quit? Tasks started here: ${what}.`, false, 'Running tasks keep running on the server.');
}

// ---- dialogs --------------------------------------------------------------------------------------

function openConfirm(
  deps: BoardDeps,
  purpose: ConfirmPurpose,
  title: string,
  defaultYes: boolean,
  below?: string | readonly number[],
): void {
  const dialog: Dialog = { kind: 'confirm', purpose, title, defaultYes };
  if (typeof below === 'string') dialog.detail = below;
  else if (below) dialog.vmids = below;
  setUi(deps, { dialog, filterEditing: false });
}

let nextDialogId = 1;

function openLaunchDialog(deps: BoardDeps, action: 'start' | 'backup' | 'snapshot'): void {
  const guests = targetGuests(deps);
  if (guests.length === 0) {
    flash(deps, 'no guest to act on: move the cursor to one or mark some with Space', 'error');
    return;
  }
  const vmids = guests.map((g) => g.vmid);
  const targets = describeTargets(guests);
  if (action === 'start') {
    openConfirm(deps, { type: 'launch', request: { action: 'start', vmids } }, `Start ${targets}?`, true, vmids);
    return;
  }
  if (action === 'snapshot') {
    const dialog: Dialog = {
      kind: 'snapshot',
      vmids,
      title: `Snapshot ${targets}?`,
      field: 0,
      name: defaultSnapshotName(deps.clock.now()),
      description: '',
    };
    setUi(deps, { dialog, filterEditing: false });
    return;
  }
  const id = nextDialogId++;
  const dialog: Dialog = {
    kind: 'backup',
    id,
    vmids,
    title: `Back up ${targets}?`,
    storages: { status: 'loading' },
    field: 0,
    storage: 0,
    mode: 0,
    compress: 0,
  };
  setUi(deps, { dialog, filterEditing: false });
  const settle = (storages: Extract<Dialog, { kind: 'backup' }>['storages']) => {
    const current = deps.ui.getState().dialog;
    if (current?.kind === 'backup' && current.id === id) setUi(deps, { dialog: { ...current, storages } });
  };
  deps.controller.backupStorages(vmids).then(
    (ids) => settle({ status: 'ready', ids }),
    (error: unknown) => settle({ status: 'failed', message: error instanceof Error ? error.message : String(error) }),
  );
}

function closeDialog(deps: BoardDeps): void {
  setUi(deps, { dialog: undefined });
}

function dialogKey(deps: BoardDeps, dialog: Dialog, input: string, key: Key): void {
  if (dialog.kind === 'snapshot' && isPrintable(input, key)) {
    setUi(deps, { dialog: editSnapshot(dialog, (text) => text + input) });
    return;
  }
  const binding = commandFor('dialog', input, key);
  if (!binding) return;
  const command = binding.command;
  if (command === 'cancel') return closeDialog(deps);
  switch (dialog.kind) {
    case 'confirm':
      if (command === 'confirm' || (command === 'accept' && dialog.defaultYes)) {
        closeDialog(deps);
        carryOut(deps, dialog.purpose);
      } else if (command === 'accept') {
        closeDialog(deps);
      }
      return;
    case 'snapshot':
      if (command === 'deleteChar') setUi(deps, { dialog: editSnapshot(dialog, (text) => text.slice(0, -1)) });
      else if (command === 'nextField' || command === 'prevField') setUi(deps, { dialog: { ...dialog, field: 1 - dialog.field } });
      else if (command === 'accept' || command === 'confirm') submitSnapshot(deps, dialog);
      return;
    case 'backup':
      return backupKey(deps, dialog, command);
  }
}

function editSnapshot(dialog: Extract<Dialog, { kind: 'snapshot' }>, edit: (text: string) => string): Dialog {
  if (dialog.field === 0) return { ...dialog, name: edit(dialog.name), error: undefined };
  return { ...dialog, description: edit(dialog.description) };
}

function submitSnapshot(deps: BoardDeps, dialog: Extract<Dialog, { kind: 'snapshot' }>): void {
  const snapname = dialog.name.trim();
  const error = snapshotNameError(snapname);
  if (error) {
    setUi(deps, { dialog: { ...dialog, field: 0, error } });
    return;
  }
  const description = dialog.description.trim();
  const request: LaunchRequest = description
    ? { action: 'snapshot', vmids: dialog.vmids, snapname, description }
    : { action: 'snapshot', vmids: dialog.vmids, snapname };
  closeDialog(deps);
  carryOut(deps, { type: 'launch', request });
}

const BACKUP_FIELDS = 3;

function backupKey(deps: BoardDeps, dialog: Extract<Dialog, { kind: 'backup' }>, command: Command): void {
  const storages = dialog.storages.status === 'ready' ? dialog.storages.ids : [];
  const choiceCounts = [storages.length, BACKUP_MODES.length, BACKUP_COMPRESSIONS.length];
  const fields = ['storage', 'mode', 'compress'] as const;
  switch (command) {
    case 'nextField':
    case 'prevField': {
      const step = command === 'nextField' ? 1 : BACKUP_FIELDS - 1;
      setUi(deps, { dialog: { ...dialog, field: (dialog.field + step) % BACKUP_FIELDS } });
      return;
    }
    case 'chooseNext':
    case 'choosePrev': {
      const count = choiceCounts[dialog.field]!;
      if (count === 0) return;
      const field = fields[dialog.field]!;
      const step = command === 'chooseNext' ? 1 : count - 1;
      setUi(deps, { dialog: { ...dialog, [field]: (dialog[field] + step) % count } });
      return;
    }
    case 'confirm':
    case 'accept': {
      const storage = storages[dialog.storage];
      if (!storage) {
        flash(deps, dialog.storages.status === 'loading' ? 'still looking for backup storages' : 'no backup storage to use', 'error');
        return;
      }
      closeDialog(deps);
      carryOut(deps, {
        type: 'launch',
        request: {
          action: 'backup',
          vmids: dialog.vmids,
          storage,
          mode: BACKUP_MODES[dialog.mode]!,
          compress: BACKUP_COMPRESSIONS[dialog.compress]!,
        },
      });
      return;
    }
    default:
      return;
  }
}

const LAUNCH_VERBS: Record<LaunchRequest['action'], string> = { start: 'start', backup: 'backup', snapshot: 'snapshot' };

function carryOut(deps: BoardDeps, purpose: ConfirmPurpose): void {
  switch (purpose.type) {
    case 'quit':
      deps.exit({ reason: 'quit' });
      return;
    case 'stop':
      flash(deps, 'stopping the task');
      deps.controller.stopTask(purpose.key).catch((error: unknown) => {
        flash(deps, `stop failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
      });
      return;
    case 'launch': {
      const { request } = purpose;
      deps.controller.launch(request);
      // Watch what was just launched: the new rows are queued, so they sort to the top of `mine`.
      const ui = deps.ui.getState();
      setUi(deps, {
        view: 'tasks',
        scope: 'mine',
        tasks: { ...ui.tasks, cursor: { index: 0, top: 0 } },
        guests: { ...ui.guests, marks: {} },
      });
      flash(deps, `queued ${LAUNCH_VERBS[request.action]} of ${plural(request.vmids.length, 'guest')}`);
      return;
    }
  }
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
    if (list === 'guests') setUi(deps, { guests: { ...current.guests, filter: change(current.guests.filter), cursor: { index: 0, top: 0 } } });
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
