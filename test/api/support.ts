// Shared setup of the client's integration tests: a simulator and clients on one ManualClock, and a
// check that every error the client throws is a PveApiError without any secret in it.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { PveApiError, createPveClient, type PveClient, type PveClientOptions } from '../../src/api/index.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/sim/index.js';
import { ManualClock } from '../../src/util/clock.js';

export interface Setup {
  sim: Simulator;
  clock: ManualClock;
  /** Secrets that must never appear in an error. */
  secrets: string[];
  client(options?: Partial<PveClientOptions>): PveClient;
  /** Runs `work` on the shared clock. */
  run<T>(work: Promise<T>): Promise<T>;
  /** Runs `work`, expects a PveApiError, checks it for secrets and returns it. */
  failure(work: Promise<unknown>): Promise<PveApiError>;
  close(): Promise<void>;
}

export async function setup(options: SimulatorOptions = {}): Promise<Setup> {
  const clock = new ManualClock();
  const sim = await startSimulator({ unauthorizedDelayMs: 0, seed: 3, nodes: 3, guests: 20, ...options, clock });
  const clients: PveClient[] = [];
  const secrets = [sim.token.slice(sim.token.lastIndexOf('=') + 1), sim.password, sim.control.tfaUser.password];
  const run = <T>(work: Promise<T>) => clock.runUntil(work);
  return {
    sim,
    clock,
    secrets,
    client(clientOptions = {}) {
      const client = createPveClient({ endpoint: sim.url, token: sim.token, clock, ...clientOptions });
      clients.push(client);
      return client;
    },
    run,
    async failure(work) {
      let caught: unknown;
      try {
        await run(work);
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof PveApiError, `expected a PveApiError, got ${inspect(caught)}`);
      assertNoSecret(caught, secrets);
      return caught;
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      await sim.close();
    },
  };
}

/** Fails when a secret shows in the error's message, fields, JSON or inspected form (causes included). */
export function assertNoSecret(error: PveApiError, secrets: string[]): void {
  assert.ok(!error.message.includes('\n'), `not one line: ${error.message}`);
  const views = [
    error.message,
    error.reason,
    JSON.stringify(error),
    JSON.stringify(error.errors ?? {}),
    inspect(error, { depth: 8 }),
    String(error.stack),
  ];
  for (const secret of secrets) {
    for (const view of views) assert.ok(!view.includes(secret), `a secret leaked into the error: ${error.message}`);
  }
}
