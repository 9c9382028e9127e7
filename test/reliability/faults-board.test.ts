// The fault suite on the board's path: the real Board (ink-testing-library) on a runtime (the real
// poller, launch queue and actions), against the simulator while it misbehaves,
// all on one ManualClock. During the fault the frame names the node and the outage and keys still
// work; once it clears every task shows its true end and the tally is right.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { createPveClient, type PveClient } from '../../src/api/index.js';
import type { FaultInput } from '../../src/sim/index.js';
import { createRuntime, type Runtime } from '../../src/tasks/runtime.js';
import { isFinal, type TaskStore } from '../../src/tasks/store.js';
import type { ManualClock } from '../../src/util/clock.js';
import { storeReaches } from '../helpers/cluster.js';
import { KEY, cleanup, mountBoard, settle, type Mounted } from '../ui/helpers.js';
import { MINUTE, SECOND, spawnBatch, startCluster, tally, type Simulator, type SpawnedTask } from './helpers.js';

interface Rig {
  sim: Simulator;
  clock: ManualClock;
  client: PveClient;
  store: TaskStore;
  runtime: Runtime;
  board: Mounted;
  tasks: SpawnedTask[];
}

let rig: Rig | undefined;

afterEach(async () => {
  cleanup();
  if (!rig) return;
  await rig.runtime.close();
  await rig.client.close();
  await rig.sim.close();
  rig = undefined;
});

async function startRig({ allEndpoints = false, password = false } = {}): Promise<Rig> {
  const { sim, clock } = await startCluster();
  const client = createPveClient({
    endpoints: allEndpoints ? sim.urls : [sim.url],
    ...(password ? { username: sim.username, password: sim.password } : { token: sim.token }),
    clock,
  });
  const runtime = createRuntime({
    client,
    clock,
    intervalMs: 2000,
    scope: 'cluster',
    watchAfterTimeout: true,
    parallel: 4,
    info: {
      endpoint: sim.url,
      user: allEndpoints ? 'root@pam' : client.userid,
      cluster: 'sim',
      demo: false,
      intervalMs: 2000,
      readOnly: false,
    },
  });
  const { store } = runtime;
  const tasks = spawnBatch(sim, 9, { spreadSeconds: 60 });
  for (const task of tasks) runtime.tracker.track(task.upid, { timeoutMs: 10 * MINUTE });
  runtime.poller.start();
  const board = await mountBoard({ store, actions: runtime.actions, clock });
  rig = { sim, clock, client, store, runtime, board, tasks };
  return rig;
}

/** Lets `ms` of clock time pass with the poller and the board running. */
async function pass(r: Rig, ms: number): Promise<void> {
  await r.clock.runUntil(r.clock.sleep(ms), { limitMs: ms + MINUTE });
  await settle();
}

/** Keys still work while the fault lasts: help opens and closes, p pauses and resumes, c switches scope. */
async function keysWork(board: Mounted): Promise<void> {
  await board.press('?');
  assert.match(board.frame(), /Keys: Tasks view/);
  await board.press(KEY.esc);
  assert.match(board.frame(), /\[Tasks: mine\]/);
  await board.press('p');
  assert.match(board.frame(), /PAUSED/);
  await board.press('p');
  assert.doesNotMatch(board.frame(), /PAUSED/);
  await board.press('c');
  assert.match(board.frame(), /\[Tasks: cluster\]/);
  await board.press('c');
  assert.match(board.frame(), /\[Tasks: mine\]/);
}

/**
 * Once the fault is gone: every row final with its true outcome, the tally line right, and the outage
 * gone from the header as soon as the node answers again (a failing node is asked with a backoff of at
 * most a minute).
 */
async function endsRight(r: Rig): Promise<void> {
  const clearedAt = r.clock.now();
  await r.clock.runUntil(
    storeReaches(
      r.store,
      (state) => state.order.mine.every((key) => isFinal(state.row(key)!.state)) && Object.values(state.nodes).every((node) => !node.error),
    ),
    { limitMs: 15 * MINUTE },
  );
  assert.ok(r.clock.now() - clearedAt <= 3 * MINUTE, `settled ${(r.clock.now() - clearedAt) / SECOND}s after the fault cleared`);
  await pass(r, 4 * SECOND);
  const { row: rowOf, keyOf } = r.store.getState();
  for (const task of r.tasks) {
    const row = rowOf(keyOf(task.upid)!)!;
    assert.equal(row.state, task.expected, `${task.upid} ended ${task.exitStatus}`);
    assert.equal(row.pollError, undefined);
  }
  const counts = tally(r.tasks.map((task) => task.expected));
  const frame = r.board.frame();
  assert.match(
    frame,
    new RegExp(`running 0 · queued 0 · ok ${counts.ok} · warnings ${counts.warnings} · failed ${counts.failed} · timed out 0`),
  );
  assert.doesNotMatch(frame, /unreachable/);
  assert.equal(r.store.getState().tallies.mine.total, r.tasks.length, 'no row lost or added');
}

interface BoardScenario {
  name: string;
  faults: FaultInput[];
  forMs: number;
  allEndpoints?: boolean;
  password?: boolean;
  /** What the frame must say while the fault lasts (checked after `showsAfterMs`). */
  shows?: RegExp;
  showsAfterMs?: number;
  /** What no frame says while the fault lasts. */
  hides?: RegExp;
  /** What some frame said while the fault lasted (a passing error shows until the next good poll). */
  seen?: RegExp;
  during?: (sim: Simulator) => void;
}

const SCENARIOS: BoardScenario[] = [
  {
    name: '20 % of requests answer 500',
    faults: ['error500=0.2'],
    forMs: 90 * SECOND,
    seen: /! unreachable: pve\d since 08:0\d:\d\d \(\d+s: 500 ipcc_send_rec/,
  },
  { name: '2 s added to every request', faults: ['latency=2000'], forMs: 90 * SECOND },
  {
    name: 'a node offline (refusing at once), then back',
    faults: ['offline=pve2:refuse'],
    forMs: 60 * SECOND,
    shows: /! unreachable: pve2 since 08:00:\d\d \(\d+s: 595 /,
  },
  {
    name: 'a node offline (timing out slowly), then back',
    faults: ['offline=pve3:timeout'],
    forMs: 2 * MINUTE,
    showsAfterMs: 70 * SECOND,
    shows: /! unreachable: pve3 since 08:00:\d\d \(\d+s: /,
  },
  {
    name: 'the node we are connected to goes away; the next endpoint carries on',
    faults: ['offline=pve1:timeout'],
    forMs: 2 * MINUTE,
    allEndpoints: true,
    showsAfterMs: 90 * SECOND,
    shows: /! unreachable: pve1 since 08:01:\d\d \(\d+s: 595 Connection timed out/,
  },
  {
    name: "the connected node's API refuses connections; the next endpoint carries on",
    faults: ['listener-down=pve1'],
    forMs: 2 * MINUTE,
    allEndpoints: true,
    shows: /! unreachable: pve1 since 08:00:\d\d \(\d+s: 595 /,
  },
  {
    name: 'connections dropped mid-response',
    faults: ['drop=0.3'],
    forMs: 90 * SECOND,
    seen: /! unreachable: pve\d since 08:0\d:\d\d \(\d+s: connection cut before the answer/,
  },
  {
    // No endpoint answers in time: our connection, so one banner and no node blamed.
    name: 'responses slower than the client timeout',
    faults: ['slow=40000'],
    forMs: 2 * MINUTE,
    showsAfterMs: 70 * SECOND,
    shows: /! cannot reach the API at 127\.0\.0\.1:\d+, retrying \(since 08:00:0\d\): no answer/,
    hides: /unreachable/,
  },
  {
    name: 'every endpoint refusing connections',
    faults: ['listener-down=pve1', 'listener-down=pve2', 'listener-down=pve3'],
    forMs: 90 * SECOND,
    allEndpoints: true,
    shows: /! cannot reach the API at 127\.0\.0\.1:\d+ and 2 more, retrying \(since 08:00:0\d\)/,
    hides: /unreachable/,
  },
  {
    name: 'malformed JSON',
    faults: ['malformed=0.3'],
    forMs: 90 * SECOND,
    seen: /! unreachable: pve\d since 08:0\d:\d\d \(\d+s: an answer that is not PVE JSON/,
  },
  { name: 'a ticket expiring mid-run', faults: [], forMs: 0, password: true, during: (sim) => sim.control.expireTickets() },
];

describe('the board under faults', () => {
  for (const scenario of SCENARIOS) {
    test(scenario.name, async () => {
      const r = await startRig({ allEndpoints: scenario.allEndpoints, password: scenario.password });
      await pass(r, 5 * SECOND);
      for (const fault of scenario.faults) await r.sim.control.addFault(fault);
      scenario.during?.(r.sim);
      await pass(r, scenario.showsAfterMs ?? 30 * SECOND);
      if (scenario.shows) assert.match(r.board.frame(), scenario.shows);
      if (scenario.hides) for (const frame of r.board.frames) assert.doesNotMatch(frame, scenario.hides);
      await keysWork(r.board);
      await pass(r, Math.max(0, scenario.forMs - (scenario.showsAfterMs ?? 30 * SECOND)));
      if (scenario.seen)
        assert.ok(
          r.board.frames.some((frame) => scenario.seen!.test(frame)),
          `a frame matching ${scenario.seen}`,
        );
      await r.sim.control.clearFaults();
      await endsRight(r);
    });
  }
});
