/**
 * The real `pvetasks` bundle in a tmux server of its own (its own socket, nothing of the user's tmux
 * touched), every byte it writes to the terminal captured with `pipe-pane -o`, driven by keys and read
 * back from the screen.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE } from '../../helpers/bundle.js';
import { requireTmux, shellQuote, Tmux } from '../../helpers/tmux.js';

/** Longest wait for one screen state: the board polls every second, but the machine may be busy with the rest of the suite. */
const WAIT_MS = 30_000;

/** Written by the pane before the board starts (so a replay starts from a blank screen): not the board's. */
export const PANE_PREFIX = '\u001b[H\u001b[2J';

/** Fails at once, naming the package, where tmux is missing. */
export const assertTmux = requireTmux;

/** A board in tmux with every byte it writes kept in `pipeFile`. */
export class BoardInTmux extends Tmux {
  readonly pipeFile: string;

  constructor(
    env: NodeJS.ProcessEnv,
    dir: string,
    readonly columns: number,
    readonly rows: number,
  ) {
    super(env, WAIT_MS);
    this.pipeFile = join(dir, 'pane-output');
  }

  /** Starts the board; the pane waits for a line first, so that pipe-pane sees every byte it writes. */
  start(args: string[]): void {
    const quoted = [process.execPath, BUNDLE, ...args].map((word) => JSON.stringify(word)).join(' ');
    const command = `read go; printf '\\033[H\\033[2J'; env -u CI ${quoted}; echo "[exit $?]"; sleep 600`;
    this.run('new-session', '-d', '-s', this.target, '-x', String(this.columns), '-y', String(this.rows), `sh -c ${shellQuote(command)}`);
    this.run('pipe-pane', '-o', '-t', this.target, `cat >> ${shellQuote(this.pipeFile)}`);
    this.keys('Enter');
  }

  /** Ends the tmux server, and removes its socket file (kill-server leaves it behind). */
  override async kill(): Promise<void> {
    let socketPath = '';
    try {
      socketPath = this.run('display-message', '-p', '#{socket_path}').trim();
    } catch {
      // The server is gone already: nothing to remove.
    }
    await super.kill();
    if (socketPath) rmSync(socketPath, { force: true });
  }

  /** Waits for `pattern` on the screen. */
  waitForText(pattern: RegExp, what = String(pattern)): Promise<string[]> {
    return this.waitFor(what, (_, text) => pattern.test(text));
  }

  /** The header spinner steps once per completed poll cycle: polling is alive while it moves. */
  async spinnerMoves(): Promise<void> {
    const first = this.capture()[0]!.charAt(0);
    await this.waitFor(`the header spinner to move from ${first}`, (screen) => screen[0]!.charAt(0) !== first);
  }
}
