// What a hostile or broken server may send the client: huge and endless bodies, deep nesting, bodies
// that are not JSON, status lines that are not HTTP. Each meets a clear one-line PveApiError, and
// nothing is buffered past the cap. The servers here are raw node:http ones, answering as told.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import { PveApiError, createPveClient, type PveClientOptions } from '../../src/api/index.js';
import { failureKind } from '../../src/api/failures.js';
import { retrying } from '../../src/util/backoff.js';
import { ManualClock } from '../../src/util/clock.js';
import { assertNoSecret } from './support.js';

const SECRET = '0b7e4f2c-1111-2222-3333-444455556666';
const TOKEN = `root@pam!ci=${SECRET}`;
const MiB = 1024 * 1024;
// What a terminal acts on: C0 and C1 controls, DEL, bidi controls.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

interface RawServer {
  url: string;
  /** Requests answered, by `METHOD /path`. */
  requests: string[];
  connections: number;
  /** Body bytes the server got written into its sockets. */
  bytesWritten: number;
  /** Resolves when every connection the server had is closed. */
  allClosed(): Promise<void>;
  close(): Promise<void>;
}

async function rawServer(answer: (request: IncomingMessage, response: ServerResponse, server: RawServer) => void): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const closedWaiters: Array<() => void> = [];
  const http = createServer((request, response) => {
    state.requests.push(`${request.method} ${request.url}`);
    answer(request, response, state);
  });
  http.on('connection', (socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) closedWaiters.splice(0).forEach((resolve) => resolve());
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const state: RawServer = {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    requests: [],
    connections: 0,
    bytesWritten: 0,
    allClosed: () => (sockets.size === 0 ? Promise.resolve() : new Promise((resolve) => closedWaiters.push(resolve))),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        http.close(() => resolve());
      }),
  };
  return state;
}

/** Writes `chunk` until `total` bytes (or forever), waiting for the socket to drain: a server held back by a reader that stopped. */
function stream(response: ServerResponse, server: RawServer, chunk: Buffer, total = Infinity): void {
  const pump = () => {
    while (server.bytesWritten < total && !response.destroyed) {
      server.bytesWritten += chunk.length;
      if (!response.write(chunk)) return void response.once('drain', pump);
    }
    if (!response.destroyed) response.end();
  };
  response.on('error', () => {});
  pump();
}

const clock = new ManualClock();
const clients: Array<{ close(): Promise<void> }> = [];
function client(server: RawServer, options: Partial<PveClientOptions> = {}) {
  // The clock never moves here: a failure comes from the bytes, never from a timeout.
  const made = createPveClient({ endpoint: server.url, token: TOKEN, clock, ...options });
  clients.push(made);
  return made;
}
after(() => Promise.all(clients.map((made) => made.close())));

async function failure(work: Promise<unknown>): Promise<PveApiError> {
  const caught = await work.then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(caught instanceof PveApiError, `expected a PveApiError, got ${String(caught)}`);
  assertNoSecret(caught, [SECRET]);
  return caught;
}

describe('answer size cap', () => {
  test('a 200 MB answer is refused from its declared length, before its body is read', async () => {
    const server = await rawServer((_request, response, state) => {
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(200 * 1000 * 1000) });
      stream(response, state, Buffer.alloc(64 * 1024, 0x20), 200 * 1000 * 1000);
    });
    try {
      const error = await failure(client(server).GET('/cluster/resources'));
      assert.equal(error.kind, 'protocol');
      assert.equal(error.message, `GET /cluster/resources: answer from ${server.url} larger than 32 MiB; refused`);
      await server.allClosed();
      assert.ok(server.bytesWritten < 32 * MiB, `the server got ${server.bytesWritten} bytes out before the connection closed`);
    } finally {
      await server.close();
    }
  });

  test('an answer refused for its size is not fetched again by a retrying read', async () => {
    const server = await rawServer((_request, response, state) => {
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(200 * 1000 * 1000) });
      stream(response, state, Buffer.alloc(64 * 1024, 0x20), 200 * 1000 * 1000);
    });
    try {
      // The retries' clock is the client's: runUntil sees the request in flight, however long it takes.
      const clock = new ManualClock();
      const read = retrying(() => client(server, { clock }).GET('/cluster/resources'), {
        clock,
        retryable: (error) => failureKind(error) !== 'final',
        baseMs: 1000,
        maxMs: 4000,
        retries: 3,
      });
      const error = await failure(clock.runUntil(read));
      assert.equal(failureKind(error), 'final');
      assert.deepEqual(server.requests, ['GET /api2/json/cluster/resources'], 'asked once');
    } finally {
      await server.close();
    }
  });

  test('an endless chunked body fails at the 32 MiB cap and the connection is closed', async () => {
    const server = await rawServer((_request, response, state) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.write('{"data":"');
      // Endless as far as a reader within the cap can tell; the stop keeps a broken cap from eating the machine.
      stream(response, state, Buffer.alloc(64 * 1024, 0x61), 96 * MiB);
    });
    try {
      const error = await failure(client(server).GET('/cluster/tasks'));
      assert.equal(error.kind, 'protocol');
      assert.equal(error.message, `GET /cluster/tasks: answer from ${server.url} larger than 32 MiB; refused`);
      await server.allClosed();
      // The server writes only as fast as we read: what it got out is the cap plus the sockets' buffers.
      assert.ok(server.bytesWritten >= 32 * MiB, 'read up to the cap');
      assert.ok(server.bytesWritten < 48 * MiB, `the reading went on to ${server.bytesWritten} bytes`);
    } finally {
      await server.close();
    }
  });

  test('the cap is a client option; an error answer is capped too', async () => {
    const server = await rawServer((request, response, state) => {
      const size = request.url!.includes('small') ? 1024 : 4096;
      const status = request.url!.includes('error') ? 500 : 200;
      response.writeHead(status, { 'Content-Type': 'application/json' });
      const filler = '"' + 'x'.repeat(size - 12) + '"';
      response.end(`{"data":${filler}}`.padEnd(size, ' '));
      state.bytesWritten += size;
    });
    try {
      const api = client(server, { maxAnswerBytes: 2048 });
      assert.equal(typeof (await api.GET('/version', { params: { query: { small: 1 } } } as never)).data, 'string');
      const big = await failure(api.GET('/cluster/tasks'));
      assert.match(big.message, /larger than 2 KiB; refused$/);
      const bigError = await failure(api.GET('/cluster/status', { params: { query: { error: 1 } } } as never));
      assert.equal(bigError.kind, 'protocol');
      assert.match(bigError.message, /larger than 2 KiB; refused$/);
      assert.throws(() => client(server, { maxAnswerBytes: 0 }), /maxAnswerBytes/);
    } finally {
      await server.close();
    }
  });
});

describe('gzip, as pveproxy sends it', () => {
  test('the client asks for gzip, and a gzipped answer reads as its JSON', async () => {
    const accepted: string[] = [];
    const server = await rawServer((request, response) => {
      accepted.push(String(request.headers['accept-encoding']));
      const body = gzipSync(JSON.stringify({ data: Array.from({ length: 200 }, (_, i) => ({ vmid: 100 + i, status: 'running' })) }));
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': String(body.length) });
      response.end(body);
    });
    try {
      const { data } = await client(server).GET('/cluster/resources');
      assert.equal((data as unknown[]).length, 200);
      assert.deepEqual((data as Array<{ vmid: number }>)[199], { vmid: 299, status: 'running' });
      assert.match(accepted.at(-1)!, /\bgzip\b/);
    } finally {
      await server.close();
    }
  });

  test('the cap holds for what a gzipped answer unpacks to; a body that says gzip and is not is refused', async () => {
    const server = await rawServer((request, response) => {
      const body = request.url!.includes('bomb') ? gzipSync(Buffer.alloc(4 * MiB, 0x20)) : Buffer.from('{"data":"plain, not gzip"}');
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': String(body.length) });
      response.end(body);
    });
    try {
      const api = client(server, { maxAnswerBytes: 1 * MiB });
      const bomb = await failure(api.GET('/cluster/tasks', { params: { query: { bomb: 1 } } } as never));
      assert.equal(bomb.kind, 'protocol');
      assert.match(bomb.message, /larger than 1 MiB; refused$/);
      const broken = await failure(api.GET('/cluster/status'));
      assert.equal(broken.kind, 'protocol');
      assert.equal(broken.message, `GET /cluster/status: answer from ${server.url} says it is gzip and is not; refused`);
    } finally {
      await server.close();
    }
  });
});

describe('answers that are not what PVE sends', () => {
  const nested = (depth: number) => `{"data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  let server: RawServer;
  const answers: Record<string, { status?: number; reason?: string; body: string; type?: string }> = {
    '/deep': { body: nested(1_000_000) },
    '/nested-63': { body: nested(63) },
    '/brackets-in-a-string': { body: `{"data":"${'['.repeat(10_000)}\\"${'{'.repeat(10_000)}"}` },
    '/html': { body: '<html><body>502 Bad Gateway</body></html>', type: 'text/html' },
    '/no-envelope': { body: '[1,2,3]' },
    '/access/ticket': {
      body: JSON.stringify({ data: { ticket: 'PVE:x', CSRFPreventionToken: 'y', username: '\u001b]0;owned\u0007admin@pve' } }),
    },
    '/deep-error': {
      status: 500,
      body: `{"data":null,"message":"failed\\n","errors":{"vmid":${'['.repeat(1_000_000)}1${']'.repeat(1_000_000)}}}`,
    },
    '/long-message': { status: 500, body: JSON.stringify({ data: null, message: 'x'.repeat(MiB) }) },
    '/hostile-message': {
      status: 400,
      body: JSON.stringify({
        data: null,
        message: '\u001b]52;c;ZWNobyBwd25lZA==\u0007start failed \u202eevil\u009b2J\n',
        errors: { 'vm\u001b[2Jid': 'bad \u0085 value\u0000' },
      }),
    },
    '/many-errors': {
      status: 400,
      body: JSON.stringify({ data: null, errors: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`p${i}`, 'bad'])) }),
    },
  };

  test('setup', async () => {
    server = await rawServer((request, response) => {
      const answer = answers[request.url!.replace('/api2/json', '')] ?? { body: '{"data":null}' };
      response.writeHead(answer.status ?? 200, { 'Content-Type': answer.type ?? 'application/json' });
      response.end(answer.body);
    });
  });
  after(() => server.close());
  const get = (path: string) => client(server).GET(path as '/version');

  test('deep nesting is refused before it is parsed; nesting like PVE’s and brackets inside strings are fine', async () => {
    const error = await failure(get('/deep'));
    assert.equal(error.kind, 'protocol');
    assert.equal(error.message, `GET /deep: answer from ${server.url} nested deeper than 64 levels; refused`);
    const fine = await get('/nested-63');
    assert.doesNotThrow(() => JSON.stringify(fine.data));
    assert.equal(((await get('/brackets-in-a-string')).data as unknown as string).length, 20_001);
  });

  test('a body that is not JSON, or JSON without the envelope, is a protocol error', async () => {
    const html = await failure(get('/html'));
    assert.equal(html.kind, 'protocol');
    assert.match(html.message, /answered with something that is not JSON; is it a Proxmox VE node\?$/);
    // Status 0: the answer was unreadable, which a caller must not take for a refusal (a POST's task may run).
    assert.equal(html.status, 0);
    const bare = await failure(get('/no-envelope'));
    assert.match(bare.message, /without PVE's \{data\} envelope/);
  });

  test('a login answer naming another user does not change who we say we are', async () => {
    const api = client(server, { token: undefined, username: 'root@pam', password: 'hunter2' });
    await api.login();
    assert.equal(api.userid, 'root@pam');
  });

  test('server text in an error (message, parameter errors) holds no escape sequence, control or bidi character', async () => {
    const error = await failure(get('/hostile-message'));
    for (const text of [error.message, ...Object.keys(error.errors!), ...Object.values(error.errors!)]) {
      assert.doesNotMatch(text, UNSAFE, JSON.stringify(text));
    }
    assert.equal(error.message, 'GET /hostile-message: 400 ^[start failed \uFFFDevil^[ (vm^[id: bad \uFFFD value\uFFFD)');
  });

  test('error answers: deep nesting where a text belongs, a 1 MiB message, 5000 parameter errors: one short line each', async () => {
    const deep = await failure(get('/deep-error'));
    assert.equal(deep.kind, 'http');
    assert.equal(deep.message, 'GET /deep-error: 500 failed');
    const long = await failure(get('/long-message'));
    assert.ok(long.message.length < 600, `${long.message.length} characters`);
    assert.match(long.message, /x… \[cut 1023\.\d KiB\]$/);
    const many = await failure(get('/many-errors'));
    assert.equal(Object.keys(many.errors!).length, 20);
    assert.ok(many.message.length < 400);
  });
});

describe('status lines that are not HTTP', () => {
  test('a status outside 200-599 is a protocol error; a reason phrase with an escape sequence is sanitized', async () => {
    const { createServer: createTcpServer } = await import('node:net');
    const lines: Record<string, string> = {
      '/weird': 'HTTP/1.1 700 Weird\r\n',
      '/escape': 'HTTP/1.1 500 bad \x1b]0;owned\x07 news\r\n',
    };
    const tcp = createTcpServer((socket) => {
      socket.once('data', (data) => {
        const path = /^GET (\S+)/.exec(data.toString('latin1'))![1]!.replace('/api2/json', '');
        socket.end(`${lines[path]}Content-Length: 0\r\nConnection: close\r\n\r\n`, 'latin1');
      });
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(tcp.address() as AddressInfo).port}`;
      const api = createPveClient({ endpoint: url, token: TOKEN, clock });
      clients.push(api);
      const weird = await failure(api.GET('/weird' as '/version'));
      assert.equal(weird.kind, 'protocol');
      assert.equal(weird.message, `GET /weird: ${url} answered with status 700, which is not HTTP; is it a Proxmox VE node?`);
      const escape = await failure(api.GET('/escape' as '/version'));
      assert.equal(escape.kind, 'http');
      assert.equal(escape.status, 500);
      assert.equal(escape.message, 'GET /escape: 500 bad ^[ news');
      assert.equal(escape.reason, 'bad ^[ news');
    } finally {
      tcp.close();
    }
  });
});
