/**
 * The board as a component: builds its own state (UI store, ticker, list memos) once, listens to the
 * keyboard through one dispatcher, and renders the frame. `runBoard` mounts it on the real terminal;
 * tests mount it with ink-testing-library.
 */
import { useStdin, useStdout } from 'ink';
import { useCallback, useEffect, useState } from 'react';
import type { RuntimeActions } from '../tasks/actions.js';
import type { Scope, TaskStore } from '../tasks/store.js';
import type { Clock } from '../util/clock.js';
import { Frame } from './components/frame.js';
import { BoardContext, type BoardDeps, type BoardExit } from './context.js';
import { askToResume } from './dialog-input.js';
import { handleKey } from './input.js';
import { createTheme } from './theme.js';
import { tickDemand } from './tick-demand.js';
import { createTicker, runTicker } from './ticker.js';
import { createUiStore, type UiStore } from './ui-state.js';
import { useKeys } from './use-keys.js';
import { terminalSize, useTerminalSize } from './use-terminal-size.js';
import { createGuestLister, createTaskLister } from './visible.js';

export interface BoardProps {
  store: TaskStore;
  actions: RuntimeActions;
  clock: Clock;
  ascii: boolean;
  color: boolean;
  readOnly: boolean;
  /** --no-skip: launch dialogs start with "send to the skipped guests too" on. */
  noSkip?: boolean;
  /** Puts text on the terminal's clipboard (OSC 52, opt-in); without it `y` says how to turn it on. */
  copyText?: (text: string) => void;
  /** Default: `mine` when this session has rows, else `cluster`. */
  initialScope?: Scope;
  /**
   * Launches an earlier session queued and never sent (the queue holds them): the board opens by
   * asking whether to resume them, and answers through `actions.resumeLaunches`.
   */
  heldLaunches?: number;
  onExit(result: BoardExit): void;
  /** Called on every render of a list row (tests count them). */
  onRowRender?: (key: string | number) => void;
  /** The UI state to use (runBoard keeps one across the connecting board and the ready one); else its own. */
  ui?: UiStore;
}

/** The scope a board opens in: `mine` when this session has rows, else `cluster`. */
export function defaultScope(store: TaskStore, initialScope?: Scope): Scope {
  return initialScope ?? (store.getState().order.mine.length > 0 ? 'mine' : 'cluster');
}

export function Board(props: BoardProps) {
  const { stdout } = useStdout();
  // Built once: the board's state lives as long as the board.
  const [deps] = useState<BoardDeps>(() => {
    const built: BoardDeps = {
      store: props.store,
      actions: props.actions,
      clock: props.clock,
      ui: props.ui ?? createUiStore({ scope: defaultScope(props.store, props.initialScope), size: terminalSize(stdout) }),
      ticker: createTicker(props.clock),
      theme: createTheme({ color: props.color, ascii: props.ascii }),
      readOnly: props.readOnly,
      noSkip: props.noSkip ?? false,
      ...(props.copyText ? { copyText: props.copyText } : {}),
      listTasks: createTaskLister(),
      listGuests: createGuestLister(),
      exit: (result) => props.onExit(result),
      onRowRender: props.onRowRender,
    };
    askToResume(built, props.heldLaunches ?? 0);
    return built;
  });

  useTerminalSize(deps.ui);
  useEffect(() => {
    const stop = new AbortController();
    void runTicker(deps.ticker, deps.clock, stop.signal, tickDemand(deps));
    return () => {
      stop.abort();
      // Leaving from the detail view: the task no longer needs its 1 s reads.
      if (deps.ui.getState().detail) deps.actions.focusTask(undefined);
    };
  }, [deps]);

  const { isRawModeSupported } = useStdin();
  // One key at a time, as if typed slowly, however they arrived (useKeys splits each read).
  const onKey = useCallback((input: string, key: Parameters<typeof handleKey>[2]) => handleKey(deps, input, key), [deps]);
  // Without a TTY there is no raw mode (Ink throws when asked for it): no keys then.
  useKeys(onKey, Boolean(isRawModeSupported));

  return (
    <BoardContext.Provider value={deps}>
      <Frame />
    </BoardContext.Provider>
  );
}
