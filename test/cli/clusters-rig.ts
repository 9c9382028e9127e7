/**
 * Several simulated clusters on one ManualClock, and a configuration file naming them: the setup of
 * the multi-cluster tests. Each cluster's token is in a token file of its own (mode 0600).
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadYamlParser } from '../../src/cli/cluster-file.js';
import { startSimulators, type SimulatorsOptions } from '../../src/sim/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { fakeIo, type FakeIo } from './fake-io.js';
import type { Simulator } from '../helpers/cluster.js';

export interface TestClusters {
  sims: Simulator[];
  clock: ManualClock;
  /** A scratch directory: HOME, the state dir's parent, the token files. */
  dir: string;
  /** The configuration file (mode 0600), naming every simulator by its cluster name. */
  configPath: string;
  /** The secrets of every cluster's token, to search output for. */
  secrets: string[];
  /** A command's I/O with XDG_CONFIG_HOME pointing at the configuration file. */
  io(env?: NodeJS.ProcessEnv): FakeIo;
  close(): Promise<void>;
}

export async function startTestClusters(options: SimulatorsOptions = {}): Promise<TestClusters> {
  // The YAML parser is imported on first use, which takes event-loop turns that a ManualClock's
  // runUntil would take for a command stuck waiting: load it before any test runs.
  await loadYamlParser();
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock();
  const sims = await startSimulators({ clusters: 3, unauthorizedDelayMs: 0, nodes: 3, guests: 40, seed: 5, ...options, clock });
  const dir = mkdtempSync(join(tmpdir(), 'pvetasks-clusters-'));
  const configDir = join(dir, 'config', 'pvetasks');
  const entries = sims.map((sim) => {
    const tokenFile = join(dir, `${sim.cluster}.token`);
    writeFileSync(tokenFile, `${sim.token}\n`, { mode: 0o600 });
    return `  - name: ${sim.cluster}\n    endpoints: [${sim.urls.join(', ')}]\n    token_file: ${tokenFile}\n`;
  });
  const configPath = writeConfig(configDir, `clusters:\n${entries.join('')}`);
  return {
    sims,
    clock,
    dir,
    configPath,
    secrets: sims.map((sim) => sim.token.slice(sim.token.indexOf('=') + 1)),
    io: (env = {}) =>
      fakeIo({
        env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), PVETASKS_STATE_DIR: join(dir, 'state'), ...env },
        cwd: dir,
      }),
    close: async () => {
      await Promise.all(sims.map((sim) => sim.close()));
    },
  };
}

/** Writes `config.yaml` in `dir` (created) with `mode` (default 0600); returns its path. */
export function writeConfig(dir: string, text: string, mode = 0o600): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'config.yaml');
  writeFileSync(path, text);
  // The mode of a file written again stays what it was: set it.
  chmodSync(path, mode);
  return path;
}
