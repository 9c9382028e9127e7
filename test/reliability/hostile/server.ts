/**
 * A small hostile server that speaks enough of the PVE API for every request pvetasks makes: one table
 * of routes, each answering from a tiny cluster (two nodes, three guests, a few tasks), and one
 * hostility mode that decides how each answer is spoiled.
 *
 * Data modes (each route decides what the mode means for its fields):
 * - `clean`: well-formed answers, as PVE sends them;
 * - `strings`: every string field carries every attack of attacks.ts; lists also hold items whose
 *   identity (UPID, node name) is hostile, a very long name and a 10 MB log line;
 * - `types`: a number or object where a string belongs, null items, a string where a list belongs,
 *   an object where a task id belongs; lists still hold a few good items.
 * Transport modes (the same for every route, whatever it would have answered):
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
import { formatUpid } from '../../../src/tasks/upid.js';
import { MANUAL_CLOCK_EPOCH } from '../../../src/util/clock.js';
import { HOSTILE, HUGE_LOG_LINE, LONG_TEXT, hostile } from './attacks.js';

export type DataMode = 'clean' | 'strings' | 'types';
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

export const NODES = ['pve1', 'pve2'] as const;
export const GUESTS = [
  { vmid: 100, type: 'qemu', node: 'pve1', name: 'web', status: 'stopped' },
  { vmid: 101, type: 'lxc', node: 'pve2', name: 'db', status: 'stopped' },
  { vmid: 102, type: 'qemu', node: 'pve1', name: 'app', status: 'running' },
] as const;
/** The storage a backup may use in every data mode. */
export const BACKUP_STORAGE = 'backup-nfs';

const START = Math.floor(MANUAL_CLOCK_EPOCH / 1000) - 600;
const upid = (node: string, n: number, type: string, id: string, user: string) =>
  formatUpid({ node, pid: 0x1000 + n, pstart: 0xc0ffee, starttime: START + n, type, id, user });

interface Task {
  upid: string;
  node: string;
  type: string;
  id: string;
  user: string;
  starttime: number;
  /** Undefined while running. */
  status?: (mode: DataMode) => string;
}

/** Other users' tasks, always there: one running, two finished. */
export const FOREIGN_TASKS: Task[] = [
  { upid: upid('pve1', 1, 'qmigrate', '102', 'ops@pve'), node: 'pve1', type: 'qmigrate', id: '102', user: 'ops@pve', starttime: START + 1 },
  taskOf(upid('pve2', 2, 'vzdump', '101', 'backup@pam'), (mode) => (mode === 'clean' ? 'OK' : hostile('job errors'))),
  taskOf(upid('pve1', 3, 'qmstart', '100', 'root@pam'), () => 'OK'),
];

function taskOf(id: string, status?: Task['status']): Task {
  const [, node, , , start, type, worker, user] = id.split(':');
  return { upid: id, node: node!, type: type!, id: worker!, user: user!, starttime: parseInt(start!, 16), ...(status ? { status } : {}) };
}

/** What a route's answer is made from. */
interface Ask {
  mode: DataMode;
  params: Record<string, string>;
  query: URLSearchParams;
  body: URLSearchParams;
  /** `clean`, or followed by every attack in the strings mode. */
  text(clean: string): string;
  server: HostileServer;
}

/** PVE's `{data}` (with `total` for lists that page). */
type Answer = { data: unknown; total?: unknown };

interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  answer(ask: Ask): Answer;
}

const data = (value: unknown): Answer => ({ data: value });

/** Items every list of the strings mode adds: identities no client may take (controls in UPID and node). */
const HOSTILE_TASK_ITEMS = [
  { upid: hostile('UPID:pve1:00001234:00C0FFEE:6745A000:qmstart:100:root@pam:'), node: 'pve1', type: 'qmstart', user: 'root@pam' },
  { upid: `UPID:pve1:00001235:00C0FFEE:6745A000:qmstart:100:root@pam${HOSTILE.replace(/[\s:/]/g, '')}:`, node: 'pve1' },
];
/** Items every list of the types mode adds: nothing a client can read as an entry. */
const WRONG_ITEMS = [null, 7, 'UPID:pve1:', [1, 2], { upid: 42 }, { upid: { nested: HOSTILE } }];

function taskItem(task: Task, ask: Ask) {
  const finished = task.status !== undefined;
  if (ask.mode === 'types') {
    // Identity right, everything else of the wrong type (a client reads what it needs, no more).
    return {
      upid: task.upid,
      node: 5,
      type: null,
      id: [task.id],
      user: { name: task.user },
      starttime: String(task.starttime),
      pid: 'x',
      ...(finished ? { status: task.status!('types'), endtime: String(task.starttime + 5) } : {}),
    };
  }
  return {
    upid: task.upid,
    node: task.node,
    type: task.type,
    id: ask.text(task.id),
    user: task.user,
    starttime: task.starttime,
    pstart: 0xc0ffee,
    saved: ask.text('1'),
    ...(finished ? { status: task.status!(ask.mode), endtime: task.starttime + 5 } : { pid: 4321 }),
  };
}

/** A list as the mode makes it: good items, plus hostile or wrong ones. */
function list(ask: Ask, good: unknown[], hostileItems: unknown[] = HOSTILE_TASK_ITEMS): unknown[] {
  if (ask.mode === 'strings') return [...good, ...hostileItems];
  if (ask.mode === 'types') return [...good, ...WRONG_ITEMS];
  return good;
}

function logLines(ask: Ask): unknown[] {
  if (ask.mode === 'types') return [null, { n: 1, t: 5 }, { n: 2, t: 'a plain line' }, 'a string', { n: 4, t: { a: HOSTILE } }];
  const lines =
    ask.mode === 'clean'
      ? ['starting', 'TASK OK']
      : [ask.text('starting'), HUGE_LOG_LINE, ask.text('INFO: 50% done'), `TASK ERROR: ${HOSTILE}`];
  return lines.map((t, i) => ({ n: i + 1, t }));
}

/** The answer to a launch: a UPID the server then knows, its exit status given by the mode at read time. */
function launch(ask: Ask, type: string, node: string, id: string): Answer {
  const server = ask.server;
  const task = taskOf(upid(node, 100 + server.launched.length, type, id, server.user), (mode) =>
    mode === 'clean' ? 'OK' : mode === 'types' ? 'OK' : hostile('start failed'),
  );
  server.launched.push(task);
  return data(task.upid);
}

const ROUTES: Route[] = [
  {
    method: 'GET',
    path: '/version',
    answer: (ask) => data({ version: ask.text('8.2.4'), release: ask.text('8.2'), repoid: ask.text('faa83925') }),
  },
  {
    method: 'POST',
    path: '/access/ticket',
    answer: (ask) =>
      ask.mode === 'types'
        ? data({ ticket: 5, CSRFPreventionToken: { token: 1 }, username: ['root@pam'] })
        : data({
            ticket: `PVE:root@pam:6745A000::${ask.text('signature')}`,
            CSRFPreventionToken: '6745A000:csrf',
            username: ask.text(USERNAME),
          }),
  },
  {
    method: 'GET',
    path: '/cluster/status',
    answer: (ask) =>
      data(
        list(
          ask,
          [
            { type: 'cluster', name: ask.mode === 'types' ? { name: 'c' } : ask.text('cluster'), nodes: 2 },
            ...NODES.map((name) => ({ type: 'node', name, online: 1 })),
          ],
          [
            { type: 'node', name: hostile('pve9') },
            { type: 'node', name: '..' },
          ],
        ),
      ),
  },
  {
    method: 'GET',
    path: '/cluster/resources',
    answer: (ask) => {
      const guests = GUESTS.map((guest, i) =>
        ask.mode === 'types'
          ? { ...guest, name: 5, status: { s: 1 }, tags: ['a'], template: 'yes', lock: null, vmid: String(guest.vmid) }
          : {
              ...guest,
              name: i === 2 ? LONG_TEXT : ask.text(guest.name),
              status: guest.status,
              tags: ask.text('prod'),
              hastate: ask.mode === 'clean' ? undefined : ask.text('ignored'),
              lock: ask.mode === 'clean' ? undefined : ask.text('backup'),
            },
      );
      // Guests no request may be built for: a node that is a path step, or that holds controls.
      return data(
        list(ask, guests, [
          { ...GUESTS[0], vmid: 110, node: '..' },
          { ...GUESTS[0], vmid: 111, node: hostile('pve1') },
        ]),
      );
    },
  },
  {
    method: 'GET',
    path: '/cluster/tasks',
    answer: (ask) =>
      data(
        list(
          ask,
          [...FOREIGN_TASKS, ...ask.server.launched].map((task) => taskItem(task, ask)),
        ),
      ),
  },
  {
    method: 'GET',
    path: '/nodes',
    answer: (ask) =>
      data(
        list(
          ask,
          NODES.map((node) => ({ node: ask.text(node), status: 'online' })),
        ),
      ),
  },
  {
    method: 'GET',
    path: '/nodes/{node}/tasks',
    answer: (ask) => {
      const active = ask.query.get('source') === 'active';
      const tasks = [...FOREIGN_TASKS, ...ask.server.launched].filter(
        (task) => task.node === ask.params.node && (task.status === undefined) === active,
      );
      if (ask.mode === 'types' && active) return { data: 'not a list', total: 'many' };
      const items = list(
        ask,
        tasks.map((task) => taskItem(task, ask)),
      );
      return { data: items, total: ask.mode === 'types' ? { n: items.length } : items.length };
    },
  },
  {
    method: 'GET',
    path: '/nodes/{node}/tasks/{upid}/status',
    answer: (ask) => {
      const task = [...FOREIGN_TASKS, ...ask.server.launched].find((known) => known.upid === ask.params.upid);
      if (!task?.status) return data({ status: 'running', upid: ask.params.upid });
      if (ask.mode === 'types') return data({ status: 'stopped', exitstatus: 42 });
      return data({ status: 'stopped', exitstatus: task.status(ask.mode), upid: task.upid, node: task.node, type: ask.text(task.type) });
    },
  },
  {
    method: 'GET',
    path: '/nodes/{node}/tasks/{upid}/log',
    answer: (ask) => {
      const lines = logLines(ask);
      const start = Number(ask.query.get('start') ?? 0);
      const limit = Number(ask.query.get('limit') ?? 0) || lines.length;
      return { data: lines.slice(start, start + limit), total: ask.mode === 'types' ? 'lots' : lines.length };
    },
  },
  { method: 'DELETE', path: '/nodes/{node}/tasks/{upid}', answer: (ask) => data(ask.mode === 'types' ? { stopped: true } : ask.text('')) },
  {
    method: 'GET',
    path: '/nodes/{node}/storage',
    answer: (ask) =>
      data(
        list(
          ask,
          [{ storage: BACKUP_STORAGE, active: 1, enabled: 1, content: ask.text('backup'), type: ask.text('nfs') }],
          [
            { storage: hostile('local'), active: 1 },
            { storage: '../../etc', active: 1 },
          ],
        ),
      ),
  },
  {
    method: 'GET',
    path: '/nodes/{node}/{kind}/{vmid}/snapshot',
    answer: (ask) => {
      if (ask.mode === 'types') return data({ name: 'current' });
      const made = ask.server.snapshots.get(Number(ask.params.vmid)) ?? [];
      const names = ['current', ...made].map((name) => ({ name, description: ask.text('a snapshot') }));
      return data(list(ask, names, [{ name: hostile('pre-upgrade'), description: HOSTILE }]));
    },
  },
  {
    method: 'POST',
    path: '/nodes/{node}/{kind}/{vmid}/snapshot',
    answer: (ask) => {
      const vmid = Number(ask.params.vmid);
      ask.server.snapshots.set(vmid, [...(ask.server.snapshots.get(vmid) ?? []), ask.body.get('snapname') ?? '']);
      if (ask.mode === 'types') return data(12345);
      return launch(ask, ask.params.kind === 'qemu' ? 'qmsnapshot' : 'vzsnapshot', ask.params.node!, ask.params.vmid!);
    },
  },
  {
    method: 'POST',
    path: '/nodes/{node}/{kind}/{vmid}/status/start',
    answer: (ask) =>
      ask.mode === 'types'
        ? data({ upid: 'UPID:pve1:' })
        : launch(ask, ask.params.kind === 'qemu' ? 'qmstart' : 'vzstart', ask.params.node!, ask.params.vmid!),
  },
  {
    method: 'POST',
    path: '/nodes/{node}/vzdump',
    answer: (ask) => {
      if (ask.mode === 'types') return data(null);
      // A UPID-like answer whose user field holds controls: no client may take it for a task id.
      if (ask.mode === 'strings') return data(`UPID:${ask.params.node}:00001236:00C0FFEE:6745A000:vzdump::root@pam\u202e\u001b]0;x\u0007:`);
      const vmids = ask.body.get('vmid') ?? '';
      return launch(ask, 'vzdump', ask.params.node!, vmids.includes(',') ? '' : vmids);
    },
  },
];

const MATCHERS = ROUTES.map((route) => ({
  route,
  pattern: new RegExp(`^${route.path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`),
}));

export interface HostileServer {
  readonly url: string;
  /** The mode of every route without one of its own. */
  mode: Mode;
  /** Per-route modes (by the route's path as in the table, e.g. `/cluster/tasks`). */
  readonly routeModes: Map<string, Mode>;
  /** `METHOD path?query` of every request, in order. */
  readonly requests: string[];
  /** Bytes of body written by each streamed answer (huge, endless), in order. */
  readonly streamed: number[];
  /** Tasks this server started for POSTs, and the snapshots made. */
  readonly launched: Task[];
  readonly snapshots: Map<number, string[]>;
  /** The auth id in launched UPIDs. */
  user: string;
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
    const found = MATCHERS.find(({ route, pattern }) => route.method === req.method && pattern.test(path));
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
        const params = { ...(found.pattern.exec(path)!.groups ?? {}) };
        const text = (clean: string) => (modeHere === 'strings' ? hostile(clean) : clean);
        const answer = found.route.answer({ mode: modeHere, params, query: url.searchParams, body, text, server });
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
    req.on('data', (chunk: string) => (text += chunk.length + text.length > 1_000_000 ? '' : chunk));
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
