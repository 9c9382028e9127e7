// Property tests of the API boundary: random JSON shapes, and valid PVE answers with random parts
// replaced, go through every shape-checked reader of src/tasks/answers.ts and through poll cycles of
// the real poller (a runtime whose client answers every GET and POST with that random data). A reader
// never throws (but `/status`, which fails with PVE's own protocol error), a cycle always completes
// and counts, and no string that reaches a reader's result or the store holds an unsafe character.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { PveApiError, type PveClient } from '../../../src/api/index.js';
import {
  readClusterStatus,
  readClusterTasks,
  readGuests,
  readNodeTasks,
  readSnapshotNames,
  readStorages,
  readTaskLog,
  readTaskStatus,
} from '../../../src/tasks/answers.js';
import type { LogTails } from '../../../src/tasks/poller/log-tail.js';
import { createRuntime } from '../../../src/tasks/runtime.js';
import type { LaunchSpec, TaskStore } from '../../../src/tasks/store.js';
import { formatUpid } from '../../../src/tasks/upid.js';
import { ManualClock, MANUAL_CLOCK_EPOCH } from '../../../src/util/clock.js';
import { isSafeText } from '../../../src/util/sanitize.js';
import { ATTACKS, HOSTILE } from './attacks.js';

const START = Math.floor(MANUAL_CLOCK_EPOCH / 1000) - 60;
const upid = (node: string, n: number, type: string, id: string) =>
  formatUpid({ node, pid: 0x2000 + n, pstart: 0xbeef, starttime: START + n, type, id, user: 'root@pam' });
const UPIDS = [upid('pve1', 1, 'qmstart', '100'), upid('pve2', 2, 'vzdump', '101'), upid('pve1', 3, 'qmsnapshot', '102')];

/** Answers as PVE sends them, one per request kind: what the mutations start from. */
const VALID: Record<string, { data: unknown; total?: unknown }> = {
  '/cluster/tasks': {
    data: [
      {
        upid: UPIDS[0],
        node: 'pve1',
        type: 'qmstart',
        id: '100',
        user: 'root@pam',
        starttime: START + 1,
        status: 'OK',
        endtime: START + 5,
      },
      { upid: UPIDS[1], node: 'pve2', type: 'vzdump', id: '101', user: 'root@pam', starttime: START + 2, pid: 77 },
    ],
  },
  '/nodes/{node}/tasks': {
    data: [
      { upid: UPIDS[1], node: 'pve2', status: 'RUNNING', starttime: START + 2 },
      { upid: UPIDS[2], node: 'pve1', status: 'WARNINGS: 1', starttime: START + 3, endtime: START + 9 },
    ],
    total: 2,
  },
  '/nodes/{node}/tasks/{upid}/status': { data: { status: 'stopped', exitstatus: 'OK', upid: UPIDS[0] } },
  '/nodes/{node}/tasks/{upid}/log': {
    data: [
      { n: 1, t: 'INFO: starting new backup job: vzdump 101 --storage local' },
      { n: 2, t: 'INFO: status: 42% (1.0 GiB of 2.0 GiB), sparse 0% (0 B), duration 10, read/write 100 MiB/s' },
      { n: 3, t: 'TASK OK' },
    ],
    total: 3,
  },
  '/cluster/resources': {
    data: [
      { type: 'qemu', vmid: 100, node: 'pve1', name: 'web', status: 'running', template: 0, tags: 'prod' },
      { type: 'lxc', vmid: 101, node: 'pve2', name: 'db', status: 'stopped', hastate: 'started' },
      { type: 'storage', id: 'storage/pve1/local', node: 'pve1' },
    ],
  },
  '/nodes/{node}/qemu/{vmid}/snapshot': { data: [{ name: 'current' }, { name: 'pre-test', description: 'before' }] },
  '/nodes/{node}/storage': { data: [{ storage: 'local', active: 1, content: 'backup,iso' }] },
  '/cluster/status': {
    data: [
      { type: 'cluster', name: 'lab' },
      { type: 'node', name: 'pve1' },
      { type: 'node', name: 'pve2' },
    ],
  },
  '/nodes/{node}/qemu/{vmid}/status/start': { data: UPIDS[0] },
};
const PATHS = Object.keys(VALID);

/** Text as a hostile server writes it: every attack, raw controls, lone surrogates, any code point. */
const char = fc.oneof(
  fc.constantFrom(
    '\u001b',
    '\u009b',
    '\u009d',
    '\u0090',
    '\u009c',
    '\u0007',
    '\u0000',
    '\u202e',
    '\u2066',
    '\u061c',
    '\ud800',
    '\udc00',
    '\r',
    '\n',
    '\t',
    '\u007f',
  ),
  fc.constantFrom('[', ']', 'P', '\\', ';', '2', 'J', 'a', ' '),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const text = fc.oneof(
  fc.string({ unit: char, maxLength: 30 }),
  fc.constantFrom(...Object.values(ATTACKS), HOSTILE, ...UPIDS, 'OK', 'pve1', '..'),
);
const KEYS = ['upid', 'status', 'exitstatus', 'endtime', 'starttime', 't', 'n', 'name', 'node', 'vmid', 'type', 'storage', 'active'];
const key = fc.oneof(fc.constantFrom(...KEYS), text);

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  ),
}));

/** A change to a valid answer: one field of one item replaced (or removed), or one item replaced. */
interface Mutation {
  item: number;
  key: string | null;
  value: unknown;
}
// Mostly text (a hostile string where PVE puts a string is the likeliest attack), else any value or none.
const mutation: fc.Arbitrary<Mutation> = fc.record({
  item: fc.nat(4),
  key: fc.option(fc.constantFrom(...KEYS)),
  value: fc.oneof({ weight: 3, arbitrary: text }, { weight: 2, arbitrary: value }, { weight: 1, arbitrary: fc.constant(undefined) }),
});

function mutate(answer: { data: unknown; total?: unknown }, mutations: Mutation[]) {
  const data = structuredClone(answer.data) as unknown;
  for (const change of mutations) {
    if (!Array.isArray(data)) {
      if (data && typeof data === 'object' && change.key) (data as Record<string, unknown>)[change.key] = change.value;
      continue;
    }
    const index = change.item % (data.length + 1);
    const item = data[index];
    if (change.key && item && typeof item === 'object') (item as Record<string, unknown>)[change.key] = change.value;
    else data[index] = change.value;
  }
  return { data, total: answer.total };
}

/** An answer for `path`: any JSON shape at all, or PVE's valid one with random parts. */
const answerFor = (path: string) =>
  fc.oneof(
    fc.record({ data: value, total: fc.option(value, { nil: undefined }) }),
    fc.array(mutation, { minLength: 1, maxLength: 4 }).map((mutations) => mutate(VALID[path]!, mutations)),
  );

type Answers = Record<string, Array<{ data: unknown; total?: unknown }>>;

/**
 * A client whose every GET answers the next of the answers given for its path (lxc paths read the qemu
 * ones), and every POST (a launch) the next of the start answers.
 */
function fakeClient(answers: Answers): PveClient {
  const used = new Map<string, number>();
  const next = async (path: string) => {
    const list = answers[path] ?? [{ data: null }];
    const n = used.get(path) ?? 0;
    used.set(path, n + 1);
    return list[n % list.length];
  };
  return {
    userid: 'root@pam',
    endpoint: 'https://pve1:8006',
    endpoints: ['https://pve1:8006'],
    connection: { endpoint: 'https://pve1:8006' },
    watchConnection: () => () => {},
    auth: 'token',
    GET: ((path: string) => next(path.replace('/lxc/', '/qemu/'))) as PveClient['GET'],
    POST: (() => next('/nodes/{node}/qemu/{vmid}/status/start')) as unknown as PveClient['POST'],
    DELETE: (async () => ({ data: null })) as unknown as PveClient['DELETE'],
    login: async () => {},
    ensureAuthenticated: async () => {},
    close: async () => {},
  };
}

/** Every string anywhere in `value` is one the sanitizer would leave as it is; returns how many were seen. */
function assertAllSafe(value: unknown, where: string, seen = new Set<unknown>()): number {
  if (typeof value === 'string') {
    assert.ok(isSafeText(value), `${where}: ${JSON.stringify(value).slice(0, 200)}`);
    return 1;
  }
  if (!value || typeof value !== 'object' || seen.has(value)) return 0;
  seen.add(value);
  let count = 0;
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  for (const [name, item] of entries) count += assertAllSafe(item, `${where}.${String(name)}`, seen);
  return count;
}

const READERS: Record<string, (client: PveClient) => Promise<unknown>> = {
  '/cluster/tasks': (client) => readClusterTasks(client),
  '/nodes/{node}/tasks': (client) => readNodeTasks(client, 'pve1', { source: 'active', limit: 50 }),
  '/nodes/{node}/tasks/{upid}/status': (client) =>
    readTaskStatus(client, UPIDS[0]!).catch((error: unknown) => {
      // PVE's answer that is not a status fails like one that is not PVE JSON: that, and nothing else.
      assert.ok(error instanceof PveApiError && error.kind === 'protocol', String(error));
      return undefined;
    }),
  '/nodes/{node}/tasks/{upid}/log': (client) => readTaskLog(client, 'pve1', UPIDS[1]!, { start: 0, limit: 50 }),
  '/cluster/resources': (client) => readGuests(client),
  '/nodes/{node}/qemu/{vmid}/snapshot': (client) => readSnapshotNames(client, { node: 'pve1', vmid: 100, guestType: 'qemu' }),
  '/nodes/{node}/storage': (client) => readStorages(client, 'pve1', 'backup'),
  '/cluster/status': (client) => readClusterStatus(client),
};

describe('the shape-checked readers, on random answers', () => {
  for (const [path, read] of Object.entries(READERS)) {
    test(`${path}: never throws, every string it returns is safe`, async () => {
      await fc.assert(
        fc.asyncProperty(answerFor(path), async (answer) => {
          const result = await read(fakeClient({ [path]: [answer] }));
          assertAllSafe(result, path);
        }),
        { numRuns: 500 },
      );
    });
  }
});

const LAUNCHES: LaunchSpec[] = [
  { action: 'start', node: 'pve1', guests: [{ vmid: 100, type: 'qemu', name: 'web' }], params: {} },
  { action: 'snapshot', node: 'pve1', guests: [{ vmid: 102, type: 'qemu' }], params: { snapname: 'pre-test' } },
  {
    action: 'backup',
    node: 'pve2',
    guests: [
      { vmid: 101, type: 'lxc' },
      { vmid: 103, type: 'lxc' },
    ],
    params: { storage: 'local', mode: 'snapshot', compress: 'zstd' },
  },
];

/** Fails instead of hanging: a cycle that never completes is one of the things this test looks for. */
async function completes<T>(work: Promise<T>, what: string): Promise<T> {
  const guard = new AbortController();
  try {
    return await Promise.race([
      work,
      delay(10_000, undefined, { signal: guard.signal }).then(() => assert.fail(`${what} did not complete`)),
    ]);
  } finally {
    guard.abort();
  }
}

function storeStrings(store: TaskStore): number {
  const state = store.getState();
  const keys = new Set([...state.order.cluster, ...state.order.mine]);
  let count = 0;
  for (const key of keys) count += assertAllSafe(state.row(key), `row ${key}`);
  count += assertAllSafe(state.guests, 'guests');
  count += assertAllSafe(state.nodes, 'nodes');
  count += assertAllSafe(state.focusLog, 'focusLog');
  count += assertAllSafe(state.message, 'message');
  return count;
}

describe('poll cycles of the real poller, on random answers', () => {
  test('every cycle completes and counts; the store holds only safe strings', async () => {
    const answers = fc.record(Object.fromEntries(PATHS.map((path) => [path, fc.array(answerFor(path), { minLength: 1, maxLength: 3 })])));
    await fc.assert(
      fc.asyncProperty(answers, async (table) => {
        const clock = new ManualClock();
        const runtime = createRuntime({
          client: fakeClient(table as Answers),
          clock,
          scope: 'cluster',
          watchAfterTimeout: true,
          resourcesEveryMs: 1,
        });
        try {
          const { store, poller } = runtime;
          for (const id of UPIDS) runtime.tracker.track(id);
          runtime.queue.enqueue(LAUNCHES);
          // Enough cycles for every part: the listing, nodes, archive and /status, resources, post-checks, progress tails (every 5th).
          for (let cycle = 1; cycle <= 6; cycle++) {
            await completes(poller.pollOnce(), `cycle ${cycle}`);
            assert.equal(store.getState().poll.cycles, cycle);
          }
          // The detail view's tail of a task's log (what the focus loop runs every second).
          const focused = store.getState().order.cluster[0];
          runtime.actions.focusTask(focused);
          const tails = (poller as unknown as { tails: LogTails }).tails;
          await completes(tails.pollFocus(new AbortController().signal), 'the focused log tail');
          assert.ok(storeStrings(store) > 0, 'the store holds text to check');
        } finally {
          await runtime.close();
        }
      }),
      { numRuns: 120 },
    );
  });
});
