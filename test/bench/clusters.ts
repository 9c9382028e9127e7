/**
 * The board over three clusters of 1,000 tasks each (`npm run bench -- --only clusters` runs this case
 * alone):
 *
 * - requests per poll cycle: three simulated clusters, each with 1,000 long-running tasks spread over
 *   its nodes, each followed as the board's own by a runtime as the board builds it (the cluster scope);
 *   the requests of the three polling together, counted by each simulator, next to the sum of each
 *   cluster polled alone (the same set-up, the other two idle). They must be equal: a cluster costs its
 *   own requests, nothing more. Every request counts, `/cluster/resources` included; the warm-up cycle
 *   is left out.
 * - frame time after one task update: the board drawing the view over three stores of 1,000 tasks,
 *   next to one store of 1,000 and one of 3,000 (the same child, the same updates).
 */
import { startSimulators, type Simulator } from '../../src/sim/index.js';
import { createPveClient } from '../../src/api/index.js';
import { createRuntime } from '../../src/tasks/runtime.js';
import { ManualClock } from '../../src/util/clock.js';
import { runJsonChild } from './children.js';
import { percentile, progress, round, type Figure } from './util.js';

const INTERVAL_MS = 2000;
const CLUSTERS = 3;

/** Requests per cycle of each cluster, when `polled` (indices) poll together and the others are idle. */
async function requestsWhen(polled: readonly number[], tasks: number, nodes: number, cycles: number): Promise<number[]> {
  const clock = new ManualClock();
  const sims = await startSimulators({ clusters: CLUSTERS, clock, nodes, guests: 40, seed: 11, unauthorizedDelayMs: 0 });
  const runtimes = polled.map((index) => {
    const sim = sims[index]!;
    const client = createPveClient({ endpoint: sim.url, token: sim.token, clock });
    return { sim, client, runtime: createRuntime({ client, clock, intervalMs: INTERVAL_MS, scope: 'cluster', watchAfterTimeout: true }) };
  });
  try {
    const upids = sims.map((sim) => spawnLongTasks(sim, tasks));
    // Watched as the board's own (launched or --watch'ed): each is followed to its end, with a deadline.
    for (const { sim, runtime } of runtimes)
      for (const upid of upids[sims.indexOf(sim)]!) runtime.tracker.track(upid, { timeoutMs: 24 * 3600_000 });
    const cycle = () => clock.runUntil(Promise.all(runtimes.map(({ runtime }) => runtime.poller.pollOnce())), { limitMs: 120_000 });
    await cycle();
    await clock.advance(INTERVAL_MS);
    for (const sim of sims) sim.control.resetCounters();
    for (let n = 0; n < cycles; n++) {
      await cycle();
      await clock.advance(INTERVAL_MS);
    }
    return sims.map((sim) => sim.control.counters().total / cycles);
  } finally {
    await clock.runUntil(Promise.all(runtimes.map(({ runtime }) => runtime.close())), { limitMs: 120_000 });
    await Promise.all(runtimes.map(({ client }) => client.close()));
    await Promise.all(sims.map((sim) => sim.close()));
  }
}

/** `tasks` tasks of another user that run for the whole window, begun over the last few minutes. */
function spawnLongTasks(sim: Simulator, tasks: number): string[] {
  return Array.from({ length: tasks }, (_, i) =>
    sim.control.spawnTask({
      node: sim.nodes[i % sim.nodes.length]!,
      type: 'qmstart',
      id: String(1000 + i),
      user: 'admin@pve',
      durationMs: Infinity,
      startedAgoMs: (i * 977) % 300_000,
    }),
  );
}

export interface ClusterRequests {
  together: number;
  alone: number[];
}

export async function clusterRequests(tasks: number, nodes: number, cycles: number): Promise<ClusterRequests> {
  const together = await requestsWhen([0, 1, 2], tasks, nodes, cycles);
  const alone: number[] = [];
  for (let index = 0; index < CLUSTERS; index++) alone.push((await requestsWhen([index], tasks, nodes, cycles))[index]!);
  return { together: together.reduce((sum, value) => sum + value, 0), alone };
}

interface FrameResult {
  times: number[];
  peakRss: number;
}

export interface ClusterFrames {
  one1000: number[];
  one3000: number[];
  three1000: number[];
}

/** Frame times of the board: one store of 1,000 and of 3,000 tasks, and three clusters of 1,000, in rounds. */
export async function clusterFrames(
  frameChild: string,
  plan: { rounds: number; samples: number },
  terminal: { columns: number; rows: number },
): Promise<ClusterFrames> {
  const out: ClusterFrames = { one1000: [], one3000: [], three1000: [] };
  const cases: Array<[keyof ClusterFrames, number, number]> = [
    ['one1000', 1000, 1],
    ['one3000', 3000, 1],
    ['three1000', 1000, 3],
  ];
  for (let round = 0; round < plan.rounds; round++) {
    for (const [key, tasks, clusters] of cases) {
      const result = await runJsonChild<FrameResult>(frameChild, {
        mode: 'board',
        tasks,
        clusters,
        samples: plan.samples,
        warmup: 6,
        offset: round * plan.samples,
        ...terminal,
      });
      out[key].push(...result.times);
    }
  }
  return out;
}

/** The figures of this case, with a progress line each. */
export function clusterFigures(
  requests: ClusterRequests,
  frames: ClusterFrames,
  figure: (value: number, target: number, baseline?: number, digits?: number) => Figure,
): Record<string, Figure> {
  const alone = requests.alone.reduce((sum, value) => sum + value, 0);
  progress(
    `  3 clusters x 1000 tasks: ${round(requests.together, 2)} requests a cycle together; alone ${requests.alone.map((value) => round(value, 2)).join(' + ')} = ${round(alone, 2)}`,
  );
  const p95 = (times: number[]) => percentile(times, 95);
  progress(
    `  frame p95: 1 cluster x 1000 ${round(p95(frames.one1000))} ms, 1 x 3000 ${round(p95(frames.one3000))} ms, 3 x 1000 ${round(p95(frames.three1000))} ms (p50 ${round(percentile(frames.three1000, 50))} ms, ${frames.three1000.length} updates)`,
  );
  return {
    // Target: exactly the sum of each alone (no overhead per cluster).
    requests_per_cycle_3x1000: figure(requests.together, alone, alone, 2),
    // Target: as for one cluster of 1,000 tasks (25 ms), and beside it the one-cluster 3,000 case.
    frame_ms_p95_3x1000: figure(p95(frames.three1000), 25, p95(frames.one3000)),
  };
}
