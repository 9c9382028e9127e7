/**
 * The interactive board. `runBoard` takes over the terminal (alternate screen, raw keys) until the
 * user quits and leaves it as it found it; the command prints `renderSummary` afterwards.
 */
import { render } from 'ink';
import type { RuntimeActions } from '../tasks/actions.js';
import type { Scope, TaskStore } from '../tasks/store.js';
import type { Clock } from '../util/clock.js';
import { Board, defaultScope } from './board.js';
import { createUiStore } from './ui-state.js';
import { terminalSize } from './use-terminal-size.js';
import { createOutputStage } from './ink-output.js';
import type { BoardExit } from './context.js';

export { Board, type BoardProps } from './board.js';
export type { BoardExit } from './context.js';
export { keymapMarkdown, KEYMAP, type Binding, type Command, type KeyContext } from './keymap.js';
export { renderSummary } from './summary.js';
export { colorEnabled, shouldUseAscii } from './theme.js';

/** What the board shows and acts on. */
export interface BoardContent {
  store: TaskStore;
  actions: RuntimeActions;
  initialScope?: Scope;
  /** Launches queued by an earlier session and held by the queue: the board asks to resume them. */
  heldLaunches?: number;
}

export interface BoardOptions extends BoardContent {
  clock: Clock;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  ascii: boolean;
  color: boolean;
  readOnly: boolean;
  noSkip?: boolean;
  copyText?: (text: string) => void;
  /** Ends the board from outside (a signal handler); resolves as `interrupt`. */
  signal?: AbortSignal;
  /**
   * The content to show once it is ready, called right after the first frame: until it resolves, the
   * board shows `store` and `actions` (connecting). Its rejection ends the board and is thrown, once
   * the screen is restored.
   */
  ready?: () => Promise<BoardContent>;
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
  let ended = false;
  const finish = (exit: BoardExit) => {
    if (ended) return;
    ended = true;
    result = exit;
    instance?.unmount();
  };
  const onAbort = () => finish({ reason: 'interrupt' });
  let failure: { error: unknown } | undefined;
  // One UI state for the connecting board and the ready one: what was typed meanwhile (Tab, a filter) stays.
  const ui = createUiStore({ scope: defaultScope(options.store, options.initialScope), size: terminalSize(output.stream) });
  const connectingScope = ui.getState().scope;
  const board = (content: BoardContent, key: string) => (
    <Board
      key={key}
      ui={ui}
      store={content.store}
      actions={content.actions}
      clock={options.clock}
      ascii={options.ascii}
      color={options.color}
      readOnly={options.readOnly}
      noSkip={options.noSkip}
      copyText={options.copyText}
      initialScope={content.initialScope}
      heldLaunches={content.heldLaunches}
      onExit={finish}
    />
  );
  try {
    instance = render(board(options, 'first'), {
      stdout: output.stream,
      stdin,
      exitOnCtrlC: false,
      maxFps: MAX_FPS,
      // The output stage diffs whole frames cell by cell; Ink's own line diff would only get in its way.
      incrementalRendering: false,
    });
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // Once the first frame is out (the output stage flushes it on a microtask): connecting starts
    // with synchronous work (loading the HTTP client) that would otherwise hold the frame back.
    const { ready } = options;
    if (ready) {
      setImmediate(() => {
        if (ended) return;
        ready().then(
          // A new key mounts a new board over the ready content (its own ticker and prompts, the same UI state).
          (content) => {
            if (ended) return;
            // Unless the operator chose a scope meanwhile, the ready content's own default applies.
            if (ui.getState().scope === connectingScope) ui.setState({ scope: defaultScope(content.store, content.initialScope) });
            instance?.rerender(board(content, 'ready'));
          },
          (error: unknown) => {
            // Left already (q, a signal): that stopped the connecting, and is the board's end.
            if (ended) return;
            failure = { error };
            finish({ reason: 'quit' });
          },
        );
      });
    }
    await instance.waitUntilExit();
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    output.flush();
    output.close();
    leaveScreen();
    process.off('exit', leaveScreen);
  }
  if (failure) throw failure.error;
  return result;
}
