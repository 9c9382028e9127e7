/**
 * The poller keeps the registry current at a cost per cycle of about one request per node, not one per
 * task (DESIGN.md "Polling and sessions"). Its parts, one idea each:
 *
 * - this file: the schedule. One main loop, never overlapping: the next cycle starts after the interval
 *   plus twice the last cycle's duration (at most 30 s more), as the PVE web UI schedules its polls,
 *   except after the client moved to another endpoint; and a focus loop for the detail view. Both
 *   sleep on the shared clock and are woken by refresh, resume and focus. `pollOnce()` runs one full
 *   cycle (tests, commands).
 * - cluster-listing.ts: in the cluster scope, `/cluster/tasks`, or each node's own list for credentials
 *   without Sys.Audit on `/` (which `/cluster/tasks` shows none of their own tasks);
 * - node-lists.ts: each node with watched running tasks (active list, archive, `/status`);
 * - node-health.ts: per-node backoff and outage bookkeeping;
 * - connection.ts: the endpoint in use, the last failover, an outage of the API itself (no endpoint
 *   answers: one banner, not one per node);
 * - cluster-members.ts: a node that is not in the cluster (its tasks end `unknown` at once);
 * - post-checks.ts: HA requests, power actions, migrations, snapshots, backup jobs after PVE says the task ended;
 * - resources.ts: guest names and states every 10 s;
 * - log-tail.ts: the focused task's log, and progress of our running tasks;
 * - row-updates.ts: how answers change rows.
 *
 * Nodes are polled in parallel and a node still busy from an earlier cycle is skipped, so one slow node
 * delays nobody else (a slow `/cluster/tasks` neither). No request is asked again while the last one of
 * its kind still runs: a slow or endless answer must not pile up one more request every cycle.
 */
import { createPollContext, type PollContext, type PollerOptions } from './context.js';
import { ClusterListing } from './cluster-listing.js';
import { LogTails, PROGRESS_EVERY_CYCLES } from './log-tail.js';
import { ClusterMembers } from './cluster-members.js';
import { ConnectionWatch } from './connection.js';
import { NodeHealth } from './node-health.js';
import { pollNode } from './node-lists.js';
import { isGuestCheck, postCheckRows, runPostChecks } from './post-checks.js';
import { pollResources } from './resources.js';
import { applyDeadlines } from './row-updates.js';
import { activeRowsOf, rowsOf, type TaskRow } from '../store.js';

export type { PollerOptions } from './context.js';

/**
 * /cluster/tasks is each node's last broadcast: a node that went down keeps its tasks listed as
 * running there. So even in the cluster scope each node with watched running tasks is asked itself
 * this often (and every cycle while it fails), which is how an outage shows up, named and dated.
 */
const NODE_CHECK_MS = 10_000;
/** The web UI's pacing (interval + twice the last cycle) never adds more than this. */
const MAX_PACING_MS = 30_000;

type Loop = 'main' | 'focus';

export class Poller {
  private readonly ctx: PollContext;
  private readonly health: NodeHealth;
  private readonly connection: ConnectionWatch;
  private readonly members: ClusterMembers;
  private readonly listing: ClusterListing;
  private readonly tails: LogTails;
  private readonly resourcesEveryMs: number;
  private readonly focusEveryMs: number;
  private lastResourcesAt = -Infinity;
  private cycle = 0;
  private running = false;
  private loopAbort?: AbortController;
  /** Wakes each loop's current pause: the main loop's and the focus loop's, each its own. */
  private readonly wakers: Record<Loop, (() => void) | undefined> = { main: undefined, focus: undefined };
  private loops: Promise<void>[] = [];
  /** A /cluster/tasks request is in flight (a slow one spans cycles). */
  private clusterBusy = false;
  /** A /cluster/resources request is in flight: a slow (or endless) one is not asked again every cycle. */
  private resourcesBusy = false;

  constructor(private readonly options: PollerOptions) {
    this.ctx = createPollContext(options);
    this.connection = new ConnectionWatch(this.ctx, () => this.recovered());
    this.health = new NodeHealth(this.ctx, this.connection);
    this.members = new ClusterMembers(this.ctx);
    this.listing = new ClusterListing(this.ctx, this.health);
    this.tails = new LogTails(this.ctx);
    this.resourcesEveryMs = options.resourcesEveryMs ?? 10_000;
    this.focusEveryMs = options.focusEveryMs ?? 1_000;
  }

  private get store() {
    return this.options.store;
  }

  /** Starts the polling loop and the focus loop; idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.connection.start();
    this.loopAbort = new AbortController();
    this.loops = [this.mainLoop(this.loopAbort.signal), this.focusLoop(this.loopAbort.signal)];
  }

  /** Stops both loops and waits for them. */
  async stop(): Promise<void> {
    this.connection.stop();
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
    this.health.retryAllNow();
    this.listing.refresh();
    this.wakeAll();
  }

  /** The API answers again after an outage: every node is asked at once, so no banner of it stays. */
  private recovered(): void {
    this.health.retryAllNow();
    this.wakeAll();
  }

  /** The task in the detail view: followed every second; undefined to stop. */
  focus(key: string | undefined): void {
    if (key === this.tails.focusKey) return;
    this.tails.focusKey = key;
    if (key) this.tails.refocus(key);
    this.store.getState().update((tx) => tx.setFocusLog(key ? { key, lines: [], read: 0 } : undefined));
    if (key) this.wakers.focus?.();
  }

  private async mainLoop(signal: AbortSignal): Promise<void> {
    const { clock, intervalMs, client } = this.options;
    while (!signal.aborted) {
      const started = clock.now();
      const endpoint = client.endpoint;
      if (!this.store.getState().poll.paused) {
        await this.pollOnce({ waitForSlowNodes: false, signal }).catch(() => {});
      }
      // Like the PVE web UI: a slow cycle spaces the next one out (bounded). Not when the cycle was
      // slow because our endpoint stopped answering and the client moved to the next one.
      const took = client.endpoint === endpoint ? clock.now() - started : 0;
      await this.pause('main', intervalMs + Math.min(2 * took, MAX_PACING_MS), signal);
    }
  }

  private async focusLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (this.tails.focusKey && !this.store.getState().poll.paused) {
        await this.tails.pollFocus(signal).catch(() => {});
      }
      // Nothing in focus: sleep until focus() wakes this loop, rather than waking every second for nothing.
      await this.pause('focus', this.tails.focusKey ? this.focusEveryMs : undefined, signal);
    }
  }

  private wakeAll(): void {
    this.wakers.main?.();
    this.wakers.focus?.();
  }

  /** Sleeps until `ms` passed (undefined: no time limit) or someone wakes this loop (refreshNow, focus, resume). */
  private async pause(loop: Loop, ms: number | undefined, signal: AbortSignal): Promise<void> {
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
    this.options.onCycle?.();
    applyDeadlines(this.store, now);

    const covered =
      this.options.scope === 'cluster' && !this.clusterBusy ? await this.listCluster(waitForSlowNodes, signal) : new Set<string>();
    const work: Promise<unknown>[] = [];
    const watched = this.watchedByNode();
    // A node that failed is asked until it answers, tasks to watch there or not: otherwise the board
    // would show its outage long after it was over.
    for (const node of this.health.failing()) if (!watched.has(node)) watched.set(node, []);
    for (const [node, rows] of watched) {
      const state = this.health.state(node);
      if (state.busy || state.retryAt > clock.now()) continue;
      const check = state.error !== undefined || clock.now() - state.askedAt >= NODE_CHECK_MS;
      const pending = check ? rows : rows.filter((row) => !covered.has(row.key));
      if (pending.length === 0 && !check) continue;
      work.push(pollNode(this.ctx, this.health, this.members, node, pending, signal));
    }
    if (this.resourcesDue(now)) {
      this.resourcesBusy = true;
      const refresh = pollResources(this.ctx, signal).then((ok) => ok && (this.lastResourcesAt = clock.now()));
      work.push(refresh.finally(() => (this.resourcesBusy = false)));
    }
    if (this.cycle % PROGRESS_EVERY_CYCLES === 0) work.push(this.tails.pollProgress(signal));

    await this.within(Promise.allSettled(work), waitForSlowNodes);
    await runPostChecks(this.ctx, signal);
    this.connection.cycleEnded(now);
    this.store.getState().update((tx) => tx.setPoll({ cycles: this.cycle }));
  }

  /** `/cluster/tasks`; a listing slower than the interval lands later while the nodes are asked themselves. */
  private async listCluster(waitForSlowNodes: boolean, signal?: AbortSignal): Promise<Set<string>> {
    this.clusterBusy = true;
    const listing = this.listing
      .poll(signal)
      .catch(() => new Set<string>()) // per-node polling still runs; node errors are recorded there
      .finally(() => (this.clusterBusy = false));
    return (await this.within(listing, waitForSlowNodes)) ?? new Set();
  }

  /** `work`'s result, or undefined once one interval passed (unless told to wait for it). */
  private async within<T>(work: Promise<T>, waitForSlowNodes: boolean): Promise<T | undefined> {
    if (waitForSlowNodes) return work;
    const budget = new AbortController();
    try {
      return await Promise.race([work, this.options.clock.sleep(this.options.intervalMs, budget.signal).then(noAnswer, noAnswer)]);
    } finally {
      budget.abort();
    }
  }

  /** Rows whose task we still follow, by node. */
  private watchedByNode(): Map<string, TaskRow[]> {
    const byNode = new Map<string, TaskRow[]>();
    const state = this.store.getState();
    // Running rows come first in the order; timed-out rows still watched are among the finished ones.
    const candidates = state.tallies.cluster.timeout > 0 ? rowsOf(state, 'cluster') : activeRowsOf(state, 'cluster');
    for (const row of candidates) {
      if (!this.ctx.isWatched(row)) continue;
      const list = byNode.get(row.node);
      if (list) list.push(row);
      else byNode.set(row.node, [row]);
    }
    return byNode;
  }

  private resourcesDue(now: number): boolean {
    if (this.resourcesEveryMs <= 0 || this.resourcesBusy) return false;
    const waitingForGuest = postCheckRows(this.ctx).some((row) => isGuestCheck(row.postCheck!));
    return waitingForGuest || now - this.lastResourcesAt >= this.resourcesEveryMs;
  }
}

const noAnswer = (): undefined => undefined;
