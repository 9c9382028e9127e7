// Plain HTTP(S) helpers for the simulator's tests: every request goes over the wire (node:http), is
// tracked on the test's ManualClock, and comes back with status, reason phrase, headers and body.
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ManualClock } from '../../src/util/clock.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/sim/index.js';

export interface HttpReply {
  status: number;
  reason: string;
  headers: IncomingHttpHeaders;
  text: string;
  body: Buffer;
  /** The parsed JSON body (undefined when empty or not JSON). */
  json: any;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Form-encoded body (values as given: booleans must already be 0/1). */
  form?: Record<string, string | number>;
  /** JSON body. */
  json?: unknown;
  /** Raw body. */
  body?: string;
  /** Trusted CA for HTTPS. */
  ca?: string;
  timeoutMs?: number;
}

export function rawRequest(url: string, options: RequestOptions = {}): Promise<HttpReply> {
  const target = new URL(url);
  const headers: Record<string, string> = { ...options.headers };
  let payload: string | undefined = options.body;
  if (options.form) {
    payload = new URLSearchParams(Object.entries(options.form).map(([k, v]): [string, string] => [k, String(v)])).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (options.json !== undefined) {
    payload = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      { method: options.method ?? 'GET', headers, ...(options.ca ? { ca: options.ca } : {}), agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, reason: res.statusMessage ?? '', headers: res.headers, text, body, json });
        });
      },
    );
    req.on('error', reject);
    if (options.timeoutMs) req.setTimeout(options.timeoutMs, () => req.destroy(new Error('client timeout')));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** A started simulator with its ManualClock and request helpers bound to it. */
export interface TestSim {
  sim: Simulator;
  clock: ManualClock;
  /** A request to `/api2/json<path>` on node `listener` (index, default 0), tracked on the clock. */
  api(path: string, options?: RequestOptions & { listener?: number; auth?: 'token' | 'none' }): Promise<HttpReply>;
  /** Advances the clock until `work` settles. */
  run<T>(work: Promise<T>): Promise<T>;
  /** Polls a task's status every second of clock time until it stopped; returns the status data. */
  waitTask(upid: string): Promise<{ status: string; exitstatus?: string; [key: string]: unknown }>;
  /** The task's whole log, as lines. */
  log(upid: string): Promise<string[]>;
  close(): Promise<void>;
}

export const nodeOf = (upid: string) => upid.split(':')[1]!;
export const enc = encodeURIComponent;

export async function startTestSim(options: SimulatorOptions = {}): Promise<TestSim> {
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock();
  const sim = await startSimulator({ unauthorizedDelayMs: 0, ...options, clock });
  const api: TestSim['api'] = (path, opts = {}) => {
    const base = sim.urls[opts.listener ?? 0]!;
    const headers: Record<string, string> = { ...opts.headers };
    if ((opts.auth ?? 'token') === 'token' && !headers.authorization && !headers.cookie) {
      headers.authorization = `PVEAPIToken=${sim.token}`;
    }
    return clock.track(rawRequest(`${base}/api2/json${path}`, { ...opts, headers, ...(sim.caPem ? { ca: sim.caPem } : {}) }));
  };
  const waitTask: TestSim['waitTask'] = (upid) =>
    clock.runUntil(
      (async () => {
        for (;;) {
          const reply = await api(`/nodes/${nodeOf(upid)}/tasks/${enc(upid)}/status`);
          if (reply.status !== 200) throw new Error(`status ${reply.status} ${reply.reason}`);
          if (reply.json.data.status === 'stopped') return reply.json.data;
          await clock.sleep(1000);
        }
      })(),
    );
  const log: TestSim['log'] = async (upid) => {
    const reply = await api(`/nodes/${nodeOf(upid)}/tasks/${enc(upid)}/log?limit=0`);
    return (reply.json.data as Array<{ t: string }>).map((line) => line.t);
  };
  return {
    sim,
    clock,
    api,
    run: (work) => clock.runUntil(work),
    waitTask,
    log,
    close: () => sim.close(),
  };
}

/** A migration log line's timestamp. */
export const STAMP = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`;
export const stamped = (text: string) => new RegExp(`^${STAMP} ${text}$`);

/** Posting migrations and running them to their end, for the migration tests. */
export function migrationHelpers(t: () => TestSim) {
  const other = (node: string) => (node === 'pve1' ? 'pve2' : 'pve1');
  const migrate = (type: 'qemu' | 'lxc', guest: { node: string; vmid: number }, form: Record<string, string | number>) =>
    t().api(`/nodes/${guest.node}/${type}/${guest.vmid}/migrate`, { method: 'POST', form });
  const run = async (reply: { status: number; json: { data: string } }) => {
    assert.equal(reply.status, 200);
    const done = await t().waitTask(reply.json.data);
    return { exitstatus: done.exitstatus as string, log: await t().log(reply.json.data), upid: reply.json.data };
  };
  return { other, migrate, run };
}
