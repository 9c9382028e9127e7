/**
 * Keeps the terminal size in the board's state: Ink re-lays out on `resize` but does not re-render
 * React, and the window of rows depends on the height.
 */
import { useStdout } from 'ink';
import { useEffect } from 'react';
import { DEFAULT_SIZE, type TerminalSize, type UiStore } from './ui-state.js';

/** The size of `stdout`, with defaults where it has none (a pipe; ink-testing-library has no rows). */
export function terminalSize(stdout: { columns?: number; rows?: number }): TerminalSize {
  return { columns: stdout.columns || DEFAULT_SIZE.columns, rows: stdout.rows || DEFAULT_SIZE.rows };
}

export function useTerminalSize(ui: UiStore): void {
  const { stdout } = useStdout();
  useEffect(() => {
    const update = () => {
      const size = terminalSize(stdout);
      const current = ui.getState().size;
      if (size.columns !== current.columns || size.rows !== current.rows) ui.setState({ size });
    };
    update();
    stdout.on('resize', update);
    return () => {
      stdout.off('resize', update);
    };
  }, [stdout, ui]);
}
