/**
 * Time, injected. Everything that waits (the poller, waitForTask, the tracker, the simulator's task
 * timings and delays, request timeouts) goes through a Clock, so tests drive one ManualClock shared by
 * the client side and the simulator instead of waiting for wall-clock time.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * A server-side delay that holds a request open (the simulator's latency, its 3 s on a 401, a node
   * that answers slowly). Same as `sleep`, but a ManualClock knows the request is waiting on time.
   */
  holdRequest(ms: number, signal?: AbortSignal): Promise<void>;
  /** Marks `work` (an HTTP exchange) as in flight until it settles; returns it. */
  track<T>(work: Promise<T>): Promise<T>;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: realSleep,
  holdRequest: realSleep,
  track: (work) => work,
};

interface Sleeper {
  at: number;
  seq: number;
  holdsRequest: boolean;
  resolve: () => void;
}

const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Default start: a fixed instant, so UPIDs and log times in tests are stable. */
export const MANUAL_CLOCK_EPOCH = Date.UTC(2026, 10, 27, 8, 0, 0);

/**
 * A clock that moves only when told. `runUntil(promise)` advances time to the next sleeper whenever
 * nothing else can make progress: every tracked request is either done or held by the server on this
 * same clock. That is what makes tests with real HTTP on loopback both fast and deterministic.
 */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private sleepers: Sleeper[] = [];
  private inFlight = 0;
  private held = 0;
  private changeWaiters: Array<() => void> = [];

  constructor(startMs: number = MANUAL_CLOCK_EPOCH) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.addSleeper(ms, false, signal);
  }

  holdRequest(ms: number, signal?: AbortSignal): Promise<void> {
    return this.addSleeper(ms, true, signal);
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight++;
    this.changed();
    return work.finally(() => {
      this.inFlight--;
      this.changed();
    });
  }

  /** Number of pending sleepers (for assertions). */
  get pendingSleepers(): number {
    return this.sleepers.length;
  }

  /** When the earliest sleeper is due, or undefined when nobody sleeps. */
  nextWakeAt(): number | undefined {
    return this.sleepers[0]?.at;
  }

  /** Moves time forward by `ms`, waking sleepers in order and letting each continuation run. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.time + Math.max(0, ms));
  }

  async advanceTo(target: number): Promise<void> {
    for (;;) {
      const next = this.sleepers[0];
      if (!next || next.at > target) break;
      this.sleepers.shift();
      if (next.holdsRequest) this.held--;
      this.time = Math.max(this.time, next.at);
      next.resolve();
      this.changed();
      // Let the woken code run (and maybe sleep again) before the next one wakes.
      await macrotask();
    }
    this.time = Math.max(this.time, target);
  }

  /** Resolves once no tracked request can progress without the clock moving. */
  async idle(): Promise<void> {
    for (;;) {
      if (this.inFlight > this.held) {
        await new Promise<void>((resolve) => this.changeWaiters.push(resolve));
        continue;
      }
      // Two turns of the event loop: continuations of what just settled get to schedule their sleeps.
      await macrotask();
      await macrotask();
      if (this.inFlight <= this.held) return;
    }
  }

  /**
   * Drives time until `work` settles: whenever the system is idle, jump to the next sleeper.
   * Fails (rather than hangs) when nothing is scheduled or `limitMs` of clock time has passed.
   */
  async runUntil<T>(work: Promise<T>, { limitMs = 48 * 3600_000 } = {}): Promise<T> {
    let settled = false;
    const watched = work.finally(() => {
      settled = true;
    });
    watched.catch(() => {});
    const deadline = this.time + limitMs;
    for (;;) {
      await Promise.race([watched.then(noop, noop), this.idle()]);
      if (settled) return work;
      // Settled during the idle wait's last turns? Check before moving time.
      await macrotask();
      if (settled) return work;
      const next = this.nextWakeAt();
      if (next === undefined) {
        throw new Error('ManualClock.runUntil: the work is waiting, but nothing sleeps on the clock');
      }
      if (next > deadline) {
        throw new Error(`ManualClock.runUntil: still not done after ${limitMs} ms of clock time`);
      }
      await this.advanceTo(next);
    }
  }

  private addSleeper(ms: number, holdsRequest: boolean, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        at: this.time + Math.max(0, ms),
        seq: this.seq++,
        holdsRequest,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const index = this.sleepers.indexOf(sleeper);
        if (index >= 0) {
          this.sleepers.splice(index, 1);
          if (holdsRequest) this.held--;
          this.changed();
        }
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Keep sleepers ordered by due time, then by arrival.
      let index = this.sleepers.length;
      while (index > 0 && this.sleepers[index - 1]!.at > sleeper.at) index--;
      this.sleepers.splice(index, 0, sleeper);
      if (holdsRequest) this.held++;
      this.changed();
    });
  }

  private changed(): void {
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const wake of waiters) wake();
  }
}

function noop(): void {}
