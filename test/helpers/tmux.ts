/**
 * A tmux server of our own (its own socket) for the end-to-end tests: the real bundle runs in a pane,
 * driven by keys (`send-keys`) and read back from the screen (`capture-pane`). Nothing of the user's
 * tmux is touched. Without tmux the tests fail; they never skip.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';

export function requireTmux(): void {
  const version = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    throw new Error('tmux is needed for the end-to-end tests and was not found (.ci/run installs it: apt-get install tmux)');
  }
}

/**
 * The environment of a board under test: none of the operator's own settings (PROXMOX_VE_*,
 * PVETASKS_*, CI, which makes Ink draw only its last frame, NO_COLOR), a UTF-8 locale, then `settings`.
 */
export function boardEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('PROXMOX_VE_') || key.startsWith('PVETASKS_') || key === 'CI' || key === 'NO_COLOR') delete env[key];
  }
  return { ...env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ...settings };
}

export class Tmux {
  readonly socket = `pvetasks-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly target = 'board';
  /** Every screen captured while waiting. */
  readonly screens: string[][] = [];

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly waitMs = 15_000,
    /** The working directory of the panes (the board reads `.env` from there). */
    private readonly cwd?: string,
  ) {}

  run(...args: string[]): string {
    const result = spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', '-u', ...args], {
      encoding: 'utf8',
      env: this.env,
      cwd: this.cwd,
    });
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

  /**
   * Ends the tmux server and waits until every process of its panes has exited: a board saves its
   * session on SIGHUP, and a test that removes the state dir before then races that write.
   */
  async kill(): Promise<void> {
    const processes = this.paneProcesses();
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { env: this.env });
    const deadline = Date.now() + this.waitMs;
    while (processes.some(isRunning)) {
      if (Date.now() > deadline) assert.fail(`the panes' processes ${processes.filter(isRunning).join(' ')} did not exit`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The pids of the panes' shells and all their descendants (none once the server is gone). */
  private paneProcesses(): number[] {
    const panes = spawnSync('tmux', ['-L', this.socket, 'list-panes', '-a', '-F', '#{pane_pid}'], { encoding: 'utf8', env: this.env });
    if (panes.status !== 0) return [];
    const found = panes.stdout.split('\n').filter(Boolean).map(Number);
    // Parents from /proc (no `ps` needed: a minimal CI image may lack procps).
    const children = new Map<number, number[]>();
    for (const entry of existsSync('/proc') ? readdirSync('/proc') : []) {
      const ppid = parentOf(Number(entry));
      if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    }
    for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i]!) ?? []));
    return found;
  }

  /**
   * In the Guests view: marks each guest through the filter, as an operator would (`/`, its VMID, Enter,
   * Space, Esc), waiting for each step on the screen. Ink holds a lone Esc back for a moment: the next
   * key waits until it has cleared the filter.
   */
  async markGuests(vmids: readonly number[]): Promise<void> {
    for (const [index, vmid] of vmids.entries()) {
      this.type('/');
      this.type(String(vmid));
      this.keys('Enter');
      await this.waitFor(`the cursor on ${vmid}`, (s) => new RegExp(`^> +${vmid} `).test(cursorLine(s)));
      this.keys('Space');
      await this.waitFor(`${vmid} marked`, (s) => s.some((line) => new RegExp(`^. \\* ${vmid} `).test(line)));
      this.keys('Escape');
      await this.waitFor('the filter cleared', (s) => s[1]!.includes(`${index + 1} marked`) && !s[1]!.includes('filter "'));
    }
  }

  /** Polls the screen until `ready` holds; fails with the last screen after the wait limit. */
  async waitFor(what: string, ready: (screen: string[], text: string) => boolean, waitMs = this.waitMs): Promise<string[]> {
    const deadline = Date.now() + waitMs;
    let screen: string[];
    for (;;) {
      screen = this.capture();
      if (ready(screen, screen.join('\n'))) return screen;
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; the screen:\n${screen.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A process's state and parent from /proc/PID/stat (after the command name in parentheses); none when gone. */
function statOf(pid: number): { state: string; ppid: number } | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: state!, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  return statOf(pid)?.ppid;
}

/** Alive and not a zombie (an orphan's zombie may wait long for a container's init to reap it). */
function isRunning(pid: number): boolean {
  const stat = statOf(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** The line under the cursor (it starts with `> `), or empty. */
export function cursorLine(screen: readonly string[]): string {
  return screen.find((line) => line.startsWith('> ')) ?? '';
}

export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
