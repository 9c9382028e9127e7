/** What every board component may reach: the stores, the runtime's actions, the theme. */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { RuntimeActions } from '../tasks/actions.js';
import type { TaskStore, TaskStoreState } from '../tasks/store.js';
import type { Clock } from '../util/clock.js';
import type { Theme } from './theme.js';
import type { Ticker, TickerState } from './ticker.js';
import type { UiState, UiStore } from './ui-state.js';
import type { GuestLister, TaskLister } from './visible.js';

export interface BoardExit {
  /** `quit`: the user quit (q); `interrupt`: Ctrl-C (the command exits 130). */
  reason: 'quit' | 'interrupt';
}

export interface BoardDeps {
  store: TaskStore;
  actions: RuntimeActions;
  clock: Clock;
  ui: UiStore;
  ticker: Ticker;
  theme: Theme;
  readOnly: boolean;
  /** The board's --no-skip: launch dialogs start with "send to the skipped guests too" on. */
  noSkip: boolean;
  /** Puts text on the terminal's clipboard (OSC 52); undefined while that is off (the default). */
  copyText?: (text: string) => void;
  listTasks: TaskLister;
  listGuests: GuestLister;
  exit(result: BoardExit): void;
  /** Called on every render of a list row (tests count them; the benchmark may too). */
  onRowRender?: (key: string | number) => void;
}

export const BoardContext = createContext<BoardDeps | undefined>(undefined);

export function useBoard(): BoardDeps {
  const deps = useContext(BoardContext);
  if (!deps) throw new Error('board components need a BoardContext');
  return deps;
}

/** Narrow reads of the task store; the selector must return stored values, not new objects. */
export function useTasks<T>(selector: (state: TaskStoreState) => T): T {
  return useStore(useBoard().store, selector);
}

export function useUi<T>(selector: (state: UiState) => T): T {
  return useStore(useBoard().ui, selector);
}

export function useTick<T>(selector: (state: TickerState) => T): T {
  return useStore(useBoard().ticker, selector);
}

export function useTheme(): Theme {
  return useBoard().theme;
}
