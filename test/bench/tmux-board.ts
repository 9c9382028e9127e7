/**
 * The real binary on a real terminal: a tmux server of our own holding one pane that runs it, keys
 * sent as an operator types them, the screen read back, and every byte the pane receives counted
 * (`pipe-pane`). Also the simulated clusters the measurements run against.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { BUNDLE } from '../helpers/bundle.js';
import { childEnv, sleep } from './util.js';

/** The bundle under test; PVETASKS_BENCH_BINARY measures another build instead (it is then not rebuilt). */
export const BINARY = process.env.PVETASKS_BENCH_BINARY ?? BUNDLE;

export const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

export class TmuxBoard {
  private readonly dir = mkdtempSync(join(tmpdir(), 'pvetasks-bench-tty-'));
  private readonly socket = join(this.dir, 'tmux.sock');
  private readonly pipeFile = join(this.dir, 'pane-output');

  constructor(
    private readonly sim: Simulator,
    readonly columns = 120,
    readonly rows = 40,
  ) {}

  /** Where the binary keeps its session files. */
  get stateDir(): string {
    return join(this.dir, 'state');
  }

  private get env(): NodeJS.ProcessEnv {
    return childEnv({
      PROXMOX_VE_ENDPOINT: this.sim.url,
      PROXMOX_VE_API_TOKEN: this.sim.token,
      PVETASKS_STATE_DIR: this.stateDir,
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
    });
  }

  run(...args: string[]): string {
    const result = spawnSync('tmux', ['-S', this.socket, '-f', '/dev/null', '-u', ...args], { encoding: 'utf8', env: this.env });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  }

  /** Runs `node [nodeArgs] binary` in the pane. */
  start(binary = BINARY, nodeArgs: string[] = []): void {
    const command = `exec ${[process.execPath, ...nodeArgs, binary].map(shellQuote).join(' ')}`;
    this.run('new-session', '-d', '-s', 'bench', '-x', String(this.columns), '-y', String(this.rows), command);
    this.run('set-option', '-t', 'bench', 'remain-on-exit', 'on');
  }

  screen(): string {
    return this.run('capture-pane', '-p', '-t', 'bench');
  }

  /** Keys by tmux name (`Tab`, `Enter`). */
  keys(...keys: string[]): void {
    this.run('send-keys', '-t', 'bench', ...keys);
  }

  /** Literal text. */
  type(text: string): void {
    this.run('send-keys', '-t', 'bench', '-l', text);
  }

  /** The pid of the process in the pane: the binary itself (the shell exec'd it). */
  pid(): number {
    return Number(this.run('display-message', '-p', '-t', 'bench', '#{pane_pid}').trim());
  }

  async waitFor(what: string, ready: (screen: string) => boolean, limitMs = 30_000): Promise<void> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const screen = this.screen();
      if (ready(screen)) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${screen}`);
      await sleep(100);
    }
  }

  /** Starts counting every byte the pane receives. */
  startCounting(): void {
    this.run('pipe-pane', '-o', '-t', 'bench', `cat >> ${shellQuote(this.pipeFile)}`);
  }

  /** Bytes received so far (as far as the pipe has written them out). */
  counted(): number {
    return existsSync(this.pipeFile) ? statSync(this.pipeFile).size : 0;
  }

  async stopCounting(): Promise<number> {
    this.run('pipe-pane', '-t', 'bench');
    await sleep(200); // let cat write out what it holds
    return existsSync(this.pipeFile) ? readFileSync(this.pipeFile).length : 0;
  }

  /** Counts every byte the pane receives for `ms` of wall-clock time. */
  async countBytes(ms: number): Promise<{ bytes: number; seconds: number }> {
    this.startCounting();
    const started = performance.now();
    await sleep(ms);
    const seconds = (performance.now() - started) / 1000;
    return { bytes: await this.stopCounting(), seconds };
  }

  close(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server'], { env: this.env });
    // The binary flushes its session on the hangup while the directory goes: try again a few times.
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

export function residentMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

export const TYPES = ['qmstart', 'vzdump', 'qmigrate', 'qmsnapshot', 'vzstart', 'qmshutdown', 'vncproxy'];
const USERS = ['root@pam', 'admin@pve', 'ops@pve', 'jdoe@pve'];

/** `count` running tasks over 4 nodes, started between `minAgoMs` and `minAgoMs + spreadMs` ago; none ends. */
export async function busyCluster(count: number, minAgoMs: number, spreadMs: number): Promise<Simulator> {
  const sim = await startSimulator({ nodes: 4, guests: 60, seed: 5, unauthorizedDelayMs: 0 });
  const guests = sim.control.guests();
  for (let i = 0; i < count; i++) {
    const guest = guests[i % guests.length]!;
    sim.control.spawnTask({
      node: guest.node,
      type: TYPES[i % TYPES.length]!,
      id: String(guest.vmid),
      user: USERS[i % USERS.length]!,
      durationMs: Infinity,
      startedAgoMs: minAgoMs + Math.round((i * spreadMs) / count),
    });
  }
  return sim;
}

/**
 * A cluster of 4 nodes with exactly `stopped` stopped guests (templates and guests playing fixed roles
 * among them, as on a real cluster): the guest count is found by trying, since the simulator's seed
 * decides which guests run.
 */
export async function clusterWithStoppedGuests(stopped: number): Promise<Simulator> {
  for (let guests = Math.round(stopped * 2.2); guests < stopped * 4; guests++) {
    const sim = await startSimulator({ nodes: 4, guests, seed: 5, unauthorizedDelayMs: 0 });
    if (sim.control.guests({ status: 'stopped' }).length === stopped) return sim;
    await sim.close();
  }
  throw new Error(`no simulated cluster with exactly ${stopped} stopped guests`);
}
