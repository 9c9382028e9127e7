/**
 * Shared rig of the reliability suite: a simulated cluster on a ManualClock, commands run in-process
 * against it with their own environment and state directory, faults switched on and off at clock
 * times, and the truth the simulator keeps to compare every reported outcome with.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type FaultInput, type Simulator, type SimulatorOptions } from '../../src/sim/index.js';
import { classifyExitStatus } from '../../src/tasks/exit-status.js';
import { ManualClock } from '../../src/util/clock.js';
import { fakeIo, type FakeIo } from '../cli/fake-io.js';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

export type { Simulator };

export async function startCluster(options: SimulatorOptions = {}): Promise<{ sim: Simulator; clock: ManualClock }> {
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock();
  const sim = await startSimulator({ nodes: 3, guests: 30, seed: 7, unauthorizedDelayMs: 0, ...options, clock });
  return { sim, clock };
}

export function scratchDir(prefix = 'pvetasks-rel-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface IoOptions {
  /** Every node's URL (failover), not only the first. */
  allEndpoints?: boolean;
  /** Log in with root@pam's password instead of the token. */
  password?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  tty?: boolean;
}

/** A command's I/O pointed at the simulator, with a state directory and working directory of its own. */
export function ioFor(sim: Simulator, options: IoOptions = {}): FakeIo & { stateDir: string } {
  const dir = options.cwd ?? scratchDir();
  const stateDir = join(dir, 'state');
  const env: NodeJS.ProcessEnv = {
    HOME: dir,
    PROXMOX_VE_ENDPOINT: options.allEndpoints ? sim.urls.join(',') : sim.url,
    PVETASKS_STATE_DIR: stateDir,
    ...(options.password ? { PROXMOX_VE_USERNAME: sim.username, PROXMOX_VE_PASSWORD: sim.password } : { PROXMOX_VE_API_TOKEN: sim.token }),
    ...options.env,
  };
  return Object.assign(fakeIo({ env, cwd: dir, tty: options.tty ?? false }), { stateDir });
}

/** Adds the faults now and removes them `afterMs` of clock time later (a sleeper the clock wakes). */
export async function faultWindow(sim: Simulator, clock: ManualClock, faults: FaultInput[], afterMs: number): Promise<void> {
  for (const fault of faults) await sim.control.addFault(fault);
  void clock.sleep(afterMs).then(async () => {
    for (const fault of faults) await sim.control.removeFault(fault);
  });
}

/** Runs `action` at `atMs` of clock time from now. */
export function at(clock: ManualClock, atMs: number, action: () => unknown): void {
  void clock.sleep(atMs).then(action);
}

export interface SpawnedTask {
  upid: string;
  node: string;
  vmid: number;
  exitStatus: string;
  expected: string;
}

const STATUSES = ['OK', 'WARNINGS: 2', "command 'qm start' failed: exit code 1", 'OK', 'unexpected status', 'OK'];

/** Tasks spread over the nodes with known ends (durations 20 s to 20 s + spread, every outcome class). */
export function spawnBatch(sim: Simulator, count: number, { firstVmid = 9000, nodes = 3, spreadSeconds = 100 } = {}): SpawnedTask[] {
  return Array.from({ length: count }, (_, i) => {
    const node = `pve${(i % nodes) + 1}`;
    const exitStatus = STATUSES[i % STATUSES.length]!;
    const vmid = firstVmid + i;
    const upid = sim.control.spawnTask({
      node,
      type: 'qmstart',
      id: String(vmid),
      durationMs: (20 + ((i * 17) % spreadSeconds)) * SECOND,
      exitStatus,
    });
    return { upid, node, vmid, exitStatus, expected: classifyExitStatus(exitStatus) };
  });
}

/** The `--json` events of a command, checked for the one-finished-per-target rule. */
export function eventsOf(io: FakeIo) {
  const events = io.stdout.json();
  const finished = events.filter((event) => event.event === 'finished');
  const summaries = events.filter((event) => event.event === 'summary');
  assert.equal(summaries.length, 1, 'exactly one summary');
  assert.equal(events.at(-1)!.event, 'summary', 'the summary comes last');
  return { events, finished, summary: summaries[0]! };
}

/** Counts outcomes as the summary does. */
export function tally(outcomes: string[]): Record<string, number> {
  const counts: Record<string, number> = { ok: 0, warnings: 0, failed: 0, timeout: 0, unknown: 0, skipped: 0 };
  for (const outcome of outcomes) counts[outcome]!++;
  return counts;
}

/** stderr is human text: no stack trace, no internal error. */
export function assertCleanStderr(text: string): void {
  assert.doesNotMatch(text, /internal error|\n\s+at .+\(.+:\d+:\d+\)|TypeError|ReferenceError|Unhandled/, text);
}
