/**
 * The interactive board. `runBoard` takes over the terminal (alternate screen, raw keys) until the
 * user quits and leaves it as it found it; the command prints `renderSummary` afterwards.
 */
import { render } from 'ink';
import type { RuntimeActions } from '../tasks/actions.js';
import type { Scope, TaskStore } from '../tasks/store.js';
import type { Clock } from '../util/clock.js';
import { Board } from './board.js';
import { createOutputStage } from './ink-output.js';
import type { BoardExit } from './context.js';

export { Board, type BoardProps } from './board.js';
export type { BoardExit } from './context.js';
export { keymapMarkdown, KEYMAP, type Binding, type Command, type KeyContext } from './keymap.js';
export { renderSummary } from './summary.js';
export { colorEnabled, shouldUseAscii } from './theme.js';

export interface BoardOptions {
  store: TaskStore;
  actions: RuntimeActions;
  clock: Clock;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  ascii: boolean;
  color: boolean;
  readOnly: boolean;
  noSkip?: boolean;
  copyText?: (text: string) => void;
  initialScope?: Scope;
  /** Launches queued by an earlier session and held by the queue: the board asks to resume them. */
  heldLaunches?: number;
  /** Ends the board from outside (a signal handler); resolves as `interrupt`. */
  signal?: AbortSignal;
}

const ENTER_ALTERNATE_SCREEN = '\u001b[?1049h';
const LEAVE_ALTERNATE_SCREEN = '\u001b[?1049l';
/** A low frame rate keeps a slow SSH link responsive; polling is every 2 s anyway. */
const MAX_FPS = 8;

export async function runBoard(options: BoardOptions): Promise<BoardExit> {
  const { stdout, stdin } = options;
  let left = false;
  const leaveScreen = () => {
    if (left) return;
    left = true;
    stdout.write(LEAVE_ALTERNATE_SCREEN);
  };
  // Whatever ends the process (an uncaught error, process.exit in a signal handler) restores the screen.
  process.once('exit', leaveScreen);
  stdout.write(ENTER_ALTERNATE_SCREEN);

  // Ink draws whole frames on a model of the screen; the terminal gets only the cells that changed.
  const output = createOutputStage(stdout);
  let result: BoardExit = { reason: 'quit' };
  let instance: ReturnType<typeof render> | undefined;
  const finish = (exit: BoardExit) => {
    result = exit;
    instance?.unmount();
  };
  const onAbort = () => finish({ reason: 'interrupt' });
  try {
    instance = render(
      <Board
        store={options.store}
        actions={options.actions}
        clock={options.clock}
        ascii={options.ascii}
        color={options.color}
        readOnly={options.readOnly}
        noSkip={options.noSkip}
        copyText={options.copyText}
        initialScope={options.initialScope}
        heldLaunches={options.heldLaunches}
        onExit={finish}
      />,
      {
        stdout: output.stream,
        stdin,
        exitOnCtrlC: false,
        maxFps: MAX_FPS,
        // The output stage diffs whole frames cell by cell; Ink's own line diff would only get in its way.
        incrementalRendering: false,
      },
    );
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    await instance.waitUntilExit();
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    output.flush();
    output.close();
    leaveScreen();
    process.off('exit', leaveScreen);
  }
  return result;
}
