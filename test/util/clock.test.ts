import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { ManualClock } from '../../src/util/clock.js';

test('sleepers wake in due order and only when time reaches them', async () => {
  const clock = new ManualClock(1_000);
  const woke: string[] = [];
  void clock.sleep(300).then(() => woke.push('b'));
  void clock.sleep(100).then(() => woke.push('a'));
  await clock.advance(99);
  assert.deepEqual(woke, []);
  await clock.advance(200);
  assert.deepEqual(woke, ['a']);
  assert.equal(clock.now(), 1_299);
  await clock.advance(1);
  assert.deepEqual(woke, ['a', 'b']);
});

test('an aborted sleep rejects and leaves the queue', async () => {
  const clock = new ManualClock();
  const controller = new AbortController();
  const sleeping = clock.sleep(1_000, controller.signal);
  controller.abort();
  await assert.rejects(sleeping, { name: 'AbortError' });
  assert.equal(clock.pendingSleepers, 0);
});

test('runUntil waits for real I/O before moving time, and jumps over idle periods', async () => {
  const clock = new ManualClock(0);
  // A server that holds each request 5 s of clock time, like the simulator's latency fault.
  const server = createServer(async (_req, res) => {
    await clock.holdRequest(5_000);
    res.end(String(clock.now()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const poll = async () => {
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const body = await clock.track(fetch(`http://127.0.0.1:${port}/`).then((r) => r.text()));
      seen.push(body);
      await clock.sleep(2_000);
    }
    return seen;
  };
  const seen = await clock.runUntil(poll());
  server.close();
  assert.deepEqual(seen, ['5000', '12000', '19000']);
  assert.equal(clock.now(), 21_000);
});

test('runUntil refuses to hang when nothing is scheduled', async () => {
  const clock = new ManualClock();
  await assert.rejects(clock.runUntil(new Promise(() => {})), /nothing sleeps on the clock/);
});
