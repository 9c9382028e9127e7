/**
 * What the key handlers share: reading the board's current selection and writing the board's state.
 * Plain functions over the board's dependencies, no React.
 */
import { clusterOfGuest } from '../tasks/cluster-view.js';
import type { Guest } from '../tasks/store.js';
import type { BoardDeps } from './context.js';
import { guestBlock } from './detail-guests.js';
import { describeTargets } from './format.js';
import { keyLabel } from './keymap.js';
import { frameLayout, headerLines, pageSize } from './layout.js';
import type { UiState } from './ui-state.js';
import { cursorIndex } from './visible.js';

export function setUi(deps: BoardDeps, patch: Partial<UiState>): void {
  deps.ui.setState(patch);
}

/**
 * After a launch from the board: the Tasks view, own tasks, cursor at the top (the new rows are queued,
 * so they sort there), and the guests' marks cleared.
 */
export function watchLaunched(deps: BoardDeps): void {
  const ui = deps.ui.getState();
  setUi(deps, {
    view: 'tasks',
    scope: 'mine',
    tasks: { ...ui.tasks, cursor: { index: 0, top: 0 } },
    guests: { ...ui.guests, marks: {} },
  });
}

/** A line on the runtime's one message channel (the footer's status line). */
export function say(deps: BoardDeps, text: string, level: 'info' | 'error' = 'info'): void {
  deps.actions.notify(text, level);
}

export function currentPageSize(deps: BoardDeps): number {
  const ui = deps.ui.getState();
  const state = deps.store.getState();
  const frame = frameLayout(ui.size, headerLines(state));
  const page = pageSize(ui.view, frame.body, ui.dialog);
  if (ui.view !== 'detail' || !ui.detail) return page;
  // A backup job lists its guests above the log, which is that much shorter.
  return Math.max(1, page - guestBlock(state.row(ui.detail.key), state, frame.body).height);
}

export function visibleTaskKeys(deps: BoardDeps): readonly string[] {
  const ui = deps.ui.getState();
  return deps.listTasks(deps.store.getState(), ui.scope, ui.tasks.filter, ui.tasks).keys;
}

export function visibleVmids(deps: BoardDeps): readonly number[] {
  return deps.listGuests(deps.store.getState(), deps.ui.getState().guests.filter).vmids;
}

export function selectedTaskKey(deps: BoardDeps): string | undefined {
  const ui = deps.ui.getState();
  if (ui.view === 'detail') return ui.detail?.key;
  const keys = visibleTaskKeys(deps);
  return keys[cursorIndex(keys, ui.tasks.cursor)];
}

/** The clusters the guests (by the view's ids) are in, when the board watches several; none with one. */
export function targetClusters(deps: BoardDeps, ids: readonly number[]): string[] {
  const state = deps.store.getState();
  return [...new Set(ids.map((id) => clusterOfGuest(state, id)).filter((name): name is string => name !== undefined))];
}

/**
 * The marked guests, or the one under the cursor when none is marked, each with its id in the store
 * (its VMID; over several clusters, the view's id: cluster-view.ts).
 */
export function targetGuests(deps: BoardDeps): Array<{ id: number; guest: Guest }> {
  const { guests, guestOrder } = deps.store.getState();
  const { marks, cursor } = deps.ui.getState().guests;
  const marked = guestOrder.filter((id) => marks[id] && guests[id]);
  if (marked.length > 0) return marked.map((id) => ({ id, guest: guests[id]! }));
  const ids = visibleVmids(deps);
  const id = ids[cursorIndex(ids, cursor)];
  const guest = id === undefined ? undefined : guests[id];
  return guest ? [{ id: id!, guest }] : [];
}

export interface LaunchTargets {
  /** The guests' ids in the store, as a launch request takes them. */
  vmids: number[];
  /** Their clusters, when the board watches several. */
  clusters: string[];
  /** For the dialog's title: `guest 101 (web01) on pve1`, `3 guests on 2 nodes in alpha and bravo`. */
  described: string;
}

/** What a launch or maintenance dialog acts on; undefined, said on the status line, when there is nothing. */
export function launchTargets(deps: BoardDeps): LaunchTargets | undefined {
  const chosen = targetGuests(deps);
  if (chosen.length === 0) {
    say(deps, `no guest to act on: move the cursor to one or mark some with ${keyLabel('mark')}`, 'error');
    return undefined;
  }
  const vmids = chosen.map((target) => target.id);
  const clusters = targetClusters(deps, vmids);
  return {
    vmids,
    clusters,
    described: describeTargets(
      chosen.map((target) => target.guest),
      clusters,
    ),
  };
}
