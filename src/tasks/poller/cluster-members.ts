/**
 * Which nodes belong to the cluster (`/cluster/status`), to tell a node that is down from a node that
 * does not exist: PVE answers a request for an unknown node name with a 500 (`hostname lookup 'x'
 * failed`), and a UPID of such a node (a typo in a runbook) must end at once as `unknown`, not be
 * retried until its deadline as if the node were only away.
 */
import { PveApiError } from '../../api/index.js';
import { readClusterStatus } from '../answers.js';
import type { PollContext } from './context.js';

/** The member list is read again after this long, or when a failing node is not on it. */
const MEMBERS_MAX_AGE_MS = 60_000;

export class ClusterMembers {
  private nodes?: Set<string>;
  private readAt = -Infinity;

  constructor(private readonly ctx: PollContext) {}

  /**
   * True when `error`, met asking `node`, means the node is not in the cluster: PVE's 500 for a node
   * name it cannot resolve, and `/cluster/status` (read again to be sure) does not list it. Unsure
   * (the list cannot be read): false, and the node is retried like one that is down.
   */
  async isUnknownNode(node: string, error: unknown, signal?: AbortSignal): Promise<boolean> {
    if (!(error instanceof PveApiError) || error.kind !== 'http' || error.status !== 500) return false;
    if (this.nodes?.has(node) && this.ctx.clock.now() - this.readAt < MEMBERS_MAX_AGE_MS) return false;
    try {
      const status = await readClusterStatus(this.ctx.client, this.ctx.requestInit(signal));
      this.ctx.malformed('/cluster/status', status.malformed);
      if (status.nodes.length === 0) return false;
      this.nodes = new Set(status.nodes);
      this.readAt = this.ctx.clock.now();
    } catch {
      return false;
    }
    return !this.nodes.has(node);
  }
}
