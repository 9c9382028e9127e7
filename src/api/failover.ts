/**
 * Endpoint failover (DESIGN.md "Polling and sessions"): a GET moves to the next endpoint when the
 * connection fails or no answer comes in time; a POST or DELETE only when nothing reached the server.
 * The endpoint that answered stays the current one.
 *
 * It also keeps the state of the connection for whoever shows it (the board's header): the endpoint
 * in use, the last move to another one, and whether any endpoint answers at all. Listeners hear of
 * every change; nothing here knows about the store or the board.
 */
import type { Clock } from '../util/clock.js';
import { PveApiError, isConnectionError } from './errors.js';
import type { CallInit, Envelope, Exchange } from './exchange.js';
import type { Method } from './transport-errors.js';

export interface SendOptions {
  /** Send the credentials (everything but the login itself). */
  authenticate: boolean;
  /** A login may move to another endpoint like a GET: it has no effect to repeat. */
  failoverLikeGet: boolean;
}

/** A move to another endpoint. */
export interface FailoverEvent {
  /** When the request that moved was answered by `to` (clock ms). */
  at: number;
  from: string;
  to: string;
  /** Why `from` was left (secrets already removed). */
  error: PveApiError;
}

export interface ConnectionState {
  /** The endpoint requests go to now. */
  readonly endpoint: string;
  readonly lastFailover?: FailoverEvent;
  /**
   * Set while no endpoint has answered since a request got no answer from any endpoint it tried:
   * `since` is when that request was sent (or the last answer, if later); `error` the latest failure.
   * The first answer of any kind (an HTTP error included) clears it.
   */
  readonly unreachable?: { since: number; error: PveApiError };
  /** When an endpoint last answered (anything: an HTTP error too). Not told to listeners: it changes with every answer. */
  readonly answeredAt?: number;
}

export type ConnectionListener = (state: ConnectionState) => void;

export interface Failover {
  /** The endpoint requests go to now. */
  readonly current: string;
  readonly connection: ConnectionState;
  /** Calls `listener` after every change of the connection state; returns the unsubscribe. */
  watch(listener: ConnectionListener): () => void;
  /** Sends to the current endpoint, moving on to the next ones as the failover rules allow. */
  send(method: Method, path: string, init: CallInit, send: SendOptions): Promise<Envelope>;
}

/** The server sent something back: it is reachable, whatever it said. */
function isAnswer(error: PveApiError): boolean {
  return error.status > 0 || error.kind === 'protocol' || error.kind === 'auth';
}

/** `scrub` removes secrets from every error that leaves. */
export function createFailover(
  endpoints: readonly string[],
  exchange: Exchange,
  scrub: (error: PveApiError) => PveApiError,
  clock: Clock,
): Failover {
  let current = 0;
  let state: ConnectionState = { endpoint: endpoints[0]! };
  const listeners = new Set<ConnectionListener>();

  const change = (next: ConnectionState) => {
    state = next;
    for (const listener of [...listeners]) listener(state);
  };
  const answered = () => {
    const answeredAt = clock.now();
    if (state.unreachable) change({ ...withoutUnreachable(state), answeredAt });
    else state = { ...state, answeredAt };
  };
  const noAnswer = (sentAt: number, error: PveApiError) => {
    const since = state.unreachable?.since ?? Math.max(sentAt, state.answeredAt ?? -Infinity);
    change({ ...state, unreachable: { since, error: scrub(error) } });
  };
  const moved = (to: number, failures: readonly PveApiError[]) => {
    const from = endpoints[current]!;
    current = to;
    const error = failures.find((failure) => failure.endpoint === from) ?? failures[failures.length - 1];
    const next: ConnectionState = { ...state, endpoint: endpoints[to]! };
    change(error ? { ...next, lastFailover: { at: clock.now(), from, to: endpoints[to]!, error: scrub(error) } } : next);
  };

  async function send(method: Method, path: string, init: CallInit, options: SendOptions): Promise<Envelope> {
    const retriable = method === 'GET' || options.failoverLikeGet;
    const sentAt = clock.now();
    const order = endpoints.map((_, offset) => (current + offset) % endpoints.length);
    // With one endpoint, a GET gets one more try after a reset: a kept-alive connection the server
    // closed just as we reused it.
    if (endpoints.length === 1 && retriable) order.push(current);
    const failures: PveApiError[] = [];
    for (const slot of order) {
      const endpoint = endpoints[slot]!;
      try {
        const envelope = await exchange(endpoint, method, path, init, options.authenticate);
        answered();
        if (slot !== current) moved(slot, failures);
        return envelope;
      } catch (error) {
        if (!(error instanceof PveApiError)) throw error;
        if (isAnswer(error)) answered();
        // GETs move on after any connection failure; writes only when nothing reached the server.
        const movable = retriable ? error.kind === 'connection' || error.kind === 'timeout' : error.notSent;
        const reset = error.kind === 'connection' && !error.notSent;
        if (!movable || (endpoints.length === 1 && !reset) || init.signal?.aborted) {
          if (isConnectionError(error) && !init.signal?.aborted) noAnswer(sentAt, error);
          throw scrub(error);
        }
        failures.push(error);
      }
    }
    const last = failures[failures.length - 1]!;
    noAnswer(sentAt, last);
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
    get connection() {
      return state;
    },
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    send,
  };
}

function withoutUnreachable(state: ConnectionState): ConnectionState {
  const { unreachable: _gone, ...rest } = state;
  return rest;
}
