/**
 * The real binary (dist/pvetasks.mjs) on a real terminal: idle CPU and memory (in tmux, against a
 * simulator running in this process in real time), start-up time to the first frame (in `script`'s
 * pseudo-terminal, next to a bare bundled Ink "hello"), and `--version` next to `node -e 0`. The
 * children never see a CI variable: Ink would draw only the last frame.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
import { buildBundle, bundleIsStale } from '../helpers/bundle.js';
import type { Workdir } from './children.js';
import { BINARY, TYPES, TmuxBoard, busyCluster, shellQuote } from './tmux-board.js';
import { ROOT, childEnv, median, progress, round, sleep } from './util.js';

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
export async function writeSession(sim: Simulator, stateDir: string, tasks: number): Promise<void> {
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

/**
 * The baseline binary: the same sources bundled with Ink's way of writing (every changed line
 * rewritten whole, test/bench/line-output.ts) in place of the output stage.
 */
export function baselineBinary(work: Workdir): Promise<string> {
  return work.bundle(
    'pvetasks-baseline',
    { file: `${ROOT}/src/cli/main.ts` },
    { [`${ROOT}/src/ui/ink-output.ts`]: `${ROOT}/test/bench/line-output.ts` },
  );
}

export interface VersionResult {
  ratio: number;
  binaryMs: number;
  nodeMs: number;
}

/** Wall time of one run of `node args...` to its exit, in ms. */
function timeRun(args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

/** `pvetasks --version` next to `node -e 0`, one of each in turn, `runs` times after one untimed pair: medians. */
export function versionRatio(runs: number, binary = BINARY): VersionResult {
  const env = childEnv();
  const version = spawnSync(process.execPath, [binary, '--version'], { env, encoding: 'utf8' }).stdout.trim();
  if (!/^\d+\.\d+\.\d+/.test(version)) throw new Error(`pvetasks --version printed ${JSON.stringify(version)}`);
  timeRun([binary, '--version'], env);
  timeRun(['-e', '0'], env);
  const binaryRuns: number[] = [];
  const nodeRuns: number[] = [];
  for (let i = 0; i < runs; i++) {
    binaryRuns.push(timeRun([binary, '--version'], env));
    nodeRuns.push(timeRun(['-e', '0'], env));
  }
  progress(
    `--version runs (ms): pvetasks ${binaryRuns.map((ms) => round(ms, 0)).join(' ')}; node -e 0 ${nodeRuns.map((ms) => round(ms, 0)).join(' ')}`,
  );
  const binaryMs = median(binaryRuns);
  const nodeMs = median(nodeRuns);
  return { ratio: binaryMs / nodeMs, binaryMs, nodeMs };
}
