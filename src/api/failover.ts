/**
 * Endpoint failover (DESIGN.md "Polling and sessions"): a GET moves to the next endpoint when the
 * connection fails or no answer comes in time; a POST or DELETE only when nothing reached the server.
 * The endpoint that answered stays the current one.
 */
import { PveApiError } from './errors.js';
import type { CallInit, Envelope, Exchange } from './exchange.js';
import type { Method } from './transport-errors.js';

export interface SendOptions {
  /** Send the credentials (everything but the login itself). */
  authenticate: boolean;
  /** A login may move to another endpoint like a GET: it has no effect to repeat. */
  failoverLikeGet: boolean;
}

export interface Failover {
  /** The endpoint requests go to now. */
  readonly current: string;
  /** Sends to the current endpoint, moving on to the next ones as the failover rules allow. */
  send(method: Method, path: string, init: CallInit, send: SendOptions): Promise<Envelope>;
}

/** `scrub` removes secrets from every error that leaves. */
export function createFailover(endpoints: readonly string[], exchange: Exchange, scrub: (error: PveApiError) => PveApiError): Failover {
  let current = 0;

  async function send(method: Method, path: string, init: CallInit, options: SendOptions): Promise<Envelope> {
    const retriable = method === 'GET' || options.failoverLikeGet;
    const order = endpoints.map((_, offset) => (current + offset) % endpoints.length);
    // With one endpoint, a GET gets one more try after a reset: a kept-alive connection the server
    // closed just as we reused it.
    if (endpoints.length === 1 && retriable) order.push(current);
    const failures: PveApiError[] = [];
    for (const slot of order) {
      const endpoint = endpoints[slot]!;
      try {
        const envelope = await exchange(endpoint, method, path, init, options.authenticate);
        current = slot;
        return envelope;
      } catch (error) {
        if (!(error instanceof PveApiError)) throw error;
        // GETs move on after any connection failure; writes only when nothing reached the server.
        const movable = retriable ? error.kind === 'connection' || error.kind === 'timeout' : error.notSent;
        const reset = error.kind === 'connection' && !error.notSent;
        if (!movable || (endpoints.length === 1 && !reset) || init.signal?.aborted) throw scrub(error);
        failures.push(error);
      }
    }
    const last = failures[failures.length - 1]!;
    if (endpoints.length === 1) throw scrub(last);
    const others = failures.slice(0, -1).map((failure) => `${failure.endpoint} (${failure.kind})`);
    throw scrub(
      new PveApiError({
        kind: last.kind,
        status: last.status,
        reason: last.reason,
        endpoint: last.endpoint,
        method: last.method,
        path: last.path,
        notSent: failures.every((failure) => failure.notSent),
        message: `${last.message}; also failed: ${others.join(', ')}`,
        cause: last,
      }),
    );
  }

  return {
    get current() {
      return endpoints[current]!;
    },
    send,
  };
}
