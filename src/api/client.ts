/**
 * The PVE HTTP client: openapi-fetch over the generated types, with PVE's authentication (API token,
 * or ticket + CSRF token, renewed: auth.ts), TLS checks (tls.ts), endpoint failover (failover.ts),
 * clock-driven timeouts and capped answers (exchange.ts, answer-limits.ts), path parameters checked
 * against PVE's formats (path-params.ts) and one error type (PveApiError).
 */
import { systemClock, type Clock } from '../util/clock.js';
import { DEFAULT_MAX_ANSWER_BYTES } from './answer-limits.js';
import { createAuth } from './auth.js';
import { configError, endpointsOf } from './endpoints.js';
import { PveApiError, redact, type PveApiErrorInit } from './errors.js';
import { createExchange, type CallInit } from './exchange.js';
import { createFailover, type ConnectionListener, type ConnectionState } from './failover.js';
import { pathParameterError } from './path-params.js';
import { lazyTlsAgent, parseFingerprints } from './tls.js';
import type { Method } from './transport-errors.js';
import type { PveInitArgs, PveOperation, PvePathsWith, PveResponse } from './types.js';

export { normalizeEndpoint } from './endpoints.js';

export interface PveClientOptions {
  /** `https://host:8006` (without /api2/json). */
  endpoint?: string;
  /** Several endpoints (nodes of one cluster) to fail over between; the first is tried first. */
  endpoints?: string[];
  /** API token `USER@REALM!TOKENID=SECRET`; preferred over a ticket login. */
  token?: string;
  /** Ticket login: `user@realm` and password. */
  username?: string;
  password?: string;
  /** SHA-256 fingerprint(s) `AA:BB:...` of the node certificate(s) to pin; comma-separated for several. */
  fingerprint?: string;
  /** Skip certificate checks. Only when the operator asked for it. */
  insecure?: boolean;
  /** Extra CA certificates (PEM) to trust, like NODE_EXTRA_CA_CERTS (which Node applies by itself). */
  ca?: string | string[];
  /** Per request, default 35 s: longer than PVE's 30 s proxy timeout (see DEFAULT_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Answers longer than this are refused (kind `protocol`); default 32 MiB. */
  maxAnswerBytes?: number;
  /** Renew a ticket once it is this old; default 15 min, as PVE's web UI does (tickets live 2 h). */
  ticketRenewAfterMs?: number;
  clock?: Clock;
}

export interface PveClient {
  /** The authenticated auth id: `user@realm`, or `user@realm!tokenid` for an API token. */
  readonly userid: string;
  /** The endpoint requests go to now (it changes on failover). */
  readonly endpoint: string;
  readonly endpoints: readonly string[];
  /** The endpoint in use, the last failover, and whether any endpoint answers (failover.ts). */
  readonly connection: ConnectionState;
  /** Calls `listener` after every change of `connection`; returns the unsubscribe. */
  watchConnection(listener: ConnectionListener): () => void;
  readonly auth: 'token' | 'ticket';
  GET<P extends PvePathsWith<'get'>>(path: P, ...init: PveInitArgs<PveOperation<P, 'get'>>): Promise<PveResponse<P, 'get'>>;
  POST<P extends PvePathsWith<'post'>>(path: P, ...init: PveInitArgs<PveOperation<P, 'post'>>): Promise<PveResponse<P, 'post'>>;
  DELETE<P extends PvePathsWith<'delete'>>(path: P, ...init: PveInitArgs<PveOperation<P, 'delete'>>): Promise<PveResponse<P, 'delete'>>;
  /** Ticket: logs in now (again). Token: checks it with a cheap request. */
  login(): Promise<void>;
  /** Ticket: logs in or renews when due. Token: checks it once. */
  ensureAuthenticated(): Promise<void>;
  /** Closes idle connections; later requests fail. */
  close(): Promise<void>;
}

// A request for a powered-off node, proxied by the node we talk to, gets PVE's 595 after 30 s. Our
// own timeout must be longer, or we would take that for our endpoint not answering and fail over,
// blaming the wrong node, instead of learning which node is down.
const DEFAULT_TIMEOUT_MS = 35_000;
const DEFAULT_TICKET_RENEW_MS = 15 * 60_000;

export function createPveClient(options: PveClientOptions): PveClient {
  const endpoints = endpointsOf(options);
  const maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
  if (!Number.isSafeInteger(maxAnswerBytes) || maxAnswerBytes <= 0)
    throw configError('maxAnswerBytes must be a positive whole number of bytes');
  const clock = options.clock ?? systemClock;
  const auth = createAuth({
    token: options.token,
    username: options.username,
    password: options.password,
    clock,
    ticketRenewAfterMs: options.ticketRenewAfterMs ?? DEFAULT_TICKET_RENEW_MS,
    send: (method, path, init, send) => failover.send(method, path, init, send),
    currentEndpoint: () => failover.current,
  });
  const agent = lazyTlsAgent({
    fingerprints: parseFingerprints(options.fingerprint),
    insecure: options.insecure === true,
    ca: options.ca,
  });
  let closed = false;
  const exchange = createExchange({
    agent: agent.get,
    clock,
    defaultTimeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxAnswerBytes,
    isClosed: () => closed,
    authHeaders: (method) => auth.headers(method),
    unauthorizedHint: (path) => auth.unauthorizedHint(path),
  });

  const scrub = (error: PveApiError): PveApiError => {
    const list = auth.secrets();
    const clean = (text: string) => redact(text, list);
    const message = clean(error.message);
    const reason = clean(error.reason);
    const errors = error.errors ? Object.fromEntries(Object.entries(error.errors).map(([name, text]) => [name, clean(text)])) : undefined;
    if (message === error.message && reason === error.reason && JSON.stringify(errors) === JSON.stringify(error.errors)) {
      return error;
    }
    const init: PveApiErrorInit = { ...error, kind: error.kind, message, reason, errors, cause: undefined };
    return new PveApiError(init);
  };
  const failover = createFailover(endpoints, exchange, scrub, clock);

  const call = (method: Method) => async (path: string, init?: CallInit) => {
    // Before anything is sent, the login included: a hostile node name must not reach any URL.
    const refused = pathParameterError(path, init?.params?.path, method);
    if (refused) throw refused;
    return auth.call(method, path, init ?? {});
  };
  return {
    get userid() {
      return auth.userid;
    },
    get endpoint() {
      return failover.current;
    },
    endpoints,
    get connection() {
      return failover.connection;
    },
    watchConnection: (listener) => failover.watch(listener),
    auth: auth.kind,
    GET: call('GET') as PveClient['GET'],
    POST: call('POST') as PveClient['POST'],
    DELETE: call('DELETE') as PveClient['DELETE'],
    login: () => auth.login(),
    ensureAuthenticated: () => auth.ensureAuthenticated(),
    async close() {
      closed = true;
      await agent.close();
    },
  };
}
