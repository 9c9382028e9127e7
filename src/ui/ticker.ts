/**
 * The board's one timer. A loop on the injected clock publishes `now` every second while anything on
 * screen shows a time that moves by the second; each component selects only the granularity it shows,
 * so an ended row never re-renders on a tick, a running row re-renders every second in its first
 * minute and every 5 s after, and tests move time with a ManualClock instead of waiting. When nothing
 * needs it, the ticker wakes with the board's own changes (each poll) instead: a quiet board on a jump
 * host then wakes once per poll, not every second as well.
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
}

export type Ticker = StoreApi<TickerState>;

export function createTicker(clock: Clock): Ticker {
  return createStore<TickerState>()(() => ({ now: clock.now() }));
}

/** When the board needs a tick every second, and what may change that answer. */
export interface TickDemand {
  /** Whether anything on screen now shows a time that changes by the second. */
  everySecond(now: number): boolean;
  /** Calls `listener` on every change that may alter the answer; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
}

/** Between a quiet board's changes, the ticker still looks every so often (a poll that never ends). */
export const QUIET_TICK_MS = 5000;

/** Runs the ticker until `signal` aborts; without `demand`, it ticks every second. */
export async function runTicker(ticker: Ticker, clock: Clock, signal: AbortSignal, demand?: TickDemand): Promise<void> {
  let wake: AbortController | undefined;
  const unsubscribe = demand?.subscribe(() => wake?.abort());
  const stop = () => wake?.abort();
  signal.addEventListener('abort', stop, { once: true });
  try {
    while (!signal.aborted) {
      const quiet = demand !== undefined && !demand.everySecond(clock.now());
      wake = new AbortController();
      try {
        // A quiet board is woken early by its next change; a busy one ticks on the second regardless.
        await clock.sleep(quiet ? QUIET_TICK_MS : TICK_MS, quiet ? wake.signal : signal);
      } catch {
        // woken by a change, or stopped
      }
      wake = undefined;
      if (signal.aborted) return;
      ticker.setState({ now: clock.now() });
    }
  } finally {
    signal.removeEventListener('abort', stop);
    unsubscribe?.();
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
