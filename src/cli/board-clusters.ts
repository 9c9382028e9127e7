/**
 * The clusters the board watches, connected: the same choice as every command (`--cluster`, `all`,
 * PVETASKS_CLUSTER, the environment's cluster, the configuration file; with several configured and
 * none named, all of them), or the embedded demo (two simulated clusters) when asked or when nothing
 * is configured. With several, a cluster that cannot be reached at start does not stop the board: it
 * gets a client that has not logged in yet, its poller keeps trying, and the header shows it offline
 * until it answers. Only when no cluster at all can be reached does the board not start (the error
 * of the first, in one line).
 */
import { createPveClient, type PveClient } from '../api/index.js';
import type { Clock } from '../util/clock.js';
import { eachCluster, loadClusters, sessionClusterName, type ClusterFlags, type ClusterTarget } from './clusters.js';
import { noEndpointError, type ResolvedConfig } from './config.js';
import { asCliError, clientOptionsFor, connect } from './connect.js';
import { CliError, ExitCode, type CliIo } from './io.js';

export interface BoardCluster {
  /** The name the board shows (the configured one; the demo's `alpha`, `bravo`). */
  name: string;
  client: PveClient;
  endpoint: string;
  /** The cluster part of its session files' names (sessions stay per cluster and user). */
  sessionName: string;
  demo: boolean;
  /** Undefined for the demo (it saves nothing). */
  config?: ResolvedConfig;
  /** Why it could not be reached at start (the board still watches it, retrying). */
  unreachable?: string;
  close(): Promise<void>;
}

export interface BoardClusterFlags extends ClusterFlags {
  demo: boolean;
}

/** What the board watches, from the configuration alone: nothing is asked of a cluster yet. */
export type BoardPlan = { demo: true } | { demo: false; targets: readonly ClusterTarget[] };

/** The chosen clusters, or the demo (asked for, or nothing configured); configuration errors throw here. */
export async function planBoardClusters(io: CliIo, secrets: string[], flags: BoardClusterFlags): Promise<BoardPlan> {
  if (flags.demo) return { demo: true };
  const clusters = await loadClusters(io, secrets, flags);
  try {
    return { demo: false, targets: clusters.chosen('all') };
  } catch (error) {
    // Nothing configured at all: the board shows the demo (DESIGN.md: only the board falls back to it).
    if (!clusters.file && error instanceof CliError && error.message === noEndpointError().message) return { demo: true };
    throw error;
  }
}

/** The planned clusters connected, or the demo's; throws a CliError when none can be reached. */
export async function openBoardClusters(plan: BoardPlan, clock: Clock, signal: AbortSignal): Promise<BoardCluster[]> {
  if (plan.demo) return startDemo(clock);
  const { targets } = plan;
  if (targets.length === 1) {
    const target = targets[0]!;
    const client = await connect(target.config, clock, undefined, signal);
    return [await connected(target, client, clock, signal)];
  }
  const results = await eachCluster(targets, clock, signal, async (target, signal) => {
    const client = await connect(target.config, clock, undefined, signal);
    return connected(target, client, clock, signal);
  });
  if (results.every((result) => 'error' in result)) {
    const first = results[0] as { target: ClusterTarget; error: CliError };
    throw new CliError(`cluster ${first.target.name}: ${first.error.message}`, first.error.exitCode);
  }
  return results.map((result) => {
    if ('value' in result) return result.value;
    const { target, error } = result;
    let client: PveClient;
    try {
      client = createPveClient(clientOptionsFor(target.config, clock));
    } catch (failure) {
      throw asCliError(failure, 'configuration');
    }
    return {
      name: target.name,
      client,
      endpoint: target.config.endpoints[0]!,
      sessionName: target.name,
      demo: false,
      config: target.config,
      unreachable: error.message,
      close: () => client.close(),
    };
  });
}

async function connected(target: ClusterTarget, client: PveClient, clock: Clock, signal: AbortSignal): Promise<BoardCluster> {
  try {
    return {
      name: target.name,
      client,
      endpoint: target.config.endpoints[0]!,
      sessionName: await sessionClusterName({ ...target, client }, clock, signal),
      demo: false,
      config: target.config,
      close: () => client.close(),
    };
  } catch (error) {
    await client.close();
    throw error instanceof CliError ? error : new CliError(String(error), ExitCode.connect);
  }
}

/** The embedded simulator, two independent clusters on free loopback ports, busy with other users' tasks. */
async function startDemo(clock: Clock): Promise<BoardCluster[]> {
  // Loaded here: a board on a real cluster never evaluates the simulator.
  const { startSimulators } = await import('../sim/index.js');
  const sims = await startSimulators({ clusters: 2, background: true, clock, seed: 1 });
  return sims.map((sim) => {
    const client = createPveClient({ endpoint: sim.url, token: sim.token, clock });
    return {
      name: sim.cluster,
      client,
      endpoint: sim.url,
      sessionName: 'demo',
      demo: true,
      async close() {
        await client.close();
        await sim.close();
      },
    };
  });
}
