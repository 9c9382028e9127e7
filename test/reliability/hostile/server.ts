/**
 * A small hostile server that speaks enough of the PVE API for every request pvetasks makes: the table
 * of routes in routes.ts, answering from a tiny cluster, and one hostility mode (for every route, or
 * per route) that decides how each answer is spoiled.
 *
 * Data modes (`clean`, `strings`, `types`): each route decides what the mode means for its fields
 * (routes.ts). Transport modes, the same for every route whatever it would have answered:
 * - `errors`: an HTTP error whose reason phrase (written raw, as no HTTP library would) and JSON body
 *   (message, parameter errors and their names) carry every attack;
 * - `scalar`: a hostile string where the list or object belongs (and where a task id belongs);
 * - `huge`: a declared body of 512 MiB, streamed until the client hangs up;
 * - `endless`: a chunked body that never ends until the client hangs up;
 * - `deep`: JSON nested 100 000 levels deep.
 * A streamed body stops at STREAM_SAFETY_BYTES whatever the client does, so a client without an answer
 * cap fails a test instead of eating the machine's memory.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { HOSTILE, hostile } from './attacks.js';
import { findRoute, type ClusterState, type DataMode } from './routes.js';

export { BACKUP_STORAGE, FOREIGN_TASKS, GUESTS, NODES, type DataMode } from './routes.js';

export type TransportMode = 'errors' | 'scalar' | 'huge' | 'endless' | 'deep';
export type Mode = DataMode | TransportMode;

export const TOKEN = 'root@pam!hostile=4b0ab1e4-5c2d-4e0f-9a57-3c1d2e6f7a80';
export const TOKEN_USER = 'root@pam!hostile';
export const USERNAME = 'root@pam';
export const PASSWORD = 'hostile-secret';

/** More than any answer cap should let through (32 MiB), little enough for a test machine to buffer. */
export const STREAM_SAFETY_BYTES = 64 * 1024 * 1024;
export const DECLARED_HUGE_BYTES = 512 * 1024 * 1024;
const DEEP_LEVELS = 100_000;

export interface HostileServer extends ClusterState {
  readonly url: string;
  /** The mode of every route without one of its own. */
  mode: Mode;
  /** Per-route modes (by the route's path as in the table, e.g. `/cluster/tasks`). */
  readonly routeModes: Map<string, Mode>;
  /** `METHOD path?query` of every request, in order. */
  readonly requests: string[];
  /** Bytes of body written by each streamed answer (huge, endless), in order. */
  readonly streamed: number[];
  close(): Promise<void>;
}

export async function startHostileServer(mode: Mode = 'strings'): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  const server: HostileServer = {
    url: '',
    mode,
    routeModes: new Map(),
    requests: [],
    streamed: [],
    launched: [],
    snapshots: new Map(),
    user: TOKEN_USER,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => http.close(resolve));
    },
  };

  const http = createServer(async (req, res) => {
    const body = new URLSearchParams(await readBody(req));
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname).replace(/^\/api2\/json/, '');
    server.requests.push(`${req.method} ${path}${url.search}`);
    const found = findRoute(req.method ?? '', path);
    if (!found) return rawAnswer(req.socket, 501, 'Method not implemented', { data: null });
    const modeHere = server.routeModes.get(found.route.path) ?? server.mode;
    switch (modeHere) {
      case 'errors':
        return hostileError(req, found.route.path);
      case 'huge':
      case 'endless':
        return stream(res, modeHere, server);
      case 'scalar':
        return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ data: HOSTILE, total: HOSTILE }));
      case 'deep':
        return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(deepJson());
      default: {
        const text = (clean: string) => (modeHere === 'strings' ? hostile(clean) : clean);
        const answer = found.route.answer({ mode: modeHere, params: found.params, query: url.searchParams, body, text, state: server });
        res.writeHead(200, { 'Content-Type': 'application/json;charset=UTF-8' }).end(JSON.stringify(answer));
      }
    }
  });
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  (server as { url: string }).url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return server;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8');
    // Only what a form body of ours can hold is kept: a test client never sends more.
    req.on('data', (chunk: string) => {
      if (text.length < 1_000_000) text += chunk;
    });
    req.on('end', () => resolve(text));
  });
}

/** Bytes of a raw reason phrase: every attack, the C1 controls as single bytes (Latin-1), as a broken server may send them. */
const HOSTILE_REASON = Buffer.concat([
  Buffer.from('Internal Server Error '),
  Buffer.from(HOSTILE.replace(/[\r\n]/g, ''), 'latin1'),
  Buffer.from(' ', 'utf8'),
  Buffer.from(HOSTILE.replace(/[\r\n]/g, ''), 'utf8'),
]);

/** Statuses that take different paths in the client: a refused login, a proxy's node error, a parameter error, a server error. */
function statusFor(path: string): number {
  if (path === '/version' || path === '/access/ticket') return 401;
  if (path.endsWith('/status/start') || path.endsWith('/vzdump') || path.endsWith('/snapshot')) return 400;
  if (path === '/nodes/{node}/tasks') return 595;
  return 500;
}

function hostileError(req: IncomingMessage, path: string): void {
  const body = Buffer.from(
    JSON.stringify({ data: null, message: `${HOSTILE}\n`, errors: { [hostile('vmid')]: hostile('value'), upid: HOSTILE } }),
  );
  rawAnswer(req.socket, statusFor(path), HOSTILE_REASON, body);
}

/** An answer written straight to the socket: node's own writer refuses a reason phrase with controls. */
function rawAnswer(socket: Socket, status: number, reason: string | Buffer, body: unknown): void {
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  const head = `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 ${status} `), Buffer.from(reason), Buffer.from(`\r\n${head}`), payload]));
}

/** A body that is too big (declared or not): written as fast as the client reads, until it hangs up or the safety stop. */
function stream(res: ServerResponse, mode: 'huge' | 'endless', server: HostileServer): void {
  const index = server.streamed.push(0) - 1;
  const headers: Record<string, string | number> = { 'Content-Type': 'application/json' };
  if (mode === 'huge') headers['Content-Length'] = DECLARED_HUGE_BYTES;
  res.writeHead(200, headers);
  const chunk = Buffer.from(`"${'x'.repeat(64 * 1024 - 3)}",`);
  let sent = 0;
  const pump = () => {
    while (!res.destroyed) {
      if (sent >= STREAM_SAFETY_BYTES) return void res.destroy();
      if (sent === 0) res.write('{"data":[');
      sent += chunk.length;
      server.streamed[index] = sent;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
  };
  res.on('close', () => res.destroy());
  pump();
}

function deepJson(): string {
  return `{"data":${'['.repeat(DEEP_LEVELS)}${']'.repeat(DEEP_LEVELS)},"total":1}`;
}
