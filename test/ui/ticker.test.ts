// The board's one timer: it ticks every second while a time on screen moves by the second, every 5 s
// while only running tasks past their first minute do (on the wall clock's marks, so all rows step in
// one frame), and on a quiet board it wakes with the board's own changes (each poll) instead.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTaskStore } from '../../src/tasks/store.js';
import { tickDemand } from '../../src/ui/tick-demand.js';
import { QUIET_TICK_MS, SLOW_TICK_MS, TICK_MS, createTicker, rowTime, runTicker } from '../../src/ui/ticker.js';
import { createUiStore, DEFAULT_SIZE } from '../../src/ui/ui-state.js';
import { ManualClock } from '../../src/util/clock.js';
import { addTask, T0 } from './helpers.js';

const INTERVAL_MS = 2000;

function rig(startAt = T0) {
  const clock = new ManualClock(startAt);
  const store = createTaskStore();
  store.getState().update((tx) => {
    tx.setSession({ endpoint: 'https://pve1:8006', user: 'root@pam', demo: false, intervalMs: INTERVAL_MS, readOnly: false });
    tx.setPoll({ lastSuccessAt: T0, cycles: 1 });
  });
  const ui = createUiStore({ scope: 'cluster', size: DEFAULT_SIZE });
  const ticker = createTicker(clock);
  const ticks: number[] = [];
  ticker.subscribe((state) => ticks.push(state.now - T0));
  const stop = new AbortController();
  const running = runTicker(ticker, clock, stop.signal, tickDemand({ store, ui }));
  /** A poll cycle answering on time, as the poller records it. */
  const poll = () => store.getState().update((tx) => tx.setPoll({ lastSuccessAt: clock.now(), cycles: store.getState().poll.cycles + 1 }));
  const close = async () => {
    stop.abort();
    await running;
  };
  return { clock, store, ui, ticks, poll, close };
}

/** Moves the clock in steps of `step` ms up to `ms`, calling `each` after every step. */
async function walk(clock: ManualClock, ms: number, step: number, each: () => void = () => {}) {
  for (let t = step; t <= ms; t += step) {
    await clock.advance(step);
    each();
    await clock.idle();
  }
}

test('a quiet board ticks with its polls only, and looks again within QUIET_TICK_MS when nothing happens', async () => {
  const { clock, ticks, poll, close } = rig();
  await clock.idle();
  await walk(clock, 20_000, INTERVAL_MS, poll);
  assert.deepEqual(ticks, [2000, 4000, 6000, 8000, 10_000, 12_000, 14_000, 16_000, 18_000, 20_000], 'one tick per poll, none in between');
  await close();
});

test('when polls stop, the ticker goes back to every second, so the header age counts up', async () => {
  const { clock, ticks, close } = rig();
  await clock.idle();
  await walk(clock, 10_000, 250);
  // The first look comes at QUIET_TICK_MS; from then on the poll is late and every second counts.
  assert.equal(ticks[0], QUIET_TICK_MS);
  assert.deepEqual(ticks.slice(1), [6000, 7000, 8000, 9000, 10_000]);
  await close();
});

test('a running task, an unreachable node, a fresh message or the detail view tick every second', async () => {
  for (const make of [
    (r: ReturnType<typeof rig>) => addTask(r.store, { vmid: 100, state: 'running' }),
    (r: ReturnType<typeof rig>) =>
      r.store.getState().update((tx) => tx.setNode('pve2', { online: false, error: { message: 'connection refused', since: T0 } })),
    (r: ReturnType<typeof rig>) => r.store.getState().update((tx) => tx.setMessage({ text: 'started 3 guests', level: 'info', at: T0 })),
    (r: ReturnType<typeof rig>) =>
      r.ui.setState({
        detail: { key: addTask(r.store, { vmid: 100, state: 'ok', exitStatus: 'OK' }), follow: true, top: 0, wrap: false, left: 0 },
      }),
  ]) {
    const r = rig();
    make(r);
    await r.clock.idle();
    // Within the poll interval (the data is live); a quiet board would first look at QUIET_TICK_MS.
    await walk(r.clock, INTERVAL_MS, 250);
    assert.deepEqual(
      r.ticks.filter((at) => at > 0),
      [TICK_MS, 2 * TICK_MS],
    );
    await r.close();
  }
});

test('running tasks past their first minute tick every 5 s, on the wall clock’s 5-second marks, polls or not', async () => {
  const r = rig(T0 + 1300);
  addTask(r.store, { vmid: 100, state: 'running', at: -120_000 });
  addTask(r.store, { vmid: 101, state: 'running', at: -302_700 });
  await r.clock.idle();
  await walk(r.clock, 20_000 - 1300, 100, () => {
    if ((r.clock.now() - T0) % INTERVAL_MS === 0) r.poll();
  });
  // (The first tick is the quiet ticker woken by the new rows.)
  assert.deepEqual(r.ticks, [1300, SLOW_TICK_MS, 2 * SLOW_TICK_MS, 3 * SLOW_TICK_MS, 4 * SLOW_TICK_MS]);
  // A task in its first minute brings the ticks back to every second.
  addTask(r.store, { vmid: 102, state: 'running', at: 19_500 });
  await r.clock.idle();
  await walk(r.clock, 3000, 100);
  assert.deepEqual(r.ticks.slice(5), [21_000, 22_000, 23_000]);
  await r.close();
});

test('rows of different ages step at the same tick, and a row never steps back when it turns one minute old', () => {
  const store = createTaskStore();
  const rows = [-61_300, -75_800, -4_000_100].map((at, i) =>
    store.getState().row(addTask(store, { vmid: 100 + i, state: 'running', at }))!,
  );
  for (let now = T0; now < T0 + 30_000; now += 100) {
    const stepped = rows.map((row) => rowTime(row, now) !== rowTime(row, now - 100));
    assert.ok(
      stepped.every((s) => s === stepped[0]),
      `at ${now - T0} ms the rows step together`,
    );
    assert.equal(stepped[0], (now - T0) % SLOW_TICK_MS === 0, `at ${now - T0} ms`);
  }
  const young = store.getState().row(addTask(store, { vmid: 110, state: 'running', at: 0 }))!;
  let last = 0;
  for (let now = T0; now < T0 + 120_000; now += 250) {
    assert.ok(rowTime(young, now) >= last, `at ${now - T0} ms`);
    last = rowTime(young, now);
  }
});
