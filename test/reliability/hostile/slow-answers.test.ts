// An answer that takes longer than a poll cycle (a slow node, or a hostile one streaming a body until
// the 32 MiB cap) must not be asked for again every cycle: each would hold another connection and up
// to 32 MiB, and together they starved the board of CPU. The poller asks again once the last one ended.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PveClient } from '../../../src/api/index.js';
import { createRuntime } from '../../../src/tasks/runtime.js';
import { ManualClock } from '../../../src/util/clock.js';

/** A client whose answers to `slowPath` arrive only when the test says so; everything else is an empty list at once. */
function clientWithSlow(slowPath: string) {
  const asked: Record<string, number> = {};
  const pending: Array<() => void> = [];
  const client = {
    userid: 'root@pam',
    endpoint: 'https://pve1:8006',
    endpoints: ['https://pve1:8006'],
    connection: { endpoint: 'https://pve1:8006' },
    watchConnection: () => () => {},
    auth: 'token',
    GET: ((path: string) => {
      asked[path] = (asked[path] ?? 0) + 1;
      // Sys.Audit on /: /cluster/tasks is what lists the cluster's tasks.
      if (path === '/access/permissions') return Promise.resolve({ data: { '/': { 'Sys.Audit': 1 } } });
      if (path !== slowPath) return Promise.resolve({ data: [] });
      return new Promise((resolve) => pending.push(() => resolve({ data: [] })));
    }) as unknown as PveClient['GET'],
    POST: (async () => ({ data: null })) as unknown as PveClient['POST'],
    DELETE: (async () => ({ data: null })) as unknown as PveClient['DELETE'],
    login: async () => {},
    ensureAuthenticated: async () => {},
    close: async () => {},
  } satisfies PveClient;
  return { client, asked, answer: () => pending.splice(0).forEach((resolve) => resolve()) };
}

for (const path of ['/cluster/resources', '/cluster/tasks']) {
  test(`a ${path} answer slower than many cycles is asked for once, and again once it came`, async () => {
    const clock = new ManualClock();
    const { client, asked, answer } = clientWithSlow(path);
    const runtime = createRuntime({ client, clock, intervalMs: 2000, scope: 'cluster', resourcesEveryMs: 2000 });
    try {
      runtime.poller.start();
      await clock.advance(60_000);
      const cycles = runtime.store.getState().poll.cycles;
      assert.ok(cycles >= 5, `${cycles} cycles ran meanwhile`);
      assert.equal(asked[path], 1, `${path} asked ${asked[path]} times while its first answer was still coming`);
      answer();
      await clock.advance(10_000);
      assert.ok(asked[path]! >= 2, 'asked again after it answered');
    } finally {
      await runtime.close();
    }
  });
}
