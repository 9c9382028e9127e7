/**
 * Bytes to the terminal: the real binary in tmux at 120x40, against a simulator running in this
 * process in real time, through the three phases an operator lives through when watching a bulk job:
 *
 * - `bulk_start`: the first seconds (90 in the full run) after starting 200 guests from the board
 *   (Guests view, filter `stopped`, `*` marks them all, `s`, `y`): launches queue, start, end.
 * - `running`: 200 running tasks started 1 to 30 minutes ago, nothing ending: the quiet case.
 * - `ending`: 200 tasks (started 1 to 30 minutes ago) ending within one minute, in random order.
 *
 * Each phase runs on a fresh cluster and a fresh board; the figure is bytes per second over the window.
 */
import { performance } from 'node:perf_hooks';
import { BINARY, TmuxBoard, busyCluster, clusterWithStoppedGuests, residentMb } from './tmux-board.js';
import { sleep } from './util.js';

export interface TtyResult {
  bytesPerSecond: number;
  bytes: number;
  seconds: number;
  /** Bytes per second in each tenth of the window: where the bytes went. */
  profile: number[];
  /** The binary's resident memory at the end of the window. */
  rssMb: number;
}

/** Counts the pane's bytes for `windowMs`, sampling the count ten times along the way. */
async function measure(board: TmuxBoard, windowMs: number, during?: () => void): Promise<Omit<TtyResult, 'rssMb'>> {
  board.startCounting();
  during?.();
  const started = performance.now();
  const profile: number[] = [];
  let last = 0;
  for (let i = 1; i <= 10; i++) {
    await sleep(started + (windowMs * i) / 10 - performance.now());
    const now = board.counted();
    profile.push(Math.round((now - last) / (windowMs / 10000)));
    last = now;
  }
  const seconds = (performance.now() - started) / 1000;
  const bytes = await board.stopCounting();
  return { bytesPerSecond: bytes / seconds, bytes, seconds, profile };
}

export const BULK = 200;

/** Phase `bulk_start`: the board starts 200 stopped guests; bytes over the first `windowMs`. */
export async function bulkStartBytes(windowMs: number, binary = BINARY): Promise<TtyResult> {
  const sim = await clusterWithStoppedGuests(BULK);
  const board = new TmuxBoard(sim);
  try {
    board.start(binary);
    await board.waitFor('the board', (screen) => screen.includes('[Tasks: cluster]'));
    board.keys('Tab');
    await board.waitFor('the guests', (screen) => screen.includes('[Guests]'));
    board.type('/stopped');
    board.keys('Enter');
    await board.waitFor('the stopped guests', (screen) => screen.includes(`filter "stopped": ${BULK} of`));
    board.type('*');
    await board.waitFor(`${BULK} marks`, (screen) => screen.includes(`${BULK} marked`));
    board.type('s');
    await board.waitFor('the start dialog', (screen) => new RegExp(`Start ${BULK} guests on \\d nodes\\?`).test(screen));
    const result = await measure(board, windowMs, () => board.type('y'));
    const screen = board.screen();
    if (!screen.includes('[Tasks: mine]')) throw new Error(`the board did not show the launches:\n${screen}`);
    return { ...result, rssMb: residentMb(board.pid()) };
  } finally {
    board.close();
    await sim.close();
  }
}

/** Phase `running`: 200 running tasks started 1 to 30 minutes ago; after a warm-up, bytes over `windowMs`. */
export async function runningBytes(windowMs: number, warmupMs: number, binary = BINARY): Promise<TtyResult> {
  const sim = await busyCluster(BULK, 61_000, 29 * 60_000);
  const board = new TmuxBoard(sim);
  try {
    board.start(binary);
    await board.waitFor(`the board with ${BULK} running tasks`, (screen) => screen.includes(`running ${BULK} `));
    await sleep(warmupMs);
    const result = await measure(board, windowMs);
    if (!board.screen().includes(`running ${BULK} `)) throw new Error('the board no longer shows every task running');
    return { ...result, rssMb: residentMb(board.pid()) };
  } finally {
    board.close();
    await sim.close();
  }
}

const EXIT_STATUSES = ['OK', 'OK', 'OK', 'OK', 'OK', 'OK', 'WARNINGS: 1', 'OK', 'OK', "command 'qm start' failed: exit code 1"];

/**
 * Phase `ending`: 200 running tasks (started 1 to 30 minutes ago) end one every 300 ms, in a shuffled
 * order, from the start of the window: all within its first minute. Bytes over `windowMs`.
 */
export async function endingBytes(windowMs: number, warmupMs: number, binary = BINARY): Promise<TtyResult> {
  const sim = await busyCluster(BULK, 61_000, 29 * 60_000);
  const board = new TmuxBoard(sim);
  const upids = sim.control.tasks({ running: true }).map((task) => task.upid);
  let seed = 3;
  for (let i = upids.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [upids[i], upids[j]] = [upids[j]!, upids[i]!];
  }
  const timers: NodeJS.Timeout[] = [];
  try {
    board.start(binary);
    await board.waitFor(`the board with ${BULK} running tasks`, (screen) => screen.includes(`running ${BULK} `));
    await sleep(warmupMs);
    const spacing = 60_000 / BULK;
    const result = await measure(board, windowMs, () =>
      upids.forEach((upid, i) =>
        timers.push(setTimeout(() => sim.control.finishTask(upid, EXIT_STATUSES[i % EXIT_STATUSES.length]!), i * spacing)),
      ),
    );
    return { ...result, rssMb: residentMb(board.pid()) };
  } finally {
    timers.forEach(clearTimeout);
    board.close();
    await sim.close();
  }
}
