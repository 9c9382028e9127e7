// waitForTask against a scripted client on a ManualClock: exact request times, backoff and overlap.
// The same behaviour over HTTP against the simulator is in wait-sim.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PveClient } from '../../src/api/client.js';
import { PveApiError } from '../../src/api/errors.js';
import { isNoSuchTask, isTransientError } from '../../src/api/failures.js';
import { getTaskExitStatus, isTaskRunning, waitForTask, type TaskStatus, type TaskWaitUpdate } from '../../src/tasks/wait.js';
import { InvalidUpidError } from '../../src/tasks/upid.js';
import { ManualClock } from '../../src/util/clock.js';

const UPID = 'UPID:pve2:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam!ci:';

type Answer = { status: 'running' } | { status: 'stopped'; exitstatus?: string } | { error: PveApiError };

interface Call {
  method: 'GET' | 'DELETE';
  path: string;
  node: string;
  upid: string;
  at: number;
  timeoutMs?: number;
}

/** A PveClient whose status answers come from `script(callIndex, elapsedMs)`, each taking `latencyMs`. */
function scriptedClient(clock: ManualClock, script: (call: number, elapsedMs: number) => Answer, latencyMs = 0) {
  const start = clock.now();
  const calls: Call[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let statusCalls = 0;
  const deleteErrors: PveApiError[] = [];
  const client = {
    async GET(path: string, init: { params: { path: { node: string; upid: string } }; signal?: AbortSignal; timeoutMs?: number }) {
      const call: Call = { method: 'GET', path, ...init.params.path, at: clock.now() - start };
      if (init.timeoutMs !== undefined) call.timeoutMs = init.timeoutMs;
      calls.push(call);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        const answer = script(statusCalls++, clock.now() - start);
        if (latencyMs > 0) await clock.track(clock.holdRequest(latencyMs, init.signal));
        if ('error' in answer) throw answer.error;
        const data = {
          upid: init.params.path.upid,
          node: init.params.path.node,
          pid: 1,
          pstart: 2,
          starttime: 3,
          type: 'qmstart',
          id: '100',
          user: 'root@pam',
          ...answer,
        };
        return { data: data as TaskStatus };
      } finally {
        inFlight--;
      }
    },
    async DELETE(path: string, init: { params: { path: { node: string; upid: string } } }) {
      calls.push({ method: 'DELETE', path, ...init.params.path, at: clock.now() - start });
      const error = deleteErrors.shift();
      if (error) throw error;
      return { data: null };
    },
  };
  return {
    client: client as unknown as PveClient,
    calls,
    deleteErrors,
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

const running = (): Answer => ({ status: 'running' });
const stopped = (exitstatus?: string): Answer => (exitstatus === undefined ? { status: 'stopped' } : { status: 'stopped', exitstatus });
const httpError = (status: number, reason: string, errors?: Record<string, string>) =>
  new PveApiError({ kind: 'http', status, reason, message: reason, ...(errors ? { errors } : {}) });

test('a task that ends OK: reads every interval from its own node, then stops reading', async () => {
  const clock = new ManualClock();
  const fake = scriptedClient(clock, (_call, elapsed) => (elapsed < 1_600 ? running() : stopped('OK')));
  const updates: TaskWaitUpdate[] = [];
  const result = await clock.runUntil(waitForTask(fake.client, UPID, { clock, onUpdate: (u) => updates.push(u) }));
  assert.deepEqual(result, { outcome: 'ok', exitStatus: 'OK', durationMs: 2_000 });
  assert.deepEqual(
    fake.calls.map((c) => c.at),
    [0, 500, 1_000, 1_500, 2_000],
  );
  for (const call of fake.calls) {
    assert.equal(call.path, '/nodes/{node}/tasks/{upid}/status');
    assert.equal(call.node, 'pve2', 'the node named in the UPID');
    assert.equal(call.upid, UPID);
  }
  assert.equal(updates.length, 5);
  assert.equal(updates.at(-1)?.status?.exitstatus, 'OK');
  assert.equal(clock.pendingSleepers, 0);
});

test('every exit status class', async () => {
  const cases: Array<[Answer, string, string | null]> = [
    [stopped('WARNINGS: 3'), 'warnings', 'WARNINGS: 3'],
    [stopped('VM 100 already running'), 'failed', 'VM 100 already running'],
    [stopped('unexpected status'), 'unknown', 'unexpected status'],
    [stopped(), 'unknown', 'unexpected status'],
  ];
  for (const [answer, outcome, exitStatus] of cases) {
    const clock = new ManualClock();
    const fake = scriptedClient(clock, (call) => (call < 2 ? running() : answer));
    const result = await clock.runUntil(waitForTask(fake.client, UPID, { clock, intervalMs: 1_000 }));
    assert.deepEqual(result, { outcome, exitStatus, durationMs: 2_000 });
  }
});

test('PVE does not know the task on its node: unknown, at once', async () => {
  const clock = new ManualClock();
  const fake = scriptedClient(clock, () => ({ error: httpError(400, 'Parameter verification failed.', { upid: 'no such task' }) }));
  const result = await clock.runUntil(waitForTask(fake.client, UPID, { clock }));
  assert.deepEqual(result, { outcome: 'unknown', exitStatus: null, durationMs: 0 });
  assert.equal(fake.calls.length, 1);
});

test('a timeout returns timeout, reads a last time on the deadline and leaves the task alone', async () => {
  const clock = new ManualClock();
  const fake = scriptedClient(clock, running);
  const result = await clock.runUntil(waitForTask(fake.client, UPID, { clock, intervalMs: 400, timeoutMs: 1_000 }));
  assert.deepEqual(result, { outcome: 'timeout', exitStatus: null, durationMs: 1_000 });
  assert.deepEqual(
    fake.calls.map((c) => `${c.method}@${c.at}`),
    ['GET@0', 'GET@400', 'GET@800', 'GET@1000'],
  );
  // Near the deadline each read's timeout is cut to the time left (at least 1 s).
  assert.deepEqual(
    fake.calls.map((c) => c.timeoutMs),
    [1_000, 1_000, 1_000, 1_000],
  );
});

test('defaults: every 500 ms for 10 s', async () => {
  const clock = new ManualClock();
  const fake = scriptedClient(clock, running);
  const result = await clock.runUntil(waitForTask(fake.client, UPID, { clock }));
  assert.equal(result.outcome, 'timeout');
  assert.equal(result.durationMs, 10_000);
  assert.equal(fake.calls.length, 21);
});

test('stopOnTimeout stops the task once, and says when that failed', async () => {
  const clock = new ManualClock();
  const fake = scriptedClient(clock, running);
  const result = await clock.runUntil(waitForTask(fake.client, UPID, { clock, timeoutMs: 1_000, stopOnTimeout: true }));
  assert.equal(result.outcome, 'timeout');
  assert.equal(result.stopped, true);
  const deletes = fake.calls.filter((c) => c.method === 'DELETE');
  assert.deepEqual(
    deletes.map((c) => [c.path, c.node, c.upid]),
    [['/nodes/{node}/tasks/{upid}', 'pve2', UPID]],
  );

  const failing = scriptedClient(clock, running);
  failing.deleteErrors.push(httpError(403, 'Permission check failed (/nodes/pve2, Sys.Modify)'));
  const refused = await clock.runUntil(waitForTask(failing.client, UPID, { clock, timeoutMs: 1_000, stopOnTimeout: true }));
  assert.equal(refused.outcome, 'timeout');
  assert.equal(refused.stopped, false);
  assert.ok(refused.stopError instanceof PveApiError);
  assert.equal(failing.calls.filter((c) => c.method === 'DELETE').length, 1, 'a DELETE is never retried');
});

test('transient failures are retried with backoff inside the deadline', async () => {
  const clock = new ManualClock();
  const offline = httpError(595, 'Errors during connection establishment, proxy handshake: Connection refused');
  const fake = scriptedClient(clock, (call) => {
    if (call === 0) return running();
    if (call <= 4) return { error: offline };
    return stopped('OK');
  });
  const updates: TaskWaitUpdate[] = [];
  const result = await clock.runUntil(waitForTask(fake.client, UPID, { clock, timeoutMs: 60_000, onUpdate: (u) => updates.push(u) }));
  assert.equal(result.outcome, 'ok');
  // 0 ok, 500 fails, then 500, 1000, 2000, 4000 apart while it keeps failing, back to normal after.
  assert.deepEqual(
    fake.calls.map((c) => c.at),
    [0, 500, 1_000, 2_000, 4_000, 8_000],
  );
  assert.equal(updates.filter((u) => u.error).length, 4);
  assert.equal(updates.find((u) => u.error)?.error?.status, 595);
});

test('other transient kinds: 500, timeouts, connection errors, garbled answers', () => {
  assert.equal(isTransientError(httpError(500, 'Internal error')), true);
  assert.equal(isTransientError(httpError(503, 'Service Unavailable')), true);
  assert.equal(isTransientError(new PveApiError({ kind: 'timeout', message: 'no answer' })), true);
  assert.equal(isTransientError(new PveApiError({ kind: 'connection', message: 'refused' })), true);
  assert.equal(isTransientError(new PveApiError({ kind: 'protocol', message: 'not JSON' })), true);
  assert.equal(isTransientError(httpError(403, 'Permission check failed')), false);
  assert.equal(isTransientError(new PveApiError({ kind: 'auth', status: 401, message: 'Authentication failed!' })), false);
  assert.equal(isTransientError(new PveApiError({ kind: 'tls', message: 'fingerprint mismatch' })), false);
  assert.equal(isTransientError(new Error('bug')), false);
  assert.equal(isNoSuchTask(httpError(400, 'Parameter verification failed.', { upid: 'no such task\n' })), true);
  assert.equal(isNoSuchTask(httpError(400, 'Parameter verification failed.', { upid: 'unable to parse worker upid' })), false);
  assert.equal(isNoSuchTask(httpError(500, 'no such task')), false);
});

test('a node unreachable until the deadline: timeout, with the last failure attached', async () => {
  const clock = new ManualClock();
  const offline = new PveApiError({ kind: 'connection', message: 'connect ECONNREFUSED' });
  const fake = scriptedClient(clock, () => ({ error: offline }));
  const result = await clock.runUntil(waitForTask(fake.client, UPID, { clock, timeoutMs: 5_000 }));
  assert.equal(result.outcome, 'timeout');
  assert.equal(result.durationMs, 5_000);
  assert.equal(result.lastError, offline);
  assert.deepEqual(
    fake.calls.map((c) => c.at),
    [0, 500, 1_500, 3_500, 5_000],
  );
});

test('errors that retrying cannot fix are thrown', async () => {
  const clock = new ManualClock();
  const denied = httpError(403, 'Permission check failed (/nodes/pve2, Sys.Audit)');
  const fake = scriptedClient(clock, (call) => (call === 0 ? running() : { error: denied }));
  await assert.rejects(clock.runUntil(waitForTask(fake.client, UPID, { clock })), (error) => error === denied);
  assert.equal(fake.calls.length, 2);
});

test('requests never overlap, even when each takes longer than the interval', async () => {
  const clock = new ManualClock();
  const fake = scriptedClient(clock, (_call, elapsed) => (elapsed < 5_000 ? running() : stopped('OK')), 1_200);
  const result = await clock.runUntil(waitForTask(fake.client, UPID, { clock, intervalMs: 500, timeoutMs: 60_000 }));
  assert.equal(result.outcome, 'ok');
  assert.equal(fake.maxInFlight, 1);
  // Each read starts an interval after the previous one answered.
  assert.deepEqual(
    fake.calls.map((c) => c.at),
    [0, 1_700, 3_400, 5_100],
  );
  assert.equal(result.durationMs, 6_300);
});

test('an abort rejects with the signal reason and stops reading', async () => {
  const clock = new ManualClock();
  const fake = scriptedClient(clock, running);
  const controller = new AbortController();
  const reason = new Error('operator pressed Ctrl-C');
  const waiting = waitForTask(fake.client, UPID, { clock, signal: controller.signal, timeoutMs: 60_000 });
  await clock.advance(1_200);
  controller.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  const count = fake.calls.length;
  await clock.advance(10_000);
  assert.equal(fake.calls.length, count);
  assert.equal(clock.pendingSleepers, 0);

  const already = new AbortController();
  already.abort(reason);
  await assert.rejects(waitForTask(fake.client, UPID, { clock, signal: already.signal }), (error) => error === reason);
  assert.equal(fake.calls.length, count, 'no request after an earlier abort');
});

test('an invalid UPID is refused before any request', async () => {
  const clock = new ManualClock();
  const fake = scriptedClient(clock, running);
  for (const upid of ['UPID:pve1:00001234:5F123456:qmstart:100:root@pam:', 'pve1:qmstart', '']) {
    await assert.rejects(waitForTask(fake.client, upid, { clock }), InvalidUpidError);
    await assert.rejects(isTaskRunning(fake.client, upid), InvalidUpidError);
    await assert.rejects(getTaskExitStatus(fake.client, upid), InvalidUpidError);
  }
  assert.equal(fake.calls.length, 0);
});

test('isTaskRunning and getTaskExitStatus', async () => {
  const clock = new ManualClock();
  const answers: Answer[] = [running(), running(), stopped('WARNINGS: 1'), stopped('WARNINGS: 1'), stopped()];
  const fake = scriptedClient(clock, (call) => answers[call]!);
  assert.equal(await isTaskRunning(fake.client, UPID), true);
  assert.equal(await getTaskExitStatus(fake.client, UPID), '');
  assert.equal(await isTaskRunning(fake.client, UPID), false);
  assert.equal(await getTaskExitStatus(fake.client, UPID), 'WARNINGS: 1');
  assert.equal(await getTaskExitStatus(fake.client, UPID), 'unexpected status');
  assert.ok(fake.calls.every((c) => c.node === 'pve2'));
});
