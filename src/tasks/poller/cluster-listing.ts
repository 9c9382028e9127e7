/**
 * The cluster scope's listing: every task the credentials may see joins the registry, and watched
 * tasks seen there (running, or finished with a status) need no request of their own this cycle.
 *
 * With Sys.Audit on `/` that is `/cluster/tasks` (every node's running tasks and newest finished ones,
 * as the nodes last broadcast them). Without it, `/cluster/tasks` shows an API token none of its own
 * tasks (pve-manager PVE/API2/Cluster.pm compares the split `user` with the full token id), so each
 * node's own task list is read instead, which shows a token its own tasks and a user theirs and their
 * tokens': one request per node per cycle. What the credentials may do is read from
 * `/access/permissions` at the first cycle and again on refresh.
 */
import { isAbort, type PollContext } from './context.js';
import { readClusterTasks, readNodes, readNodeTasks, readPermissions } from '../answers.js';
import { seesClusterTasks } from '../privileges.js';
import type { TaskTransaction } from '../store.js';
import type { NodeHealth } from './node-health.js';
import { adoptForeign, applyEnd, nameRows, trimForeign } from './row-updates.js';

/** Entries read from each node's list: its running tasks come first, then the newest finished. */
const NODE_LIST_PAGE = 100;
/** The node list (for per-node listings) is read again after this long. */
const NODES_MAX_AGE_MS = 60_000;

interface Entry {
  upid: string;
  running: boolean;
  status?: string;
  endtime?: number;
}

export class ClusterListing {
  private accessDue = true;
  private nodes: string[] = [];
  private nodesReadAt = -Infinity;

  constructor(
    private readonly ctx: PollContext,
    private readonly health: NodeHealth,
  ) {}

  /** Reads the privileges (and the node list) again at the next cycle. */
  refresh(): void {
    this.accessDue = true;
    this.nodesReadAt = -Infinity;
  }

  /** Reads the listing; returns the keys of the rows it covered. */
  async poll(signal?: AbortSignal): Promise<Set<string>> {
    if (this.accessDue) await this.readAccess(signal);
    const access = this.ctx.store.getState().access;
    if (!access || access.clusterTasks) return this.pollClusterTasks(signal);
    return this.pollNodeLists(signal);
  }

  private async readAccess(signal?: AbortSignal): Promise<void> {
    try {
      const permissions = await readPermissions(this.ctx.client, this.ctx.requestInit(signal));
      this.accessDue = false;
      if (permissions) this.ctx.store.getState().update((tx) => tx.setAccess({ permissions, clusterTasks: seesClusterTasks(permissions) }));
    } catch (error) {
      if (isAbort(error)) throw error;
      // Unknown (an old PVE, a failure): /cluster/tasks, and another look at the next refresh.
      this.accessDue = false;
    }
  }

  private async pollClusterTasks(signal?: AbortSignal): Promise<Set<string>> {
    const listing = await readClusterTasks(this.ctx.client, this.ctx.requestInit(signal));
    this.ctx.malformed('/cluster/tasks', listing.malformed);
    const now = this.ctx.clock.now();
    let covered = new Set<string>();
    this.ctx.store.getState().update((tx) => {
      covered = this.merge(tx, listing.items, now);
      tx.setPoll({ lastSuccessAt: now });
    });
    return covered;
  }

  /** Each online node's own list, in parallel; a node that fails is marked as failing like any. */
  private async pollNodeLists(signal?: AbortSignal): Promise<Set<string>> {
    const covered = new Set<string>();
    await Promise.all(
      (await this.nodeNames(signal)).map(async (node) => {
        const state = this.health.state(node);
        if (state.busy || state.retryAt > this.ctx.clock.now()) return;
        state.busy = true;
        state.askedAt = this.ctx.clock.now();
        try {
          const page = await readNodeTasks(this.ctx.client, node, { source: 'all', limit: NODE_LIST_PAGE }, this.ctx.requestInit(signal));
          this.ctx.malformed(`/nodes/${node}/tasks (all)`, page.malformed);
          const now = this.ctx.clock.now();
          this.ctx.store.getState().update((tx) => {
            for (const key of this.merge(tx, page.items, now)) covered.add(key);
            this.health.markHealthy(tx, node, now);
          });
        } catch (error) {
          if (!isAbort(error)) this.health.markFailed(node, error);
        } finally {
          state.busy = false;
        }
      }),
    );
    return covered;
  }

  /** The cluster's online nodes (`/nodes`, which any user may read), at most a minute old. */
  private async nodeNames(signal?: AbortSignal): Promise<string[]> {
    if (this.ctx.clock.now() - this.nodesReadAt < NODES_MAX_AGE_MS) return this.nodes;
    try {
      const nodes = await readNodes(this.ctx.client, this.ctx.requestInit(signal));
      this.ctx.malformed('/nodes', nodes.malformed);
      this.nodes = nodes.items.filter((node) => node.online).map((node) => node.node);
      this.nodesReadAt = this.ctx.clock.now();
    } catch (error) {
      if (isAbort(error)) throw error;
      // The last list stands; nodes with watched tasks are asked anyway.
    }
    return this.nodes;
  }

  /** Joins the entries into the registry; returns the keys of the rows they speak for. */
  private merge(tx: TaskTransaction, entries: readonly Entry[], now: number): Set<string> {
    const covered = new Set<string>();
    for (const item of entries) {
      const key = tx.keyOf(item.upid) ?? adoptForeign(tx, item.upid, now);
      const row = tx.row(key)!;
      if (item.running) {
        if (row.state === 'running' || row.state === 'timeout') covered.add(key);
        continue;
      }
      applyEnd(tx, row, item.status ?? 'unexpected status', item.endtime ? item.endtime * 1000 : now);
      covered.add(key);
    }
    trimForeign(tx);
    nameRows(tx, this.ctx.store.getState().guests);
    return covered;
  }
}
