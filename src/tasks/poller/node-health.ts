/**
 * Which nodes answer: a node whose requests fail backs off (the one schedule of util/backoff), its
 * watched rows carry the error, and it is asked until it answers again, so its outage leaves the
 * header as soon as it is over. A request that got no answer while no endpoint answered anything is
 * not the node's failure but our connection's (connection.ts): it marks no node and no row.
 */
import { isConnectionError } from '../../api/index.js';
import { backoffDelay } from '../../util/backoff.js';
import type { PollError, TaskTransaction } from '../store.js';
import type { ConnectionWatch } from './connection.js';
import { shortError, type PollContext } from './context.js';

export interface NodeState {
  busy: boolean;
  failures: number;
  retryAt: number;
  /** When the node was last asked for its own task list. */
  askedAt: number;
  error?: PollError;
}

export class NodeHealth {
  private readonly states = new Map<string, NodeState>();

  constructor(
    private readonly ctx: PollContext,
    private readonly connection: ConnectionWatch,
  ) {}

  state(node: string): NodeState {
    let state = this.states.get(node);
    if (!state) {
      state = { busy: false, failures: 0, retryAt: 0, askedAt: -Infinity };
      this.states.set(node, state);
    }
    return state;
  }

  /** Nodes whose last request failed. */
  failing(): string[] {
    return [...this.states].filter(([, state]) => state.error).map(([node]) => node);
  }

  /** A node that does not exist: nothing to remember about it. */
  forget(node: string): void {
    this.states.delete(node);
  }

  /** Forget the backoff: ask every node at the next cycle (refresh now). */
  retryAllNow(): void {
    for (const state of this.states.values()) state.retryAt = 0;
  }

  markHealthy(tx: TaskTransaction, node: string, now: number): void {
    const state = this.state(node);
    state.failures = 0;
    state.retryAt = 0;
    state.error = undefined;
    tx.setNode(node, { online: true });
    for (const row of tx.allRows()) {
      if (row.node === node && row.pollError) tx.patch(row.key, { pollError: undefined });
    }
    tx.setPoll({ lastSuccessAt: now });
  }

  markFailed(node: string, error: unknown): void {
    const { clock, options } = this.ctx;
    const now = clock.now();
    const state = this.state(node);
    if (isConnectionError(error) && this.connection.isOurs(state.askedAt)) return;
    state.failures++;
    // The next cycle comes an interval later anyway: the backoff is what it adds.
    state.retryAt = now + backoffDelay(state.failures, options.intervalMs, options.maxBackoffMs ?? 60_000) - options.intervalMs;
    state.error = { message: shortError(error), since: state.error?.since ?? now };
    const pollError = state.error;
    this.ctx.store.getState().update((tx) => {
      tx.setNode(node, { online: false, error: pollError });
      for (const row of tx.allRows()) {
        if (row.node === node && this.ctx.isWatched(row)) tx.patch(row.key, { pollError });
      }
    });
  }
}
