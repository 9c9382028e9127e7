/**
 * The HTTP side: one listener per node (HTTP, or HTTPS with the demo certificate), the request
 * pipeline in PVE's order (transport checks, route, authentication with its 3 s delay on 401, the
 * cluster proxy and its 595s, parameter verification, the handler) and the transport-level faults.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { AuthError, apiTokenHeader } from './auth.js';
import { DEMO_LEAF_CERT_PEM, DEMO_LEAF_KEY_PEM } from './cert.js';
import type { SimCore } from './core.js';
import { PARAM_TABLE } from './params-table.js';
import { ParamError, verifyParams } from './params.js';
import { decodeSegments, header, mergeParams, parseBody, readBody } from './request.js';
import { ApiError, matchRoute, templateFor, TICKET_PATH, type ApiResult, type RouteMatch } from './routes/index.js';

const API_PREFIX = '/api2/json';
/** How long a hanging listener (a powered-off node) keeps a request before giving up on it. */
const HANG_MS = 24 * 3600_000;

export interface Listener {
  node: string;
  port: number;
  url: string;
  server: Server;
  listening: boolean;
  sockets: Set<Socket>;
}

interface Reply {
  status: number;
  reason: string;
  headers: Record<string, string>;
  body: Buffer;
}

export class SimServer {
  readonly listeners: Listener[] = [];
  private inflight = new Set<AbortController>();
  private closed = false;

  constructor(
    private readonly core: SimCore,
    private readonly options: { tls: boolean; host: string; port: number },
  ) {}

  async start(): Promise<void> {
    const { host, port, tls } = this.options;
    for (const [index, node] of this.core.cluster.nodes.entries()) {
      const server = tls ? createHttpsServer({ key: DEMO_LEAF_KEY_PEM, cert: DEMO_LEAF_CERT_PEM }) : createHttpServer();
      const listener: Listener = {
        node: node.name,
        port: port === 0 ? 0 : port + index,
        url: '',
        server,
        listening: false,
        sockets: new Set(),
      };
      server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(listener, req, res));
      server.on('connection', (socket: Socket) => {
        listener.sockets.add(socket);
        socket.on('close', () => listener.sockets.delete(socket));
      });
      server.on('secureConnection', (socket: Socket) => {
        listener.sockets.add(socket);
        socket.on('close', () => listener.sockets.delete(socket));
      });
      server.on('clientError', (_error, socket) => socket.destroy());
      this.listeners.push(listener);
      try {
        await this.listen(listener);
      } catch (error) {
        await this.close();
        throw error;
      }
      const address = server.address() as AddressInfo;
      listener.port = address.port;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      listener.url = `${tls ? 'https' : 'http'}://${shownHost}:${listener.port}`;
    }
    await this.syncListeners();
  }

  private syncing: Promise<void> = Promise.resolve();

  /** Opens or closes listeners to match the faults (a node's own port down or refusing). */
  syncListeners(): Promise<void> {
    // Serialized: two fault changes in a row must not listen twice on one port.
    this.syncing = this.syncing.then(() => this.syncNow());
    return this.syncing;
  }

  private async syncNow(): Promise<void> {
    if (this.closed) return;
    for (const listener of this.listeners) {
      const refuse = this.core.faults.listenerRefuses(listener.node);
      if (refuse && listener.listening) await this.unlisten(listener);
      else if (!refuse && !listener.listening) await this.listen(listener);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const controller of this.inflight) controller.abort();
    await Promise.all(this.listeners.map((listener) => this.unlisten(listener)));
  }

  private listen(listener: Listener): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      listener.server.once('error', onError);
      listener.server.listen(listener.port, this.options.host, () => {
        listener.server.off('error', onError);
        listener.listening = true;
        resolve();
      });
    });
  }

  private unlisten(listener: Listener): Promise<void> {
    if (!listener.listening) return Promise.resolve();
    listener.listening = false;
    return new Promise((resolve) => {
      listener.server.close(() => resolve());
      for (const socket of listener.sockets) socket.destroy();
      listener.server.closeAllConnections();
    });
  }

  private async handle(listener: Listener, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    this.inflight.add(controller);
    res.on('close', () => {
      controller.abort();
      this.inflight.delete(controller);
    });
    try {
      const reply = await this.process(listener, req, controller.signal);
      if (reply) this.write(listener, res, reply, acceptsGzip(req));
    } catch (error) {
      if (controller.signal.aborted) {
        res.destroy();
        return;
      }
      this.write(listener, res, errorReply(500, error instanceof Error ? error.message : String(error)), acceptsGzip(req));
    }
  }

  private async process(listener: Listener, req: IncomingMessage, signal: AbortSignal): Promise<Reply | undefined> {
    const { core } = this;
    const clock = core.clock;
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sim');
    const relative = url.pathname.startsWith(`${API_PREFIX}/`) ? url.pathname.slice(API_PREFIX.length) : undefined;
    const segments = relative === undefined ? undefined : decodeSegments(relative);
    const template = segments ? templateFor(segments) : undefined;
    core.count(`${method} ${template ?? '(unknown)'}`, listener.node);

    if (core.faults.listenerHangs(listener.node)) {
      // A powered-off node's address: the connection is accepted (by something) and nothing answers.
      await clock.holdRequest(HANG_MS, signal);
      req.socket.destroy();
      return undefined;
    }
    const latency = core.faults.totalMs('latency', listener.node);
    if (latency > 0) await clock.holdRequest(latency, signal);

    if (method === 'HEAD') return emptyReply(501, "method 'HEAD' not available");
    const body = await readBody(req);
    if ((method === 'GET' || method === 'DELETE') && body.length > 0) {
      return emptyReply(501, `Unexpected content for method '${method}'`);
    }
    if (!segments || relative === undefined) return errorReply(501, `Method '${method} ${url.pathname}' not implemented`);

    if (relative === TICKET_PATH || relative === `${TICKET_PATH}/`) {
      return this.ticketEndpoint(method, req, url, body, signal);
    }
    const match = matchRoute(method, segments, core.dialect.major);
    if (!match) return errorReply(501, `Method '${method} ${relative}' not implemented`);

    let principal;
    try {
      principal = core.auth.authenticate(
        { cookie: header(req, 'cookie'), authorization: header(req, 'authorization'), csrf: header(req, 'csrfpreventiontoken') },
        method,
      );
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      return this.unauthorized(error, signal);
    }

    if (core.faults.hit('error500', listener.node)) {
      return errorReply(500, 'ipcc_send_rec[1] failed: Transport endpoint is not connected');
    }

    const proxied = await this.proxyCheck(listener, match, signal);
    if (proxied) return proxied;

    // The method's permission check comes before its parameters are verified (PVE's rest handler).
    const check = match.route.check;
    if (check) {
      const path = check.path.replace(/\{(\w+)\}/g, (_, name: string) => match.pathParams[name] ?? '');
      if (!core.access.has(principal.authid, path, check.privilege)) {
        return this.slowed(listener, errorReply(403, `Permission check failed (${path}, ${check.privilege})`), signal);
      }
    }

    let params;
    try {
      const merged = mergeParams(match, parseBody(req, body), url.searchParams);
      params = verifyParams(PARAM_TABLE[`${method} ${match.route.template}`] ?? {}, merged);
    } catch (error) {
      if (error instanceof ParamError) return errorReply(400, error.message, error.errors);
      if (error instanceof ApiError) return errorReply(error.status, error.message, error.errors);
      throw error;
    }

    core.engine.settle();
    let result: ApiResult;
    try {
      result = match.route.handler({ core, listener: listener.node, principal, params });
    } catch (error) {
      if (error instanceof ApiError) return this.slowed(listener, errorReply(error.status, error.message, error.errors), signal);
      throw error;
    }
    return this.slowed(listener, resultReply(result), signal);
  }

  private async slowed(listener: Listener, reply: Reply, signal: AbortSignal): Promise<Reply> {
    const slow = this.core.faults.totalMs('slow', listener.node);
    if (slow > 0) await this.core.clock.holdRequest(slow, signal);
    return reply;
  }

  private async unauthorized(error: AuthError, signal: AbortSignal): Promise<Reply> {
    // pve-http-server: "always delay unauthorized calls by 3 seconds".
    if (error.status === 401 && this.core.options.unauthorizedDelayMs > 0) {
      await this.core.clock.holdRequest(this.core.options.unauthorizedDelayMs, signal);
    }
    return error.jsonBody ? errorReply(error.status, error.message) : emptyReply(error.status, error.message);
  }

  /** The cluster proxy: a call for another node goes there, or fails with 595 when it cannot. */
  private async proxyCheck(listener: Listener, match: RouteMatch, signal: AbortSignal): Promise<Reply | undefined> {
    if (!match.route.proxied) return undefined;
    const target = match.pathParams.node ?? listener.node;
    const { core } = this;
    if (!core.hasNode(target)) {
      return errorReply(500, `hostname lookup '${target}' failed - failed to get address info for: ${target}: Name or service not known`);
    }
    if (target === listener.node) return undefined;
    const mode = core.faults.offlineMode(target);
    if (mode === 'timeout') {
      await core.clock.holdRequest(core.options.proxyTimeoutMs, signal);
      return emptyReply(595, 'Connection timed out');
    }
    if (mode === 'refuse' || core.faults.listenerRefuses(target)) {
      return emptyReply(595, 'Errors during connection establishment, proxy handshake: Connection refused');
    }
    return undefined;
  }

  private async ticketEndpoint(method: string, req: IncomingMessage, url: URL, body: Buffer, signal: AbortSignal): Promise<Reply> {
    if (method === 'GET') return resultReply({ data: null });
    if (method !== 'POST') return errorReply(501, `Method '${method} ${TICKET_PATH}' not implemented`);
    if (apiTokenHeader(header(req, 'authorization')) !== undefined) {
      return errorReply(403, `URI '${TICKET_PATH}' not available with API token, need proper ticket.`);
    }
    let params;
    try {
      const merged = { ...parseBody(req, body), ...Object.fromEntries(url.searchParams) };
      params = verifyParams(PARAM_TABLE[`POST ${TICKET_PATH}`] ?? {}, merged);
    } catch (error) {
      if (error instanceof ParamError) return errorReply(400, error.message, error.errors);
      if (error instanceof ApiError) return errorReply(error.status, error.message, error.errors);
      throw error;
    }
    try {
      const realm = params.realm === undefined ? undefined : String(params.realm);
      return resultReply({
        data: this.core.auth.login({ username: String(params.username), password: String(params.password), ...(realm ? { realm } : {}) }),
      });
    } catch (error) {
      if (error instanceof AuthError) return this.unauthorized(error, signal);
      throw error;
    }
  }

  private write(listener: Listener, res: ServerResponse, reply: Reply, gzip: boolean): void {
    if (res.headersSent || res.destroyed) return;
    const { faults } = this.core;
    let body = reply.body;
    const json = reply.headers['content-type']?.startsWith('application/json') ?? false;
    if (reply.status === 200 && json && faults.hit('malformed', listener.node)) {
      body = Buffer.concat([body.subarray(0, Math.max(1, Math.floor(body.length / 2))), Buffer.from('<html>')]);
    }
    // As pveproxy answers (PVE::APIServer::AnyEvent::response): a body over 1024 bytes is gzipped
    // when the client accepts gzip.
    const encoding: Record<string, string> = {};
    if (gzip && body.length > 1024 && !reply.headers['content-encoding']) {
      body = gzipSync(body);
      encoding['content-encoding'] = 'gzip';
    }
    const headers = {
      server: 'pve-api-daemon/3.0',
      'cache-control': 'max-age=0',
      pragma: 'no-cache',
      expires: new Date(this.core.clock.now()).toUTCString(),
      ...reply.headers,
      ...encoding,
      'content-length': String(body.length),
    };
    res.writeHead(reply.status, safeReason(reply.reason), headers);
    if (faults.hit('drop', listener.node)) {
      // Cut the connection mid-response: headers and part of the body, then a reset.
      res.flushHeaders();
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
      return;
    }
    res.end(body);
  }
}

const JSON_TYPE = 'application/json;charset=UTF-8';

/** Whether the request's Accept-Encoding names gzip (pveproxy looks for it the same way). */
function acceptsGzip(req: IncomingMessage): boolean {
  return /\bgzip\b/i.test(String(req.headers['accept-encoding'] ?? ''));
}

function resultReply(result: ApiResult): Reply {
  if ('raw' in result) {
    return { status: result.raw.status, reason: 'OK', headers: result.raw.headers, body: result.raw.body };
  }
  const envelope: Record<string, unknown> = { data: result.data };
  if (result.total) envelope.total = result.total;
  return { status: 200, reason: 'OK', headers: { 'content-type': JSON_TYPE }, body: Buffer.from(JSON.stringify(envelope)) };
}

/** `{data:null, errors?, message}`; the reason phrase is the message's first line. */
export function errorReply(status: number, message: string, errors?: Record<string, string>): Reply {
  const text = message.endsWith('\n') ? message : `${message}\n`;
  const envelope: Record<string, unknown> = { data: null };
  if (errors) envelope.errors = errors;
  envelope.message = text;
  return { status, reason: text.split('\n')[0]!, headers: { 'content-type': JSON_TYPE }, body: Buffer.from(JSON.stringify(envelope)) };
}

function emptyReply(status: number, reason: string): Reply {
  return { status, reason, headers: {}, body: Buffer.alloc(0) };
}

function safeReason(reason: string): string {
  // A reason phrase is one line of Latin-1 text.
  return reason.replace(/[^\x20-\x7e\xa0-\xff]/g, '?').slice(0, 512) || 'Error';
}
