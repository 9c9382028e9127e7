/**
 * The board's one timer. A loop on the injected clock publishes `now` on the wall clock's whole
 * seconds while anything on screen shows a time that moves by the second, and on its multiples of
 * 5 s while the only moving times are running tasks past their first minute; each component selects
 * only the granularity it shows, so an ended row never re-renders on a tick, a running row re-renders
 * every second in its first minute and every 5 s after, and every row that steps steps in the same
 * frame (one frame a tick, not one per row's own phase). Tests move time with a ManualClock instead
 * of waiting. When nothing needs it, the ticker wakes with the board's own changes (each poll)
 * instead: a quiet board on a jump host then wakes once per poll, not every second as well.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { TaskRow } from '../tasks/store.js';
import type { Clock } from '../util/clock.js';
import { isTicking, taskStart } from './format.js';

export const TICK_MS = 1000;
export const SLOW_AFTER_MS = 60_000;
export const SLOW_TICK_MS = 5000;

export interface TickerState {
  now: number;
}

export type Ticker = StoreApi<TickerState>;

export function createTicker(clock: Clock): Ticker {
  return createStore<TickerState>()(() => ({ now: clock.now() }));
}

/** How often the board needs a tick, and what may change that answer. */
export interface TickDemand {
  /** TICK_MS while a time on screen changes by the second, SLOW_TICK_MS while only running tasks past their first minute do; else none. */
  interval(now: number): number | undefined;
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
      let interval = demand ? demand.interval(clock.now()) : TICK_MS;
      // On the wall clock's multiples of the interval, so that every row that steps steps at once.
      const next = (at: number, every: number | undefined) => (every === undefined ? at + QUIET_TICK_MS : at - (at % every) + every);
      let due = next(clock.now(), interval);
      for (;;) {
        wake = new AbortController();
        try {
          await clock.sleep(Math.max(0, due - clock.now()), wake.signal);
        } catch {
          // woken by a change, or stopped
        }
        wake = undefined;
        if (signal.aborted) return;
        // A quiet board ticks on its changes; a busy one on time, sooner if a change asks for it (a task just started).
        if (interval === undefined || clock.now() >= due) break;
        interval = demand!.interval(clock.now());
        if (interval === undefined) break;
        due = Math.min(due, next(clock.now(), interval));
      }
      // (A timer may fire a little early: the tick is the one it was set for.)
      ticker.setState({ now: interval === undefined ? clock.now() : Math.max(clock.now(), due) });
    }
  } finally {
    signal.removeEventListener('abort', stop);
    unsubscribe?.();
  }
}

/**
 * The time a row should be drawn at: changes on each whole second of the wall clock during the row's
 * first minute, on each multiple of 5 s after (all rows at once), and never for a row whose time no
 * longer runs (0). It never steps back: after the first minute it holds at one minute until the next
 * 5 s mark.
 */
export function rowTime(row: TaskRow | undefined, now: number): number {
  if (!row || !isTicking(row)) return 0;
  const start = taskStart(row);
  if (now - start < SLOW_AFTER_MS) return Math.max(start, now - (now % TICK_MS));
  return Math.max(start + SLOW_AFTER_MS, now - (now % SLOW_TICK_MS));
}
