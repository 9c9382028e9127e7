/**
 * The board's one timer. A loop on the injected clock publishes `now` every second; each component
 * selects only the granularity it shows, so an ended row never re-renders on a tick, a running row
 * re-renders every second in its first minute and every 5 s after, and tests move time with a
 * ManualClock instead of waiting.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { TaskRow } from '../tasks/store.js';
import type { Clock } from '../util/clock.js';
import { isTicking, taskStart } from './format.js';

export const TICK_MS = 1000;
const SLOW_AFTER_MS = 60_000;
const SLOW_TICK_MS = 5000;

export interface TickerState {
  now: number;
  /** Ticks so far: drives the header spinner. */
  count: number;
}

export type Ticker = StoreApi<TickerState>;

export function createTicker(clock: Clock): Ticker {
  return createStore<TickerState>()(() => ({ now: clock.now(), count: 0 }));
}

/** Runs the ticker until `signal` aborts. */
export async function runTicker(ticker: Ticker, clock: Clock, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      await clock.sleep(TICK_MS, signal);
    } catch {
      return;
    }
    ticker.setState((state) => ({ now: clock.now(), count: state.count + 1 }));
  }
}

/**
 * The time a row should be drawn at: changes once a second during the row's first minute, every 5 s
 * after, and never for a row whose time no longer runs (0).
 */
export function rowTime(row: TaskRow | undefined, now: number): number {
  if (!row || !isTicking(row)) return 0;
  const start = taskStart(row);
  const age = Math.max(0, now - start);
  // Quantise the age, not the time of day, so the shown value never steps back at the 1-minute switch.
  const step = age < SLOW_AFTER_MS ? TICK_MS : SLOW_TICK_MS;
  return start + age - (age % step);
}
