/**
 * A simulated cluster and a client on one shared ManualClock: the setup of every integration test.
 */
import { createPveClient, type PveClient, type PveClientOptions } from '../../src/api/index.js';
import { startSimulator, type SimulatorOptions } from '../../src/sim/index.js';
import type { TaskStore } from '../../src/tasks/store.js';
import { ManualClock } from '../../src/util/clock.js';

export type Simulator = Awaited<ReturnType<typeof startSimulator>>;

export interface TestCluster {
  sim: Simulator;
  clock: ManualClock;
  client: PveClient;
  close(): Promise<void>;
}

export async function startTestCluster(
  simOptions: SimulatorOptions = {},
  clientOptions: Partial<PveClientOptions> = {},
): Promise<TestCluster> {
  const clock = (simOptions.clock as ManualClock | undefined) ?? new ManualClock();
  const sim = await startSimulator({ unauthorizedDelayMs: 0, seed: 7, ...simOptions, clock });
  const client = createPveClient({ endpoint: sim.url, token: sim.token, clock, ...clientOptions });
  return {
    sim,
    clock,
    client,
    async close() {
      await client.close();
      await sim.close();
    },
  };
}

/** Resolves when `predicate` holds for the store's state (checked on every change). */
export function storeReaches(store: TaskStore, predicate: (state: ReturnType<TaskStore['getState']>) => boolean): Promise<void> {
  if (predicate(store.getState())) return Promise.resolve();
  return new Promise((resolve) => {
    const unsubscribe = store.subscribe((state) => {
      if (!predicate(state)) return;
      unsubscribe();
      resolve();
    });
  });
}
