/**
 * The real binary (dist/pvetasks.mjs) on a real terminal: bytes written per second in steady state and
 * idle CPU (in tmux, against a simulator running in this process in real time), and start-up time (in
 * `script`'s pseudo-terminal, next to a bare bundled Ink "hello"). The children never see a CI
 * variable: Ink would draw only the last frame.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createPveClient } from '../../src/api/index.js';
import { clusterName } from '../../src/cli/connect.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { openSession } from '../../src/tasks/session.js';
import { createTaskStore } from '../../src/tasks/store.js';
import { formatUpid } from '../../src/tasks/upid.js';
import { systemClock } from '../../src/util/clock.js';
import { BUNDLE, buildBundle, bundleIsStale } from '../helpers/bundle.js';
import type { Workdir } from './children.js';
import { childEnv, median, progress, round, sleep } from './util.js';

/** The bundle under test; PVETASKS_BENCH_BINARY measures another build instead (it is then not rebuilt). */
export const BINARY = process.env.PVETASKS_BENCH_BINARY ?? BUNDLE;

/** Builds the bundle when it is missing or older than the sources (what `npm run bundle` makes). */
export function ensureBinary(): void {
  if (process.env.PVETASKS_BENCH_BINARY) return;
  if (!bundleIsStale()) return;
  progress('building dist/pvetasks.mjs (npm run bundle)');
  buildBundle();
}

export function requireTools(): void {
  for (const tool of ['tmux', 'script']) {
    const found = spawnSync(tool, ['-V'], { encoding: 'utf8' });
    if (found.error) throw new Error(`the benchmark needs ${tool} (apt-get install ${tool === 'script' ? 'util-linux' : tool})`);
  }
}

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** A tmux server of our own (its socket in our own directory), holding one session that runs the binary. */
class TmuxBoard {
  private readonly dir = mkdtempSync(join(tmpdir(), 'pvetasks-bench-tty-'));
  private readonly socket = join(this.dir, 'tmux.sock');
  readonly pipeFile = join(this.dir, 'pane-output');

  constructor(
    private readonly sim: Simulator,
    readonly columns: number,
    readonly rows: number,
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

  start(): void {
    const command = `exec ${shellQuote(process.execPath)} ${shellQuote(BINARY)}`;
    this.run('new-session', '-d', '-s', 'bench', '-x', String(this.columns), '-y', String(this.rows), command);
    this.run('set-option', '-t', 'bench', 'remain-on-exit', 'on');
  }

  screen(): string {
    return this.run('capture-pane', '-p', '-t', 'bench');
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

  /** Counts every byte the pane receives for `ms` of wall-clock time. */
  async countBytes(ms: number): Promise<{ bytes: number; seconds: number }> {
    this.run('pipe-pane', '-o', '-t', 'bench', `cat >> ${shellQuote(this.pipeFile)}`);
    const started = performance.now();
    await sleep(ms);
    this.run('pipe-pane', '-t', 'bench');
    const seconds = (performance.now() - started) / 1000;
    await sleep(200); // let cat write out what it holds
    const bytes = existsSync(this.pipeFile) ? readFileSync(this.pipeFile).length : 0;
    return { bytes, seconds };
  }

  close(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server'], { env: this.env });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const TYPES = ['qmstart', 'vzdump', 'qmigrate', 'qmsnapshot', 'vzstart', 'qmshutdown', 'vncproxy'];
const USERS = ['root@pam', 'admin@pve', 'ops@pve', 'jdoe@pve'];

/** `count` running tasks over 4 nodes, started between `minAgoMs` and `minAgoMs + spreadMs` ago; none ends. */
async function busyCluster(count: number, minAgoMs: number, spreadMs: number): Promise<Simulator> {
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

export interface TtyResult {
  bytesPerSecond: number;
  bytes: number;
  seconds: number;
  /** The binary's resident memory at the end of the window. */
  rssMb: number;
}

function residentMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

/**
 * The binary at `columns`x`rows` watching `count` running tasks. Warm-up: until the footer counts them
 * all, then `warmupMs` more (first polls, guest names); then every byte for `windowMs`.
 */
export async function ttyBytes(options: {
  count: number;
  minAgoMs: number;
  spreadMs: number;
  windowMs: number;
  warmupMs: number;
}): Promise<TtyResult> {
  const sim = await busyCluster(options.count, options.minAgoMs, options.spreadMs);
  const board = new TmuxBoard(sim, 120, 40);
  try {
    board.start();
    await board.waitFor(`the board with ${options.count} running tasks`, (screen) => screen.includes(`running ${options.count} `));
    await sleep(options.warmupMs);
    const { bytes, seconds } = await board.countBytes(options.windowMs);
    if (!board.screen().includes(`running ${options.count} `)) throw new Error('the board no longer shows every task running');
    return { bytesPerSecond: bytes / seconds, bytes, seconds, rssMb: residentMb(board.pid()) };
  } finally {
    board.close();
    await sim.close();
  }
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15)
}

export interface IdleResult {
  cpuPercent: number;
  seconds: number;
}

/** The binary against a quiet simulator (no task at all, no background): CPU over `windowMs`. */
export async function idleCpu(options: { windowMs: number; warmupMs: number }): Promise<IdleResult> {
  const sim = await startSimulator({ nodes: 3, guests: 40, seed: 5, unauthorizedDelayMs: 0 });
  if (sim.control.tasks().length !== 0) throw new Error('the quiet simulator has tasks');
  const board = new TmuxBoard(sim, 120, 40);
  try {
    board.start();
    await board.waitFor('the empty board', (screen) => screen.includes('No task in the cluster yet'));
    await sleep(options.warmupMs);
    const pid = board.pid();
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    if (comm !== 'node') throw new Error(`pane process ${pid} is ${comm}, not node`);
    const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    const ticks0 = cpuTicks(pid);
    const started = performance.now();
    await sleep(options.windowMs);
    const ticks1 = cpuTicks(pid);
    const seconds = (performance.now() - started) / 1000;
    return { cpuPercent: ((ticks1 - ticks0) / hz / seconds) * 100, seconds };
  } finally {
    board.close();
    await sim.close();
  }
}

/**
 * Milliseconds from spawning `script` (which runs the program in a fresh pseudo-terminal of 120x40)
 * to the first output that contains `marker`. The pseudo-terminal costs the same for both programs.
 */
function timeToFirstFrame(argv: string[], env: NodeJS.ProcessEnv, marker: string, limitMs = 15_000): Promise<number> {
  const command = `stty cols 120 rows 40; exec ${argv.map(shellQuote).join(' ')}`;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('script', ['-q', '-f', '-e', '-c', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let seen = '';
    let done = false;
    const finish = (error: Error | undefined, ms?: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      if (error) reject(error);
      else resolve(ms!);
    };
    const timer = setTimeout(
      () => finish(new Error(`no '${marker}' within ${limitMs} ms; output: ${JSON.stringify(seen.slice(-500))}`)),
      limitMs,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      const at = performance.now();
      seen += chunk.toString('utf8');
      if (seen.includes(marker)) finish(undefined, at - started);
    });
    child.on('error', (error) => finish(error));
    child.on('exit', () => {
      if (!done) setTimeout(() => finish(new Error(`exited before '${marker}'; output: ${JSON.stringify(seen.slice(-500))}`)), 50);
    });
  });
}

const HELLO = `import React from 'react';
import { render, Text } from 'ink';
render(React.createElement(Text, null, 'hello from ink'));
`;

export interface StartupResult {
  binaryMs: number;
  helloMs: number;
  binaryRuns: number[];
  helloRuns: number[];
}

/** Start-up of the binary against a simulator (first frame) next to a bare bundled Ink hello; medians. */
export async function startup(work: Workdir, runs: number): Promise<StartupResult> {
  const hello = await work.bundle('ink-hello', { source: HELLO });
  const sim = await startSimulator({ nodes: 3, guests: 40, seed: 5, unauthorizedDelayMs: 0 });
  const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-bench-start-'));
  const env = childEnv({
    PROXMOX_VE_ENDPOINT: sim.url,
    PROXMOX_VE_API_TOKEN: sim.token,
    PVETASKS_STATE_DIR: stateDir,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
  });
  const binaryRuns: number[] = [];
  const helloRuns: number[] = [];
  try {
    // One of each first, untimed: the file cache is warm for both.
    await timeToFirstFrame([process.execPath, BINARY], env, '[Tasks');
    await timeToFirstFrame([process.execPath, hello], env, 'hello from ink');
    for (let i = 0; i < runs; i++) {
      binaryRuns.push(await timeToFirstFrame([process.execPath, BINARY], env, '[Tasks'));
      helloRuns.push(await timeToFirstFrame([process.execPath, hello], env, 'hello from ink'));
      await sleep(100);
    }
  } finally {
    await sim.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
  progress(
    `startup runs (ms): pvetasks ${binaryRuns.map((ms) => round(ms, 0)).join(' ')}; ink hello ${helloRuns.map((ms) => round(ms, 0)).join(' ')}`,
  );
  return { binaryMs: median(binaryRuns), helloMs: median(helloRuns), binaryRuns, helloRuns };
}

const OUTCOMES: Array<[string, 'ok' | 'warnings' | 'failed']> = [
  ['OK', 'ok'],
  ['OK', 'ok'],
  ['WARNINGS: 1', 'warnings'],
  ['OK', 'ok'],
  ["command 'qm start' failed: exit code 1", 'failed'],
];

/**
 * Writes a session of `tasks` rows of ours for the binary to restore: the simulator's running tasks,
 * then ended ones going back in time (as a long day of launches leaves them).
 */
async function writeSession(sim: Simulator, stateDir: string, tasks: number): Promise<void> {
  const client = createPveClient({ endpoint: sim.url, token: sim.token });
  const cluster = await clusterName(client, sim.url, systemClock);
  const user = client.userid;
  await client.close();
  const now = Date.now();
  const store = createTaskStore();
  const running = sim.control.tasks({ running: true });
  store.getState().update((tx) => {
    for (const task of running) tx.add({ upid: task.upid, mine: true, firstSeenAt: task.startedAt, deadline: now + 24 * 3600_000 });
    for (let i = 0; i < tasks - running.length; i++) {
      const start = now - 30 * 60_000 - i * 9_000;
      const upid = formatUpid({
        node: `pve${(i % 4) + 1}`,
        pid: 20_000 + i,
        pstart: 9_000_000 + i,
        starttime: Math.floor(start / 1000),
        type: TYPES[i % TYPES.length]!,
        id: String(100 + (i % 60)),
        user,
      });
      const key = tx.add({ upid, mine: true, firstSeenAt: start, deadline: start + 3600_000 });
      const [exitStatus, outcome] = OUTCOMES[i % OUTCOMES.length]!;
      tx.finish(key, outcome, { exitStatus, endedAt: start + 5_000 + (i % 50) * 1000 });
    }
  });
  const session = openSession({ stateDir, cluster, user, maxRows: tasks });
  session.attach(store);
  await session.close();
}

export interface BinaryRssResult {
  peakMb: number;
  medianMb: number;
  minMb: number;
  samples: number;
}

/**
 * The binary's resident memory with `tasks` tasks in its registry: a session of that many rows of
 * ours (200 of them running on the simulator) restored at start, the board drawn at 120x40 in tmux
 * and polling. After the warm-up, /proc/<pid>/status is read every 250 ms for `windowMs`.
 */
export async function binaryRss(options: { tasks: number; windowMs: number; warmupMs: number }): Promise<BinaryRssResult> {
  const sim = await busyCluster(200, 61_000, 29 * 60_000);
  const board = new TmuxBoard(sim, 120, 40);
  try {
    await writeSession(sim, board.stateDir, options.tasks);
    board.start();
    await board.waitFor(
      `the board with ${options.tasks} tasks of ours`,
      (screen) => screen.includes('[Tasks: mine]') && screen.includes(`${options.tasks} tasks`) && screen.includes('running 200 '),
      60_000,
    );
    await sleep(options.warmupMs);
    const pid = board.pid();
    const samples: number[] = [];
    const started = performance.now();
    while (performance.now() - started < options.windowMs) {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) samples.push(Number(match[1]) / 1024);
      await sleep(250);
    }
    if (!board.screen().includes(`${options.tasks} tasks`)) throw new Error('the registry changed size during the measurement');
    return { peakMb: Math.max(...samples), medianMb: median(samples), minMb: Math.min(...samples), samples: samples.length };
  } finally {
    board.close();
    await sim.close();
  }
}
