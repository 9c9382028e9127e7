/**
 * Requests per poll cycle and detection latency, in process, on a ManualClock shared by the simulator
 * and the client (nothing here waits for wall-clock time).
 *
 * - requests per cycle: N running tasks spread over the nodes; each cycle runs pvetasks' poller once
 *   (a tracker as the commands use it, `pollOnce()`), then the naive loop (one `/status` per task, as
 *   the reference page polls), each counted by the simulator's own route counters, then the clock moves
 *   one interval. Every request counts, `/cluster/resources` included. The first cycle (the poller
 *   meeting its tasks) is left out: the figure is the steady state.
 * - detection latency: tasks that end at spread times, the poller's real loop at the default interval;
 *   the latency of a task is the clock when its row turned final minus its end in the simulator.
 */
import type { Simulator } from '../../src/sim/index.js';
import { isFinal, rowsOf, type TaskStoreState } from '../../src/tasks/store.js';
import { createTaskTracker } from '../../src/tasks/runtime.js';
import { startTestCluster } from '../helpers/cluster.js';
import { percentile } from './util.js';

const INTERVAL_MS = 2000;

/** A cluster on a ManualClock, as the tests use it (helpers/cluster.ts), with the benchmark's seed. */
const cluster = (nodes: number, faults: string[] = []) => startTestCluster({ nodes, guests: 40, seed: 11, faults });

function total(sim: Simulator): number {
  return sim.control.counters().total;
}

export interface RequestsResult {
  /** Mean requests per cycle, pvetasks' poller. */
  poller: number;
  /** Mean requests per cycle, one /status per task. */
  naive: number;
  cycles: number;
  byRoute: Record<string, number>;
}

export async function requestsPerCycle(tasks: number, nodes: number, cycles: number): Promise<RequestsResult> {
  const { sim, clock, client, close } = await cluster(nodes);
  try {
    const upids: Array<{ upid: string; node: string }> = [];
    for (let i = 0; i < tasks; i++) {
      const node = `pve${(i % nodes) + 1}`;
      // Long-running starts, begun over the last few minutes: none ends inside the window.
      const upid = sim.control.spawnTask({
        node,
        type: 'qmstart',
        id: String(1000 + i),
        durationMs: Infinity,
        startedAgoMs: (i * 977) % 300_000,
      });
      upids.push({ upid, node });
    }
    const tracker = createTaskTracker({ client, clock, intervalMs: INTERVAL_MS });
    for (const { upid } of upids) tracker.track(upid, { timeoutMs: 24 * 3600_000 });
    // Warm-up: the first cycle.
    await clock.runUntil(tracker.poller.pollOnce());
    await clock.advance(INTERVAL_MS);

    let ours = 0;
    let naive = 0;
    const byRoute: Record<string, number> = {};
    for (let cycle = 0; cycle < cycles; cycle++) {
      sim.control.resetCounters();
      await clock.runUntil(tracker.poller.pollOnce());
      ours += total(sim);
      for (const [route, count] of Object.entries(sim.control.counters().byRoute)) byRoute[route] = (byRoute[route] ?? 0) + count;
      sim.control.resetCounters();
      // The naive loop in the same window: one status request per task.
      await clock.runUntil(
        Promise.all(upids.map(({ upid, node }) => client.GET('/nodes/{node}/tasks/{upid}/status', { params: { path: { node, upid } } }))),
      );
      naive += total(sim);
      await clock.advance(INTERVAL_MS);
    }
    const running = rowsOf(tracker.store.getState(), 'cluster').filter((row) => row.state === 'running').length;
    if (running !== tasks) throw new Error(`expected ${tasks} running rows, found ${running}`);
    await tracker.close();
    return { poller: ours / cycles, naive: naive / cycles, cycles, byRoute };
  } finally {
    await close();
  }
}

export interface LatencyResult {
  p50: number;
  p95: number;
  max: number;
  count: number;
}

/**
 * Tasks ending at spread times; the poller's real loop (start()) at the default interval. With
 * `requestMs`, every request takes that long on the simulator's clock (a slower cluster).
 */
export async function detectLatency(tasks: number, requestMs = 0, nodes = 4): Promise<LatencyResult> {
  const { sim, clock, client, close } = await cluster(nodes, requestMs > 0 ? [`latency=${requestMs}`] : []);
  try {
    const upids: string[] = [];
    for (let i = 0; i < tasks; i++) {
      // Ends every 173 ms or so, out of step with the 2 s interval, with different exit statuses.
      const durationMs = 3000 + i * 173 + ((i * 37) % 50);
      const exitStatus = i % 7 === 3 ? 'WARNINGS: 1' : i % 11 === 5 ? 'backup storage full' : 'OK';
      upids.push(sim.control.spawnTask({ node: `pve${(i % nodes) + 1}`, type: 'qmstart', id: String(1000 + i), durationMs, exitStatus }));
    }
    const tracker = createTaskTracker({ client, clock, intervalMs: INTERVAL_MS });
    const keys = upids.map((upid) => tracker.track(upid, { timeoutMs: 3600_000 }));
    const finalAt = new Map<string, number>();
    const check = (state: TaskStoreState) => {
      for (const key of keys) {
        if (!finalAt.has(key) && isFinal(state.row(key)!.state)) finalAt.set(key, clock.now());
      }
    };
    const allFinal = new Promise<void>((resolve) => {
      const unsubscribe = tracker.store.subscribe((state) => {
        check(state);
        if (finalAt.size === keys.length) {
          unsubscribe();
          resolve();
        }
      });
    });
    tracker.poller.start();
    await clock.runUntil(allFinal);
    await tracker.close();
    const latencies = keys.map((key, i) => {
      const endedAt = sim.control.task(upids[i]!)!.endedAt!;
      return finalAt.get(key)! - endedAt;
    });
    return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: Math.max(...latencies), count: latencies.length };
  } finally {
    await close();
  }
}
