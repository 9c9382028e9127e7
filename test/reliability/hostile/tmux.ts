/**
 * The real `pvetasks` bundle in a tmux server of its own (its own socket, nothing of the user's tmux
 * touched), every byte it writes to the terminal captured with `pipe-pane -o`, driven by keys and read
 * back from the screen.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE } from '../../helpers/bundle.js';

/** Longest wait for one screen state: the board polls every second, but the machine may be busy with the rest of the suite. */
const WAIT_MS = 30_000;

/** Written by the pane before the board starts (so a replay starts from a blank screen): not the board's. */
export const PANE_PREFIX = '\u001b[H\u001b[2J';

export function assertTmux(): void {
  const version = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    throw new Error('tmux is needed for the board tests and was not found (.ci/run installs it: apt-get install tmux)');
  }
}

export class BoardInTmux {
  readonly socket = `pvetasks-hostile-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly target = 'board';
  /** Every screen captured (the frame checks look at all of them). */
  readonly screens: string[][] = [];
  readonly pipeFile: string;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    dir: string,
    readonly columns: number,
    readonly rows: number,
  ) {
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

  run(...args: string[]): string {
    const result = spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', '-u', ...args], { encoding: 'utf8', env: this.env });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  }

  capture(): string[] {
    const lines = this.run('capture-pane', '-p', '-t', this.target).replace(/\n$/, '').split('\n');
    this.screens.push(lines);
    return lines;
  }

  keys(...keys: string[]): void {
    this.run('send-keys', '-t', this.target, ...keys);
  }

  /** Literal text (no key names). */
  type(text: string): void {
    this.run('send-keys', '-t', this.target, '-l', text);
  }

  /** Ends the tmux server, and removes its socket file (kill-server leaves it behind). */
  kill(): void {
    const socketPath = spawnSync('tmux', ['-L', this.socket, 'display-message', '-p', '#{socket_path}'], {
      encoding: 'utf8',
      env: this.env,
    });
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { env: this.env });
    if (socketPath.status === 0 && socketPath.stdout.trim()) rmSync(socketPath.stdout.trim(), { force: true });
  }

  /** Polls the screen until `ready` holds; fails with the last screen after WAIT_MS. */
  async waitFor(what: string, ready: (screen: string[], text: string) => boolean): Promise<string[]> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const screen = this.capture();
      if (ready(screen, screen.join('\n'))) return screen;
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; the screen:\n${screen.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
