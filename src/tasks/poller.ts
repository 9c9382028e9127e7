/**
 * The poller keeps the registry current at a cost per cycle of about one request per node, not one per
 * task (DESIGN.md "Polling and sessions"):
 *
 * - each node with watched running tasks is asked for its active list (explicit `limit`, `total`
 *   checked), unless `/cluster/tasks`, read anyway in the cluster scope, already showed them all
 *   (still, each such node is asked itself every 10 s: a node that is down stays listed there);
 * - `/status` only for watched tasks that are missing from their node's active list (they ended, or
 *   were never seen running);
 * - nodes are polled in parallel and a node still busy from an earlier cycle is skipped, so one slow
 *   node delays nobody else (a slow `/cluster/tasks` neither); a failing node backs off
 *   exponentially, its rows carry the error, and it is asked until it answers again;
 * - `/cluster/resources` every 10 s (every cycle while a post-check waits for a guest to run);
 * - the task in focus gets its status and an incremental log tail every second.
 *
 * One loop, never overlapping: the next cycle starts after the interval plus twice the last cycle's
 * duration (at most 30 s more), as the PVE web UI schedules its polls, except after the client moved
 * to another endpoint. `pollOnce()` runs one full cycle (tests).
 */
import { PveApiError, type PveClient } from '../api/index.js';
import type { Clock } from '../util/clock.js';
import { classifyExitStatus } from './exit-status.js';
import { parseBackupResults } from './backup-log.js';
import { readGuests } from './guests.js';
import { parseTaskProgress } from './progress.js';
import { isNoSuchTask } from './wait.js';
import {
  isFinal,
  type FinalOutcome,
  type PollError,
  type PostCheck,
  type Scope,
  type TaskRow,
  type TaskStore,
  type TaskTransaction,
} from './store.js';

export interface PollerOptions {
  client: PveClient;
  store: TaskStore;
  clock: Clock;
  intervalMs: number;
  /** `cluster`: read /cluster/tasks every cycle and let other users' tasks join the registry. */
  scope: Scope;
  /** Keep polling timed-out tasks to record their late outcome (the board); commands stop (false). */
  watchAfterTimeout: boolean;
  /** Guest names and states: refresh period, 0 for never. Default 10 s. */
  resourcesEveryMs?: number;
  /** Detail view cadence. Default 1 s. */
  focusEveryMs?: number;
  /** Per-request timeout for polls. Default: the client's. */
  requestTimeoutMs?: number;
  /** Cap on backoff for a failing node. Default 60 s. */
  maxBackoffMs?: number;
}

/** Rows of other users kept in the cluster scope; the oldest finished go first. */
const MAX_FOREIGN_ROWS = 2000;
/** Active-list page size: PVE's default is 50, which a busy node exceeds. */
const ACTIVE_PAGE = 500;
/** Log lines fetched per tail request. */
const LOG_PAGE = 500;
/** Lines of the focused log kept in memory. */
const LOG_KEEP = 2000;

/** Task types whose logs carry progress: their mine rows get an occasional tail even out of focus. */
const PROGRESS_TYPES = new Set(['vzdump', 'qmigrate', 'qmclone', 'qmmove', 'vzmigrate', 'imgcopy', 'qmrestore']);
const PROGRESS_EVERY_CYCLES = 5;
const PROGRESS_ROWS_PER_CYCLE = 4;

interface NodeState {
  busy: boolean;
  failures: number;
  retryAt: number;
  /** When the node was last asked for its own task list. */
  askedAt: number;
  error?: PollError;
}

/**
 * /cluster/tasks is each node's last broadcast: a node that went down keeps its tasks listed as
 * running there. So even in the cluster scope each node with watched running tasks is asked itself
 * this often (and every cycle while it fails), which is how an outage shows up, named and dated.
 */
const NODE_CHECK_MS = 10_000;
/** The web UI's pacing (interval + twice the last cycle) never adds more than this. */
const MAX_PACING_MS = 30_000;

type ClusterTaskItem = {
  upid: string;
  node?: string;
  pid?: number;
  status?: string;
  endtime?: number;
  user?: string;
  tokenid?: string;
};
type ActiveItem = { upid: string; status?: string; endtime?: number };

export class Poller {
  private readonly nodeStates = new Map<string, NodeState>();
  private readonly logCursor = new Map<string, number>();
  private readonly resourcesEveryMs: number;
  private readonly focusEveryMs: number;
  private readonly maxBackoffMs: number;
  private lastResourcesAt = -Infinity;
  private cycle = 0;
  private running = false;
  private loopAbort?: AbortController;
  /** Wakes each loop's current pause: the main loop's and the focus loop's, each its own. */
  private readonly wakers = { main: undefined as (() => void) | undefined, focus: undefined as (() => void) | undefined };
  private loops: Promise<void>[] = [];
  private focusKey?: string;
  /** A /cluster/tasks request is in flight (a slow one spans cycles). */
  private clusterBusy = false;

  constructor(private readonly options: PollerOptions) {
    this.resourcesEveryMs = options.resourcesEveryMs ?? 10_000;
    this.focusEveryMs = options.focusEveryMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
  }

  private get store() {
    return this.options.store;
  }

  /** Starts the polling loop and the focus loop; idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopAbort = new AbortController();
    this.loops = [this.mainLoop(this.loopAbort.signal), this.focusLoop(this.loopAbort.signal)];
  }

  /** Stops both loops and waits for them. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.loopAbort?.abort();
    await Promise.allSettled(this.loops);
  }

  setPaused(paused: boolean): void {
    this.store.getState().update((tx) => tx.setPoll({ paused }));
    if (!paused) this.wakeAll();
  }

  /** Polls now instead of at the next interval. */
  refreshNow(): void {
    this.lastResourcesAt = -Infinity;
    for (const state of this.nodeStates.values()) state.retryAt = 0;
    this.wakeAll();
  }

  /** The task in the detail view: followed every second; undefined to stop. */
  focus(key: string | undefined): void {
    if (key === this.focusKey) return;
    this.focusKey = key;
    this.store.getState().update((tx) => tx.setFocusLog(key ? { key, lines: [], read: 0 } : undefined));
    if (key) this.wakers.focus?.();
  }

  private async mainLoop(signal: AbortSignal): Promise<void> {
    const { clock, intervalMs } = this.options;
    while (!signal.aborted) {
      const started = clock.now();
      const endpoint = this.options.client.endpoint;
      if (!this.store.getState().poll.paused) {
        await this.pollOnce({ waitForSlowNodes: false, signal }).catch(() => {});
      }
      // Like the PVE web UI: a slow cycle spaces the next one out (bounded). Not when the cycle was
      // slow because our endpoint stopped answering and the client moved to the next one.
      const took = this.options.client.endpoint === endpoint ? clock.now() - started : 0;
      await this.pause('main', intervalMs + Math.min(2 * took, MAX_PACING_MS), signal);
    }
  }

  private async focusLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (this.focusKey && !this.store.getState().poll.paused) {
        await this.pollFocus(signal).catch(() => {});
      }
      // Nothing in focus: sleep until focus() wakes this loop, rather than waking every second for nothing.
      await this.pause('focus', this.focusKey ? this.focusEveryMs : undefined, signal);
    }
  }

  private wakeAll(): void {
    this.wakers.main?.();
    this.wakers.focus?.();
  }

  /** Sleeps until `ms` passed (undefined: no time limit) or someone wakes this loop (refreshNow, focus, resume). */
  private async pause(loop: 'main' | 'focus', ms: number | undefined, signal: AbortSignal): Promise<void> {
    // Stopped during the cycle: its abort event has fired already and would never wake this sleep.
    if (signal.aborted) return;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.wakers[loop] = () => controller.abort();
    try {
      if (ms === undefined) await new Promise((resolve) => controller.signal.addEventListener('abort', resolve, { once: true }));
      else await this.options.clock.sleep(ms, controller.signal);
    } catch {
      // woken early
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.wakers[loop] = undefined;
    }
  }

  /**
   * One cycle. With `waitForSlowNodes` (the default, for tests and commands) it returns when every
   * request of the cycle has answered; the loop instead moves on after one interval and lets a slow
   * node's answer land whenever it comes.
   */
  async pollOnce({ waitForSlowNodes = true, signal }: { waitForSlowNodes?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const { clock } = this.options;
    this.cycle++;
    const now = clock.now();
    this.applyDeadlines(now);

    const work: Promise<void>[] = [];
    let covered = new Set<string>();
    if (this.options.scope === 'cluster' && !this.clusterBusy) {
      const listing = this.pollClusterTasks(signal);
      if (waitForSlowNodes) covered = await listing;
      else {
        // A listing slower than the interval lands later; meanwhile the nodes are asked themselves.
        const budget = new AbortController();
        const answer = await Promise.race([listing, clock.sleep(this.options.intervalMs, budget.signal).then(noAnswer, noAnswer)]);
        budget.abort();
        if (answer) covered = answer;
      }
    }
    const watched = this.watchedByNode();
    // A node that failed is asked until it answers, tasks to watch there or not: otherwise the board
    // would show its outage long after it was over.
    for (const [node, state] of this.nodeStates) if (state.error && !watched.has(node)) watched.set(node, []);
    for (const [node, rows] of watched) {
      const state = this.nodeState(node);
      if (state.busy || state.retryAt > clock.now()) continue;
      const check = state.error !== undefined || clock.now() - state.askedAt >= NODE_CHECK_MS;
      const pending = check ? rows : rows.filter((row) => !covered.has(row.key));
      if (pending.length === 0 && !check) continue;
      work.push(this.pollNode(node, pending, signal));
    }
    if (this.resourcesDue(now)) work.push(this.pollResources(signal));
    if (this.cycle % PROGRESS_EVERY_CYCLES === 0) work.push(this.pollProgress(signal));

    const all = Promise.allSettled(work);
    if (waitForSlowNodes) await all;
    else {
      const budget = new AbortController();
      await Promise.race([all, clock.sleep(this.options.intervalMs, budget.signal).catch(() => {})]);
      budget.abort();
    }
    await this.runPostChecks(signal);
    this.store.getState().update((tx) => tx.setPoll({ cycles: this.cycle }));
  }

  /** Rows whose task we still follow, by node. */
  private watchedByNode(): Map<string, TaskRow[]> {
    const byNode = new Map<string, TaskRow[]>();
    for (const row of Object.values(this.store.getState().rows)) {
      if (!this.isWatched(row)) continue;
      const list = byNode.get(row.node);
      if (list) list.push(row);
      else byNode.set(row.node, [row]);
    }
    return byNode;
  }

  private isWatched(row: TaskRow): boolean {
    if (!row.upid) return false;
    if (row.state === 'running') return row.exitStatus === undefined; // else: a post-check is pending
    return row.state === 'timeout' && this.options.watchAfterTimeout && row.lateOutcome === undefined;
  }

  private applyDeadlines(now: number): void {
    const overdue = Object.values(this.store.getState().rows).filter(
      (row) => row.mine && row.state === 'running' && row.deadline !== undefined && row.deadline <= now,
    );
    if (overdue.length === 0) return;
    this.store.getState().update((tx) => {
      for (const row of overdue) tx.timeOut(row.key);
    });
  }

  private nodeState(node: string): NodeState {
    let state = this.nodeStates.get(node);
    if (!state) {
      state = { busy: false, failures: 0, retryAt: 0, askedAt: -Infinity };
      this.nodeStates.set(node, state);
    }
    return state;
  }

  private requestInit(signal?: AbortSignal) {
    const init: { signal?: AbortSignal; timeoutMs?: number } = {};
    if (signal) init.signal = signal;
    if (this.options.requestTimeoutMs) init.timeoutMs = this.options.requestTimeoutMs;
    return init;
  }

  /**
   * Reads /cluster/tasks: other users' tasks join the registry, and watched tasks seen there (running
   * with a pid, or finished with a status) need no per-node request this cycle.
   */
  private async pollClusterTasks(signal?: AbortSignal): Promise<Set<string>> {
    const covered = new Set<string>();
    let items: ClusterTaskItem[];
    this.clusterBusy = true;
    try {
      const response = await this.options.client.GET('/cluster/tasks', this.requestInit(signal));
      items = response.data as ClusterTaskItem[];
    } catch {
      return covered; // per-node polling still runs; node errors are recorded there
    } finally {
      this.clusterBusy = false;
    }
    const now = this.options.clock.now();
    this.store.getState().update((tx) => {
      for (const item of items) {
        let key = tx.keyOf(item.upid);
        const running = item.pid !== undefined && item.status === undefined;
        if (!key) {
          key = this.adoptForeign(tx, item.upid, now);
          if (!key) continue;
        }
        const row = tx.row(key)!;
        if (running) {
          if (row.state === 'running' || row.state === 'timeout') covered.add(key);
          continue;
        }
        if (item.status !== undefined) {
          this.applyEnd(tx, row, item.status, item.endtime ? item.endtime * 1000 : now);
          covered.add(key);
        }
      }
      this.trimForeign(tx);
      this.nameRows(tx);
      this.markReachable(tx, now);
    });
    return covered;
  }

  /** Adds another user's (or an earlier session's) task seen in /cluster/tasks. */
  private adoptForeign(tx: TaskTransaction, upid: string, now: number): string | undefined {
    try {
      return tx.add({ upid, mine: false, firstSeenAt: now });
    } catch {
      return undefined; // not a UPID we can read; ignore it rather than break the cycle
    }
  }

  private trimForeign(tx: TaskTransaction): void {
    const foreign = Object.values(tx.rows).filter((row) => !row.mine && isFinal(row.state));
    if (foreign.length <= MAX_FOREIGN_ROWS) return;
    foreign.sort((a, b) => (a.endedAt ?? a.firstSeenAt) - (b.endedAt ?? b.firstSeenAt));
    for (const row of foreign.slice(0, foreign.length - MAX_FOREIGN_ROWS)) tx.remove(row.key);
  }

  /** One node: its active list, then /status for the watched tasks missing from it. */
  private async pollNode(node: string, rows: TaskRow[], signal?: AbortSignal): Promise<void> {
    const state = this.nodeState(node);
    state.busy = true;
    const { client, clock } = this.options;
    state.askedAt = clock.now();
    try {
      const active = new Map<string, ActiveItem>();
      for (let start = 0; ; start += ACTIVE_PAGE) {
        const response = await client.GET('/nodes/{node}/tasks', {
          params: { path: { node }, query: { source: 'active', start, limit: ACTIVE_PAGE } },
          ...this.requestInit(signal),
        });
        const page = response.data as ActiveItem[];
        for (const item of page) active.set(item.upid, item);
        const total = response.total ?? 0;
        if (page.length < ACTIVE_PAGE || start + page.length >= total) break;
      }
      const now = clock.now();
      const missing: TaskRow[] = [];
      this.store.getState().update((tx) => {
        for (const row of rows) {
          const item = active.get(row.upid!);
          if (!item) missing.push(row);
          else if (item.status && item.status !== 'RUNNING') {
            this.applyEnd(tx, row, item.status, item.endtime ? item.endtime * 1000 : now);
          } else if (row.pollError) tx.patch(row.key, { pollError: undefined });
        }
        this.markNodeHealthy(tx, node, state, now);
      });
      // Sequential on purpose: a node has three API workers, and these are few (tasks that just ended).
      for (const row of missing) await this.readStatus(row, signal);
    } catch (error) {
      if (!isAbort(error)) this.markNodeFailed(node, state, error);
    } finally {
      state.busy = false;
    }
  }

  /** /status of one task that left the active list (or was never in it). */
  private async readStatus(row: TaskRow, signal?: AbortSignal): Promise<void> {
    const { client, clock } = this.options;
    try {
      const response = await client.GET('/nodes/{node}/tasks/{upid}/status', {
        params: { path: { node: row.node, upid: row.upid! } },
        ...this.requestInit(signal),
      });
      const status = response.data as { status: string; exitstatus?: string };
      if (status.status !== 'stopped') return;
      this.store.getState().update((tx) => {
        const current = tx.row(row.key);
        if (current) this.applyEnd(tx, current, status.exitstatus ?? 'unexpected status', clock.now());
      });
    } catch (error) {
      if (isNoSuchTask(error)) {
        // PVE does not know this task on its node: a final `unknown`.
        this.store.getState().update((tx) => {
          const current = tx.row(row.key);
          if (current) tx.finish(current.key, 'unknown', { message: 'no such task on its node', endedAt: clock.now() });
        });
        return;
      }
      throw error;
    }
  }

  /** PVE says the task ended with `exitStatus`: finish the row, or hold it for its post-check. */
  private applyEnd(tx: TaskTransaction, row: TaskRow, exitStatus: string, endedAt: number): void {
    if (isFinal(row.state) && row.state !== 'timeout') return;
    if (row.state === 'timeout' && row.lateOutcome !== undefined) return;
    const outcome: FinalOutcome = classifyExitStatus(exitStatus);
    const succeeded = outcome === 'ok' || outcome === 'warnings';
    if (row.postCheck && row.state === 'running' && (succeeded || row.postCheck.kind === 'backup-guests')) {
      // Stays running with its exit status noted; runPostChecks decides.
      tx.patch(row.key, { exitStatus, endedAt, pollError: undefined });
      return;
    }
    tx.finish(row.key, outcome, { exitStatus, endedAt });
  }

  private markNodeHealthy(tx: TaskTransaction, node: string, state: NodeState, now: number): void {
    state.failures = 0;
    state.retryAt = 0;
    state.error = undefined;
    tx.setNode(node, { online: true });
    for (const row of Object.values(tx.rows)) {
      if (row.node === node && row.pollError) tx.patch(row.key, { pollError: undefined });
    }
    tx.setPoll({ lastSuccessAt: now });
  }

  private markReachable(tx: TaskTransaction, now: number): void {
    tx.setPoll({ lastSuccessAt: now });
  }

  private markNodeFailed(node: string, state: NodeState, error: unknown): void {
    const { clock, intervalMs } = this.options;
    const now = clock.now();
    state.failures++;
    state.retryAt = now + Math.min(this.maxBackoffMs, intervalMs * 2 ** (state.failures - 1)) - intervalMs;
    const message = shortError(error);
    state.error = { message, since: state.error?.since ?? now };
    const pollError = state.error;
    this.store.getState().update((tx) => {
      tx.setNode(node, { online: false, error: pollError });
      for (const row of Object.values(tx.rows)) {
        if (row.node === node && this.isWatched(row)) tx.patch(row.key, { pollError });
      }
    });
  }

  private resourcesDue(now: number): boolean {
    if (this.resourcesEveryMs <= 0) return false;
    const waitingForGuest = this.postCheckRows().some((row) => row.postCheck!.kind === 'guest-running');
    return waitingForGuest || now - this.lastResourcesAt >= this.resourcesEveryMs;
  }

  /** Guest names and states for the Guests view and the rows; then the post-checks that need them. */
  private async pollResources(signal?: AbortSignal): Promise<void> {
    const { client, clock } = this.options;
    try {
      const guests = await readGuests(client, this.requestInit(signal));
      this.lastResourcesAt = clock.now();
      this.store.getState().update((tx) => {
        tx.setGuests(guests);
        this.nameRows(tx);
      });
    } catch {
      // names are cosmetic; the node errors come from the task polls
    }
  }

  /** Puts guest names on the rows. */
  private nameRows(tx: TaskTransaction): void {
    const { guests } = this.store.getState();
    for (const row of Object.values(tx.rows)) {
      const names = row.vmids
        .map((vmid) => guests[vmid]?.name)
        .filter(Boolean)
        .join(', ');
      if (names && names !== row.guestName) tx.patch(row.key, { guestName: names });
    }
  }

  /** Rows whose task ended and that wait for a post-check. */
  private postCheckRows(): TaskRow[] {
    return Object.values(this.store.getState().rows).filter(
      (row) => row.state === 'running' && row.exitStatus !== undefined && row.postCheck,
    );
  }

  /**
   * HA starts count once the guest runs; snapshots once they are in the list; a multi-guest backup
   * gets its per-guest results from its log. A check that cannot be read is tried again next cycle.
   */
  private async runPostChecks(signal?: AbortSignal): Promise<void> {
    const { clock } = this.options;
    for (const row of this.postCheckRows()) {
      const check = row.postCheck!;
      const outcome = classifyExitStatus(row.exitStatus);
      const ended = { exitStatus: row.exitStatus, ...(row.endedAt !== undefined ? { endedAt: row.endedAt } : {}) };
      try {
        if (check.kind === 'guest-running') {
          // The guests list is refreshed every cycle while such a check waits (resourcesDue).
          // It ended when the guest was seen running, not when the HA request did.
          if (this.store.getState().guests[check.vmid]?.status === 'running') {
            this.store.getState().update((tx) => tx.finish(row.key, outcome, { ...ended, endedAt: clock.now() }));
          }
        } else if (check.kind === 'snapshot-exists') {
          const names = await this.snapshotNames(check, signal);
          this.store.getState().update((tx) => {
            if (names.includes(check.snapname)) tx.finish(row.key, outcome, ended);
            else {
              tx.finish(row.key, 'failed', {
                ...ended,
                message: `task ended ${row.exitStatus}, but snapshot '${check.snapname}' is not in the snapshot list of ${check.vmid}`,
                endedAt: row.endedAt ?? clock.now(),
              });
            }
          });
        } else {
          const lines = await this.wholeLog(row, signal);
          const guestResults = parseBackupResults(lines, row.vmids, outcome);
          this.store.getState().update((tx) => tx.finish(row.key, outcome, { ...ended, guestResults }));
        }
      } catch {
        // try again next cycle; the deadline still applies
      }
    }
  }

  private async snapshotNames(check: Extract<PostCheck, { kind: 'snapshot-exists' }>, signal?: AbortSignal): Promise<string[]> {
    const { client } = this.options;
    const init = { params: { path: { node: check.node, vmid: check.vmid } }, ...this.requestInit(signal) };
    const response =
      check.guestType === 'qemu'
        ? await client.GET('/nodes/{node}/qemu/{vmid}/snapshot', init)
        : await client.GET('/nodes/{node}/lxc/{vmid}/snapshot', init);
    return (response.data as Array<{ name: string }>).map((snapshot) => snapshot.name);
  }

  private async wholeLog(row: TaskRow, signal?: AbortSignal): Promise<string[]> {
    const response = await this.options.client.GET('/nodes/{node}/tasks/{upid}/log', {
      params: { path: { node: row.node, upid: row.upid! }, query: { limit: 0 } },
      ...this.requestInit(signal),
    });
    return (response.data as Array<{ t: string }>).map((line) => line.t);
  }

  /** An occasional log tail for mine rows whose task type prints progress. */
  private async pollProgress(signal?: AbortSignal): Promise<void> {
    const rows = Object.values(this.store.getState().rows)
      .filter((row) => row.mine && row.state === 'running' && row.upid && PROGRESS_TYPES.has(row.type) && row.key !== this.focusKey)
      .slice(0, PROGRESS_ROWS_PER_CYCLE);
    for (const row of rows) {
      try {
        await this.readLogTail(row, false, signal);
      } catch {
        // progress is best effort
      }
    }
  }

  private async pollFocus(signal: AbortSignal): Promise<void> {
    const key = this.focusKey;
    const row = key ? this.store.getState().rows[key] : undefined;
    if (!row?.upid) return;
    if (this.isWatched(row)) {
      await this.readStatus(row, signal).catch(() => {});
    }
    await this.readLogTail(this.store.getState().rows[row.key] ?? row, true, signal);
  }

  /**
   * Reads new log lines from `start` = lines already read. For the focused row they are kept for the
   * detail view; for others only the progress they carry is kept.
   */
  private async readLogTail(row: TaskRow, focused: boolean, signal?: AbortSignal): Promise<void> {
    const { client } = this.options;
    const read = this.logCursor.get(row.key) ?? 0;
    const response = await client.GET('/nodes/{node}/tasks/{upid}/log', {
      params: { path: { node: row.node, upid: row.upid! }, query: { start: read, limit: LOG_PAGE } },
      ...this.requestInit(signal),
    });
    const lines = (response.data as Array<{ n: number; t: string }>).map((line) => line.t);
    const total = response.total ?? read + lines.length;
    // PVE answers a log it cannot open with one pseudo-line; do not treat that as content.
    if (total === 1 && lines.length === 1 && /^(unable to open file|no content)/.test(lines[0]!)) return;
    const nowRead = read + lines.length;
    this.logCursor.set(row.key, nowRead);
    const progress = parseTaskProgress(lines);
    this.store.getState().update((tx) => {
      if (progress.percent !== undefined || progress.bytesDone !== undefined) tx.patch(row.key, { progress });
      if (!focused || this.focusKey !== row.key) return;
      const previous = this.store.getState().focusLog;
      const kept = previous?.key === row.key ? previous.lines : [];
      const merged = lines.length > 0 ? [...kept, ...lines].slice(-LOG_KEEP) : kept;
      tx.setFocusLog({ key: row.key, lines: merged, read: nowRead });
    });
  }
}

const noAnswer = (): undefined => undefined;

function isAbort(error: unknown): boolean {
  return (error instanceof PveApiError && error.kind === 'aborted') || (error as Error)?.name === 'AbortError';
}

/**
 * What went wrong, first: it is clipped to the header's width, so no `GET /nodes/.../status: ` in
 * front of it (the node is named beside it anyway).
 */
function shortError(error: unknown): string {
  if (error instanceof PveApiError) {
    if (error.status) return `${error.status} ${error.reason || error.message}`.trim();
    if (error.kind === 'timeout') return 'no answer (timeout)';
    if (error.kind === 'protocol') return 'an answer that is not PVE JSON';
    if (error.kind === 'connection') {
      if (error.reason === 'ECONNREFUSED') return 'connection refused';
      if (['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'].includes(error.reason))
        return `connection cut before the answer (${error.reason})`;
    }
    const request = `${error.method} ${error.path}: `;
    return error.message.startsWith(request) ? error.message.slice(request.length) : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** A poller with the defaults of DESIGN.md. */
export function createPoller(options: PollerOptions): Poller {
  return new Poller(options);
}
