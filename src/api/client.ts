/**
 * The PVE HTTP client: openapi-fetch over the generated types, with PVE's authentication (API token,
 * or ticket + CSRF token, renewed), TLS checks (see tls.ts), endpoint failover, clock-driven timeouts
 * and one error type (PveApiError).
 */
import createClient from 'openapi-fetch';
import type { Agent } from 'undici';
import { systemClock, type Clock } from '../util/clock.js';
import { formatDuration } from '../util/duration.js';
import { VERSION } from '../util/version.js';
import { validateToken, validateUsername, type ParsedToken } from './credentials.js';
import { PveApiError, oneLine, redact, type PveApiErrorInit } from './errors.js';
import { fillPath, serializeParameters } from './serialize.js';
import { ConnectFailedError, createTlsAgent, parseFingerprints, TlsRejectedError } from './tls.js';
import type { PveData, PveInitArgs, PveOperation, PvePathsWith, PveRequestOptions, PveResponse } from './types.js';

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
  /** Renew a ticket once it is this old; default 15 min, as PVE's web UI does (tickets live 2 h). */
  ticketRenewAfterMs?: number;
  clock?: Clock;
}

type Method = 'GET' | 'POST' | 'DELETE';

export interface PveClient {
  /** The authenticated auth id: `user@realm`, or `user@realm!tokenid` for an API token. */
  readonly userid: string;
  /** The endpoint requests go to now (it changes on failover). */
  readonly endpoint: string;
  readonly endpoints: readonly string[];
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
const TICKET_PATH = '/access/ticket';

// ---------------------------------------------------------------------------------------------
// Endpoints

function configError(message: string): PveApiError {
  return new PveApiError({ kind: 'config', message });
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** An API token's secret (PVE makes them UUIDs): no node's host name or path looks like one. */
const SECRET_LIKE_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** Said without repeating any of the value: it holds a secret. */
function credentialsInEndpoint(): PveApiError {
  return configError(
    'not an endpoint: it holds what looks like a token, a secret or a password (not repeated here); expected https://HOST:8006, with the token in PROXMOX_VE_API_TOKEN',
  );
}

/**
 * `https://host:8006`, checked. A bare host name gets https and PVE's port 8006. No message repeats
 * what may be a secret pasted into the wrong place: without a scheme, `root@pam!ci=SECRET` would
 * parse as user `root` on host `pam!ci=secret`.
 */
export function normalizeEndpoint(raw: string): string {
  const text = raw.trim();
  if (!text) throw configError('empty endpoint: expected https://HOST:8006');
  if (SECRET_LIKE_RE.test(text)) throw credentialsInEndpoint();
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  if (!hasScheme && /[@!=]/.test(text)) throw credentialsInEndpoint();
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `https://${text}`);
  } catch {
    throw configError('invalid endpoint: expected https://HOST:8006');
  }
  if (/[!=]/.test(url.hostname)) throw credentialsInEndpoint();
  if (!hasScheme && url.port === '') url.port = '8006';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw configError(`invalid endpoint scheme ${url.protocol} for ${url.host}: expected https://${url.host}`);
  }
  if (url.username || url.password) {
    throw configError(`endpoint ${url.host}: credentials do not belong in the URL; use an API token`);
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw configError(
      `refusing plain http:// for ${url.host}: credentials would cross the network unencrypted; use https://${url.hostname}:${url.port || '8006'}`,
    );
  }
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api2\/json$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

// ---------------------------------------------------------------------------------------------
// Errors from transport failures

interface RequestContext {
  method: Method;
  /** Readable path with parameters filled in, for messages. */
  displayPath: string;
  endpoint: string;
  timeoutMs: number;
}

const CONNECT_PHASE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current && chain.length < 8 && !chain.includes(current)) {
    chain.push(current);
    if (current instanceof AggregateError) chain.push(...current.errors);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

function errorCode(error: unknown): string | undefined {
  for (const item of causes(error)) {
    const code = (item as { code?: unknown })?.code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function tlsAdvice(fingerprint: string | undefined): string {
  const pin = fingerprint ? `PROXMOX_VE_FINGERPRINT=${fingerprint}` : 'PROXMOX_VE_FINGERPRINT to its SHA-256 fingerprint';
  return `To trust it, set ${pin} (compare with \`pvenode cert info\` on the node), or NODE_EXTRA_CA_CERTS=/path/to/pve-root-ca.pem (the cluster CA, /etc/pve/pve-root-ca.pem), or, only on a network you trust, PROXMOX_VE_INSECURE=true`;
}

function transportError(error: unknown, context: RequestContext): PveApiError {
  const base = { endpoint: context.endpoint, method: context.method, path: context.displayPath, cause: error };
  const prefix = `${context.method} ${context.displayPath}`;
  const rejected = causes(error).find((item): item is TlsRejectedError => item instanceof TlsRejectedError);
  if (rejected) {
    const fingerprint = rejected.fingerprint;
    const what =
      rejected.problem === 'pin-mismatch'
        ? `the certificate of ${context.endpoint} has SHA-256 fingerprint ${fingerprint}, not the pinned one; refused. If the node's certificate was renewed, check it with \`pvenode cert info\` and set PROXMOX_VE_FINGERPRINT=${fingerprint}`
        : rejected.problem === 'no-certificate'
          ? `${context.endpoint} presented no certificate to check the pinned fingerprint against; refused`
          : `the certificate of ${context.endpoint} is not trusted: ${rejected.detail}. ${tlsAdvice(fingerprint)}`;
    return new PveApiError({ ...base, kind: 'tls', notSent: true, fingerprint, message: `${prefix}: ${what}` });
  }
  if (causes(error).some((item) => item instanceof SyntaxError)) {
    return new PveApiError({
      ...base,
      kind: 'protocol',
      message: `${prefix}: ${context.endpoint} answered with something that is not JSON; is it a Proxmox VE node?`,
    });
  }
  const code = errorCode(error);
  const host = context.endpoint;
  const connectFailure = causes(error).find((item): item is ConnectFailedError => item instanceof ConnectFailedError);
  const handshakeFailed = (tlsCode: string): PveApiError =>
    new PveApiError({
      ...base,
      kind: 'tls',
      notSent: true,
      reason: tlsCode,
      message: `${prefix}: the TLS handshake with ${host} failed (${tlsCode}); does it serve https on that port?`,
    });
  if (connectFailure?.duringTls && code !== undefined && !CONNECT_PHASE_CODES.has(code) && code !== 'UND_ERR_CONNECT_TIMEOUT') {
    // Closed or garbled during the handshake: typically https to a port that speaks plain HTTP.
    return handshakeFailed(code);
  }
  const connection = (message: string, notSent: boolean): PveApiError =>
    new PveApiError({
      ...base,
      kind: 'connection',
      notSent: notSent || connectFailure !== undefined,
      reason: code ?? '',
      message: `${prefix}: ${message}`,
    });
  switch (code) {
    case 'ECONNREFUSED':
      return connection(`connection refused by ${host}`, true);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return connection(`cannot resolve the host name of ${host}`, true);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return connection(`${host} is unreachable (${code})`, true);
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new PveApiError({ ...base, kind: 'timeout', notSent: true, message: `${prefix}: connecting to ${host} timed out` });
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return connection(`the connection to ${host} was closed before an answer (${code})`, false);
    case 'UND_ERR_DESTROYED':
      return new PveApiError({ ...base, kind: 'aborted', message: `${prefix}: the client was closed` });
    default:
      break;
  }
  if (code && (code === 'EPROTO' || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'))) return handshakeFailed(code);
  const detail = error instanceof Error ? oneLine(error.message) : String(error);
  return connection(`request to ${host} failed${code ? ` (${code})` : ''}: ${detail}`, code ? CONNECT_PHASE_CODES.has(code) : false);
}

function httpError(response: Response, body: unknown, context: RequestContext, hint?: string): PveApiError {
  const status = response.status;
  const reason = response.statusText ?? '';
  const json = body && typeof body === 'object' ? (body as { message?: unknown; errors?: unknown }) : {};
  // Newer PVE puts the message in the body; older ones only in the reason phrase (its first line).
  const bodyMessage = typeof json.message === 'string' ? oneLine(json.message) : '';
  let errors: Record<string, string> | undefined;
  if (json.errors && typeof json.errors === 'object') {
    errors = {};
    for (const [name, text] of Object.entries(json.errors as Record<string, unknown>)) errors[name] = oneLine(String(text));
  }
  let text = bodyMessage || oneLine(reason) || 'no reason given';
  if (errors && Object.keys(errors).length > 0) {
    text += ` (${Object.entries(errors)
      .map(([name, message]) => `${name}: ${message}`)
      .join('; ')})`;
  }
  if (hint) text += ` ${hint}`;
  return new PveApiError({
    kind: status === 401 ? 'auth' : 'http',
    status,
    reason,
    errors,
    endpoint: context.endpoint,
    method: context.method,
    path: context.displayPath,
    message: `${context.method} ${context.displayPath}: ${status} ${text}`,
  });
}

// ---------------------------------------------------------------------------------------------

interface RawInit {
  params?: { path?: Record<string, unknown>; query?: Record<string, unknown> };
  body?: Record<string, unknown>;
}
type Envelope = { data: unknown; total?: number };
type LooseRequest = (
  method: string,
  url: string,
  init: Record<string, unknown>,
) => Promise<{ data?: unknown; error?: unknown; response: Response }>;

interface Ticket {
  value: string;
  csrf: string | undefined;
  obtainedAt: number;
}

interface SendOptions {
  /** Send the credentials (everything but the login itself). */
  authenticate: boolean;
  /** A login may move to another endpoint like a GET: it has no effect to repeat. */
  failoverLikeGet: boolean;
}

export function createPveClient(options: PveClientOptions): PveClient {
  const endpointList = [...(options.endpoints ?? []), ...(options.endpoint ? [options.endpoint] : [])]
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter(Boolean);
  if (endpointList.length === 0) throw configError('no endpoint: set PROXMOX_VE_ENDPOINT to https://HOST:8006');
  const endpoints = [...new Set(endpointList.map(normalizeEndpoint))];

  let token: ParsedToken | undefined;
  let username: string | undefined;
  const password = options.password;
  if (options.token) {
    token = validateToken(options.token);
  } else if (options.username || options.password) {
    if (!options.username || !options.password) {
      throw configError('ticket login needs both PROXMOX_VE_USERNAME and PROXMOX_VE_PASSWORD (or use PROXMOX_VE_API_TOKEN)');
    }
    username = validateUsername(options.username);
  } else {
    throw configError(
      'no credentials: set PROXMOX_VE_API_TOKEN (USER@REALM!TOKENID=SECRET), or PROXMOX_VE_USERNAME and PROXMOX_VE_PASSWORD',
    );
  }

  const clock = options.clock ?? systemClock;
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ticketRenewAfterMs = options.ticketRenewAfterMs ?? DEFAULT_TICKET_RENEW_MS;
  const agent: Agent = createTlsAgent({
    fingerprints: parseFingerprints(options.fingerprint),
    insecure: options.insecure === true,
    ca: options.ca,
  });

  const raw = createClient({
    fetch: (request: Request) => fetch(request, { dispatcher: agent } as unknown as RequestInit),
    querySerializer: (query: Record<string, unknown>) => serializeParameters(query),
    bodySerializer: (body: unknown) => serializeParameters(body as Record<string, unknown>),
    pathSerializer: (path: string, parameters: Record<string, unknown>) => fillPath(path, parameters),
  });
  const request = raw.request as unknown as LooseRequest;

  let current = 0;
  let userid = token ? token.authId : username!;
  let ticket: Ticket | undefined;
  let loginInFlight: Promise<void> | undefined;
  let tokenChecked = false;
  let closed = false;

  const secrets = (): Array<string | undefined> => [
    token?.secret,
    options.token?.trim(),
    password,
    ticket?.value,
    ticket && encodeURIComponent(ticket.value),
    ticket?.csrf,
  ];
  const scrub = (error: PveApiError): PveApiError => {
    const list = secrets();
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

  function authHeaders(method: Method): Record<string, string> {
    if (token) return { Authorization: `PVEAPIToken=${token.authId}=${token.secret}` };
    if (!ticket) return {};
    // PVE URI-unescapes the cookie, as the web UI escapes it; a TFA ticket carries '%' itself.
    const headers: Record<string, string> = { Cookie: `PVEAuthCookie=${encodeURIComponent(ticket.value)}` };
    // PVE requires the CSRF token on every method but GET when a ticket authenticates.
    if (method !== 'GET' && ticket.csrf) headers.CSRFPreventionToken = ticket.csrf;
    return headers;
  }

  /** One exchange with one endpoint, bounded by the timeout and the caller's signal. */
  async function attempt(
    endpoint: string,
    method: Method,
    path: string,
    init: RawInit & PveRequestOptions,
    send: SendOptions,
  ): Promise<Envelope> {
    const timeoutMs = init.timeoutMs ?? defaultTimeoutMs;
    const context: RequestContext = {
      method,
      displayPath: fillPath(path, init.params?.path, false),
      endpoint,
      timeoutMs,
    };
    if (closed)
      throw new PveApiError({
        kind: 'aborted',
        endpoint,
        method,
        path: context.displayPath,
        message: `${method} ${context.displayPath}: the client was closed`,
      });
    const userSignal = init.signal;
    const abortedError = () =>
      new PveApiError({
        kind: 'aborted',
        endpoint,
        method,
        path: context.displayPath,
        cause: userSignal?.reason,
        message: `${method} ${context.displayPath}: aborted`,
      });
    if (userSignal?.aborted) throw abortedError();

    const controller = new AbortController();
    const onUserAbort = () => controller.abort(userSignal?.reason);
    userSignal?.addEventListener('abort', onUserAbort, { once: true });
    const timer = new AbortController();
    let timedOut = false;
    clock.sleep(timeoutMs, timer.signal).then(
      () => {
        timedOut = true;
        controller.abort(new Error('timeout'));
      },
      () => {},
    );

    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': `pvetasks/${VERSION}`,
      ...(send.authenticate ? authHeaders(method) : {}),
    };
    if (init.body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';

    let result: Awaited<ReturnType<LooseRequest>>;
    try {
      result = await clock.track(
        request(method, path, {
          baseUrl: `${endpoint}/api2/json`,
          params: init.params ?? {},
          body: init.body,
          headers,
          signal: controller.signal,
          redirect: 'manual',
        }),
      );
    } catch (error) {
      if (userSignal?.aborted) throw abortedError();
      if (timedOut) {
        throw new PveApiError({
          kind: 'timeout',
          endpoint,
          method,
          path: context.displayPath,
          message: `${method} ${context.displayPath}: no answer from ${endpoint} within ${formatDuration(timeoutMs)}`,
        });
      }
      throw transportError(error, context);
    } finally {
      timer.abort();
      userSignal?.removeEventListener('abort', onUserAbort);
    }

    const { data, error, response } = result;
    if (response.ok) {
      if (data === undefined || data === null) return { data: null };
      if (typeof data !== 'object' || !('data' in data)) {
        throw new PveApiError({
          kind: 'protocol',
          status: response.status,
          reason: response.statusText,
          endpoint,
          method,
          path: context.displayPath,
          message: `${method} ${context.displayPath}: ${endpoint} answered without PVE's {data} envelope; is it a Proxmox VE node?`,
        });
      }
      return data as Envelope;
    }
    let hint: string | undefined;
    if (response.status === 401) {
      if (path === TICKET_PATH) hint = `(login as ${userid} refused: wrong user name, realm or password?)`;
      else if (token) hint = '(the API token was refused: wrong secret, or the token was deleted or has expired?)';
    }
    throw httpError(response, error, context, hint);
  }

  /** Sends to the current endpoint, moving on to the next ones as the failover rules allow. */
  async function sendWithFailover(method: Method, path: string, init: RawInit & PveRequestOptions, send: SendOptions): Promise<Envelope> {
    const retriable = method === 'GET' || send.failoverLikeGet;
    const order = endpoints.map((_, offset) => (current + offset) % endpoints.length);
    // With one endpoint, a GET gets one more try after a reset: a kept-alive connection the server
    // closed just as we reused it.
    if (endpoints.length === 1 && retriable) order.push(current);
    const failures: PveApiError[] = [];
    for (const slot of order) {
      const endpoint = endpoints[slot]!;
      try {
        const envelope = await attempt(endpoint, method, path, init, send);
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

  // --- ticket sessions -----------------------------------------------------------------------

  async function loginWith(secret: string): Promise<void> {
    const envelope = await sendWithFailover(
      'POST',
      TICKET_PATH,
      { body: { username: userid, password: secret } },
      { authenticate: false, failoverLikeGet: true },
    );
    const data = envelope.data as PveData<typeof TICKET_PATH, 'post'> | null;
    if (data?.NeedTFA || data?.ticket?.includes('!tfa!')) {
      throw new PveApiError({
        kind: 'auth',
        endpoint: endpoints[current],
        method: 'POST',
        path: TICKET_PATH,
        message: `login as ${userid} needs two-factor authentication, which pvetasks cannot answer: create an API token for it (Datacenter > Permissions > API Tokens) and set PROXMOX_VE_API_TOKEN=USER@REALM!TOKENID=SECRET instead`,
      });
    }
    if (!data?.ticket) {
      throw new PveApiError({
        kind: 'protocol',
        endpoint: endpoints[current],
        method: 'POST',
        path: TICKET_PATH,
        message: `POST ${TICKET_PATH}: login as ${userid} answered without a ticket`,
      });
    }
    ticket = { value: data.ticket, csrf: data.CSRFPreventionToken, obtainedAt: clock.now() };
    if (data.username) userid = data.username;
  }

  /** Logs in, or renews the ticket (POSTing it as the password, as the web UI does). */
  function refreshTicket(force: boolean): Promise<void> {
    if (loginInFlight) return loginInFlight;
    const held = ticket;
    if (!force && held && clock.now() - held.obtainedAt < ticketRenewAfterMs) return Promise.resolve();
    loginInFlight = (async () => {
      try {
        if (held && !force) {
          try {
            await loginWith(held.value);
            return;
          } catch (error) {
            // An expired ticket cannot renew itself: log in with the password instead.
            if (!(error instanceof PveApiError && error.status === 401)) throw error;
          }
        }
        await loginWith(password!);
      } finally {
        loginInFlight = undefined;
      }
    })();
    return loginInFlight;
  }

  async function call(method: Method, path: string, init: (RawInit & PveRequestOptions) | undefined): Promise<Envelope> {
    const options = init ?? {};
    if (token) return sendWithFailover(method, path, options, { authenticate: true, failoverLikeGet: false });
    await refreshTicket(false);
    const used = ticket;
    try {
      return await sendWithFailover(method, path, options, { authenticate: true, failoverLikeGet: false });
    } catch (error) {
      if (!(error instanceof PveApiError && error.status === 401)) throw error;
      // The ticket expired or was revoked. PVE checks authentication before any handler runs, so
      // repeating the request once after a new login cannot run an action twice.
      if (ticket === used) await refreshTicket(true);
      return sendWithFailover(method, path, options, { authenticate: true, failoverLikeGet: false });
    }
  }

  async function checkToken(): Promise<void> {
    await sendWithFailover('GET', '/version', {}, { authenticate: true, failoverLikeGet: false });
    tokenChecked = true;
  }

  const client: PveClient = {
    get userid() {
      return userid;
    },
    get endpoint() {
      return endpoints[current]!;
    },
    endpoints,
    auth: token ? 'token' : 'ticket',
    GET: ((path: string, init?: RawInit & PveRequestOptions) => call('GET', path, init)) as PveClient['GET'],
    POST: ((path: string, init?: RawInit & PveRequestOptions) => call('POST', path, init)) as PveClient['POST'],
    DELETE: ((path: string, init?: RawInit & PveRequestOptions) => call('DELETE', path, init)) as PveClient['DELETE'],
    async login() {
      if (token) return checkToken();
      return refreshTicket(true);
    },
    async ensureAuthenticated() {
      if (token) return tokenChecked ? undefined : checkToken();
      return refreshTicket(false);
    },
    async close() {
      closed = true;
      await agent.close();
    },
  };
  return client;
}
