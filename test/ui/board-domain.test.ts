// The board on the real domain: a runtime (store, poller, launch queue, actions) against the
// simulator, all on one ManualClock. Keys go in through stdin.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { createRuntime, type Runtime } from '../../src/tasks/runtime.js';
import type { TaskStore } from '../../src/tasks/store.js';
import { startTestCluster, storeReaches, type TestCluster } from '../helpers/cluster.js';
import { KEY, cleanup, lineWith, linesOf, mountBoard, settle, type Mounted } from './helpers.js';

interface Setup {
  cluster: TestCluster;
  store: TaskStore;
  runtime: Runtime;
  board: Mounted;
}

let setup: Setup | undefined;

async function start(options: { readOnly?: boolean } = {}): Promise<Setup> {
  const cluster = await startTestCluster({ seed: 7, nodes: 3, guests: 30 });
  const { client, clock } = cluster;
  const runtime = createRuntime({
    client,
    clock,
    intervalMs: 2000,
    scope: 'cluster',
    watchAfterTimeout: true,
    parallel: 4,
    info: {
      endpoint: cluster.sim.url,
      user: client.userid,
      cluster: 'sim',
      demo: false,
      intervalMs: 2000,
      readOnly: options.readOnly ?? false,
    },
  });
  const { store } = runtime;
  runtime.poller.start();
  const board = await mountBoard({ store, actions: runtime.actions, clock, readOnly: options.readOnly ?? false });
  // The first cycle brings the guests (and the cluster's tasks).
  await clock.runUntil(
    storeReaches(store, (state) => state.guestOrder.length === 30),
    { limitMs: 60_000 },
  );
  await settle();
  setup = { cluster, store, runtime, board };
  return setup;
}

beforeEach(() => {
  setup = undefined;
});

afterEach(async () => {
  cleanup();
  if (!setup) return;
  // Closing may wait on the clock (a poll in flight finishing its cycle): drive it until closed.
  await setup.cluster.clock.runUntil(setup.runtime.close(), { limitMs: 60_000 });
  await setup.cluster.close();
});

/** Moves the Guests view's cursor to `vmid` through the filter, marks it, and clears the filter. */
async function mark(board: Mounted, vmid: number): Promise<void> {
  await board.press('/', String(vmid), KEY.enter);
  assert.match(
    linesOf(board.frame()).find((line) => line.startsWith('> '))!,
    new RegExp(`^> +${vmid} `),
  );
  await board.press(' ', KEY.esc);
}

test('real domain: mark three guests, s, confirm: the three tasks appear, run on the simulator and end with the right tally', async () => {
  const { cluster, store, board } = await start();
  const { sim, clock } = cluster;
  const ok1 = sim.control.guestWithRole('stoppedQemu');
  const ok2 = sim.control.guestWithRole('stoppedLxc');
  const bad = sim.control.guestWithRole('failsToStart');

  await board.press(KEY.tab);
  assert.match(board.frame(), /\[Guests\]/);
  for (const guest of [ok1, ok2, bad]) await mark(board, guest.vmid);
  assert.match(board.frame(), /3 marked/);

  await board.press('s');
  const nodes = new Set([ok1, ok2, bad].map((guest) => guest.node)).size;
  assert.match(board.frame(), new RegExp(`Start 3 guests on ${nodes} nodes?\\?`));
  assert.equal(
    sim.control.tasks({ type: 'qmstart' }).length + sim.control.tasks({ type: 'vzstart' }).length,
    0,
    'nothing sent before the confirm',
  );
  await board.press('y');

  // The rows appear in this session's scope at once.
  let frame = board.frame();
  assert.match(frame, /\[Tasks: mine\]/);
  for (const guest of [ok1, ok2, bad]) assert.ok(lineWith(frame, guest.name), `a row for ${guest.vmid} ${guest.name}`);

  // They run on the simulator and end; the board shows the outcomes and the tally.
  await clock.runUntil(
    storeReaches(store, (state) => state.tallies.mine.total === 3 && state.tallies.mine.ok + state.tallies.mine.failed === 3),
    { limitMs: 5 * 60_000 },
  );
  await settle();
  frame = board.frame();
  assert.match(frame, /running 0 · queued 0 · ok 2 · warnings 0 · failed 1 · timed out 0/);
  assert.match(lineWith(frame, ok1.name)!, /✓ VM \d+ - Start .*OK$/);
  assert.match(lineWith(frame, ok2.name)!, /✓ CT \d+ - Start .*OK$/);
  assert.match(lineWith(frame, bad.name)!, /✗ VM \d+ - Start .*start failed: QEMU exited/);
  // The simulator ran exactly these three starts, by our token.
  const ours = sim.control.tasks({ user: cluster.client.userid });
  assert.deepEqual(ours.map((task) => task.id).sort(), [ok1, ok2, bad].map((guest) => String(guest.vmid)).sort());
  assert.equal(sim.control.guest(ok1.vmid)!.status, 'running');
  assert.equal(sim.control.guest(ok2.vmid)!.status, 'running');

  // Enter on the failed one shows its log, read from the simulator.
  await board.press('g');
  while (
    !linesOf(board.frame())
      .find((line) => line.startsWith('> '))!
      .includes(bad.name)
  )
    await board.press('j');
  await board.press(KEY.enter);
  await clock.runUntil(
    storeReaches(store, (state) => (state.focusLog?.lines.length ?? 0) > 0),
    { limitMs: 10_000 },
  );
  await settle();
  assert.match(board.frame(), /\[Task detail\]/);
  assert.match(board.frame(), /TASK ERROR: start failed: QEMU exited with code 1/);
});

test('real domain: --read-only refuses s, b, n and x; nothing reaches the simulator', async () => {
  const { cluster, store, board } = await start({ readOnly: true });
  const { sim, clock } = cluster;
  // Someone else's task, seen in the cluster scope.
  const console = sim.control.spawnTask({ node: 'pve2', type: 'vncproxy', id: '101', user: 'admin@pve', durationMs: Infinity });
  await clock.runUntil(
    storeReaches(store, (state) => state.keyOf(console) !== undefined),
    { limitMs: 60_000 },
  );
  await settle();

  await board.press(KEY.tab, ' ', 's');
  assert.match(board.frame(), /! read-only: start is off \(--read-only\)/);
  await board.press('b');
  assert.match(board.frame(), /! read-only: backup is off/);
  await board.press('n');
  assert.match(board.frame(), /! read-only: snapshot is off/);
  assert.doesNotMatch(board.frame(), /Start .*\?|Back up|Snapshot .*\?/, 'no dialog opened');

  await board.press(KEY.tab);
  assert.match(board.frame(), /\[Tasks: cluster\]/);
  assert.ok(lineWith(board.frame(), 'Console'));
  await board.press('x');
  assert.match(board.frame(), /! read-only: stop is off/);
  assert.doesNotMatch(board.frame(), /Stop this task/);
  await board.press('y');

  await clock.runUntil(clock.sleep(10_000));
  assert.equal(store.getState().order.mine.length, 0, 'no launch queued');
  assert.deepEqual(sim.control.tasks({ user: cluster.client.userid }), [], 'no task of ours on the simulator');
  assert.equal(sim.control.task(console)!.exitStatus, undefined, 'the console still runs');
  const writes = Object.keys(sim.control.counters().byRoute).filter((route) => /^(POST|DELETE|PUT) /.test(route));
  assert.deepEqual(writes, []);
});
