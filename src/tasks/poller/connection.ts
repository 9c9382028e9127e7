/**
 * The connection to the API as the board shows it: the endpoint in use, the last failover, and an
 * outage when no endpoint answers. The client keeps the facts (api/failover.ts) and tells of every
 * change; this puts them into the store, sanitized, as `host:port`.
 *
 * An outage is declared at the end of a poll cycle that got no answer at all (the client has been
 * unreachable since before the cycle began): a passing failure between answers is no outage, and the
 * header does not flicker. The first answer ends it at once, and the poller asks every node again
 * (their backoff forgotten), so that no banner of the outage outlives it.
 */
import type { ConnectionState, PveClient } from '../../api/index.js';
import { sanitizeText } from '../../util/sanitize.js';
import type { ConnectionStatus } from '../store.js';
import { shortError, type PollContext } from './context.js';

/** `host:port` of an endpoint URL, safe to show. */
export function endpointHost(endpoint: string): string {
  let host = endpoint;
  try {
    host = new URL(endpoint).host;
  } catch {
    // shown as configured
  }
  return sanitizeText(host, { maxLength: 256 });
}

export class ConnectionWatch {
  private unsubscribe?: () => void;

  constructor(
    private readonly ctx: PollContext,
    /** Called when an outage ends. */
    private readonly onRecovered: () => void,
  ) {
    this.start();
  }

  /** Follows the client's connection state into the store; idempotent. */
  start(): void {
    const client = this.ctx.client as Partial<PveClient>;
    // Test doubles of the client may have no connection state.
    if (this.unsubscribe || !client.watchConnection || !client.connection) return;
    this.write(client.connection);
    this.unsubscribe = client.watchConnection((state) => this.write(state));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /**
   * Whether a connection failure met asking something at `askedAt` is our connection's (no endpoint
   * has answered since then), rather than the node's the request was about.
   */
  isOurs(askedAt: number): boolean {
    return this.silentSince(askedAt);
  }

  /** A cycle that began at `startedAt` ended: if no endpoint answered anything during it, that is an outage. */
  cycleEnded(startedAt: number): void {
    const unreachable = (this.ctx.client as Partial<PveClient>).connection?.unreachable;
    const status = this.ctx.store.getState().connection;
    if (!status || !unreachable || !this.silentSince(startedAt)) return;
    const outage = { since: unreachable.since, reason: sanitizeText(shortError(unreachable.error), { maxLength: 512 }) };
    if (status.outage?.since === outage.since && status.outage.reason === outage.reason) return;
    this.ctx.store.getState().update((tx) => tx.setConnection({ ...status, outage }));
  }

  /** The client failed to reach any endpoint, and no endpoint has answered anything since `time`. */
  private silentSince(time: number): boolean {
    const connection = (this.ctx.client as Partial<PveClient>).connection;
    return connection?.unreachable !== undefined && !((connection.answeredAt ?? -Infinity) >= time);
  }

  private write(state: ConnectionState): void {
    const previous = this.ctx.store.getState().connection;
    const next: ConnectionStatus = {
      endpoint: endpointHost(state.endpoint),
      endpoints: this.ctx.client.endpoints.map(endpointHost),
    };
    const failover = state.lastFailover;
    if (failover) {
      next.failover = {
        at: failover.at,
        from: endpointHost(failover.from),
        to: endpointHost(failover.to),
        reason: sanitizeText(shortError(failover.error), { maxLength: 512 }),
      };
    }
    // Declared by cycleEnded; kept (with the latest reason) while still unreachable, gone with the first answer.
    if (previous?.outage && state.unreachable) {
      next.outage = { since: previous.outage.since, reason: sanitizeText(shortError(state.unreachable.error), { maxLength: 512 }) };
    }
    if (previous && JSON.stringify(previous) === JSON.stringify(next)) return;
    this.ctx.store.getState().update((tx) => tx.setConnection(next));
    if (previous?.outage && !next.outage) this.onRecovered();
  }
}
