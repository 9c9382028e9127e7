// waitForTask over HTTP against the simulator, on one ManualClock shared by client and simulator.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPveClient, type PveClient } from '../../src/api/client.js';
import { PveApiError } from '../../src/api/errors.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { formatUpid, parseUpid } from '../../src/tasks/upid.js';
import { getTaskExitStatus, isTaskRunning, waitForTask } from '../../src/tasks/wait.js';
import { ManualClock } from '../../src/util/clock.js';

const STATUS_ROUTE = 'GET /nodes/{node}/tasks/{upid}/status';
const STOP_ROUTE = 'DELETE /nodes/{node}/tasks/{upid}';

describe('waitForTask against the simulator', () => {
  let clock: ManualClock;
  let sim: Simulator;
  let client: PveClient;

  before(async () => {
    clock = new ManualClock();
    sim = await startSimulator({ clock, seed: 11, unauthorizedDelayMs: 0 });
    // Connected to pve1 only: tasks on pve2 and pve3 go through its cluster proxy.
    client = createPveClient({ endpoint: sim.url, token: sim.token, clock });
  });
  after(async () => {
    await client.close();
    await sim.close();
  });

  const spawn = (node: string, durationMs: number, exitStatus = 'OK', type = 'qmstart', id = '100') =>
    sim.control.spawnTask({ node, type, id, durationMs, exitStatus });
  const statusReads = () => sim.control.counters().byRoute[STATUS_ROUTE] ?? 0;

  test('every outcome PVE can end a task with', async () => {
    const cases: Array<[string, string]> = [
      ['OK', 'ok'],
      ['WARNINGS: 2', 'warnings'],
      ["snapshot name 'pre-update' already used", 'failed'],
      ['unexpected status', 'unknown'],
    ];
    for (const [exitStatus, outcome] of cases) {
      const upid = spawn('pve2', 3_000, exitStatus);
      const result = await clock.runUntil(waitForTask(client, upid, { clock, timeoutMs: 60_000 }));
      assert.equal(result.outcome, outcome, exitStatus);
      assert.equal(result.exitStatus, exitStatus);
      assert.equal(result.durationMs, 3_000, 'the read at 3 s sees it stopped');
    }
  });

  test('a task its node does not know ends unknown', async () => {
    const real = parseUpid(spawn('pve3', 1_000));
    const ghost = formatUpid({ ...real, pid: real.pid + 7777 });
    const result = await clock.runUntil(waitForTask(client, ghost, { clock }));
    assert.deepEqual(result, { outcome: 'unknown', exitStatus: null, durationMs: 0 });
    // The right task asked on another node is just as unknown to that node.
    const elsewhere = formatUpid({ ...real, node: 'pve2' });
    assert.equal((await clock.runUntil(waitForTask(client, elsewhere, { clock }))).outcome, 'unknown');
  });

  test('a timeout leaves the task running; its real end is seen later', async () => {
    const upid = spawn('pve2', 20_000, 'WARNINGS: 1', 'vzdump', '');
    const timedOut = await clock.runUntil(waitForTask(client, upid, { clock, timeoutMs: 5_000 }));
    assert.deepEqual(timedOut, { outcome: 'timeout', exitStatus: null, durationMs: 5_000 });
    assert.equal(sim.control.task(upid)?.endedAt, undefined, 'still running on the server');
    assert.equal(sim.control.counters().byRoute[STOP_ROUTE], undefined, 'not stopped');
    assert.equal(await clock.runUntil(isTaskRunning(client, upid)), true);

    const later = await clock.runUntil(waitForTask(client, upid, { clock, timeoutMs: 60_000, intervalMs: 2_000 }));
    assert.equal(later.outcome, 'warnings');
    assert.equal(later.exitStatus, 'WARNINGS: 1');
    assert.equal(await clock.runUntil(getTaskExitStatus(client, upid)), 'WARNINGS: 1');
  });

  test('stopOnTimeout stops the task on its node', async () => {
    const upid = spawn('pve3', Infinity);
    const before = sim.control.counters().byRoute[STOP_ROUTE] ?? 0;
    const result = await clock.runUntil(waitForTask(client, upid, { clock, timeoutMs: 2_000, stopOnTimeout: true }));
    assert.equal(result.outcome, 'timeout');
    assert.equal(result.stopped, true);
    assert.equal((sim.control.counters().byRoute[STOP_ROUTE] ?? 0) - before, 1);
    const task = sim.control.task(upid);
    assert.notEqual(task?.endedAt, undefined, 'the task ended');
    assert.equal(await clock.runUntil(getTaskExitStatus(client, upid)), task?.exitStatus);
  });

  test('a node offline, then back: the wait carries on and sees the end', async () => {
    const upid = spawn('pve2', 30_000);
    await sim.control.addFault('offline=pve2:refuse');
    const outage = (async () => {
      await clock.sleep(12_000);
      await sim.control.removeFault('offline=pve2:refuse');
    })();
    const errors: number[] = [];
    const result = await clock.runUntil(
      waitForTask(client, upid, {
        clock,
        timeoutMs: 120_000,
        onUpdate: (update) => {
          if (update.error) errors.push(update.error.status);
        },
      }),
    );
    await outage;
    assert.equal(result.outcome, 'ok');
    assert.ok(errors.length >= 3 && errors.every((status) => status === 595), `595s while offline: ${errors}`);
    assert.ok(result.durationMs >= 30_000 && result.durationMs <= 30_000 + 10_000, `backoff stays bounded: ${result.durationMs}`);
  });

  test('500s are retried until they stop', async () => {
    const upid = spawn('pve1', 4_000, 'OK');
    await sim.control.addFault('error500=1');
    const heal = (async () => {
      await clock.sleep(6_000);
      await sim.control.clearFaults();
    })();
    const result = await clock.runUntil(waitForTask(client, upid, { clock, timeoutMs: 60_000 }));
    await heal;
    assert.equal(result.outcome, 'ok');
    assert.ok(result.durationMs >= 6_000);
  });

  test('an outage that outlasts the deadline is a timeout, with the last failure', async () => {
    const upid = spawn('pve3', 10_000);
    await sim.control.addFault('offline=pve3:refuse');
    try {
      const result = await clock.runUntil(waitForTask(client, upid, { clock, timeoutMs: 8_000 }));
      assert.equal(result.outcome, 'timeout');
      assert.ok(result.lastError instanceof PveApiError);
      assert.equal(result.lastError.status, 595);
    } finally {
      await sim.control.clearFaults();
    }
  });

  test('never two requests at once, even when each takes longer than the interval', async () => {
    const upid = spawn('pve2', 10_000);
    let inFlight = 0;
    let maxInFlight = 0;
    const counting = new Proxy(client, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== 'GET') return value;
        return async (...args: unknown[]) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } finally {
            inFlight--;
          }
        };
      },
    });
    await sim.control.addFault('latency=2000');
    const before = statusReads();
    try {
      const result = await clock.runUntil(waitForTask(counting, upid, { clock, intervalMs: 500, timeoutMs: 60_000 }));
      assert.equal(result.outcome, 'ok');
      assert.equal(maxInFlight, 1);
      // Reads start at 0, 2.5, 5, 7.5 and 10 s: each an interval after the last answer.
      assert.equal(statusReads() - before, 5);
      assert.equal(result.durationMs, 12_000);
    } finally {
      await sim.control.clearFaults();
    }
  });
});
