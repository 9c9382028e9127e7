/**
 * One domain runtime per connection: it builds the task store, the poller, the launch queue, the
 * tracker and (when given) attaches the session, owns every action the board offers and the one
 * message channel. The board, the commands, the tests and the benchmark construct runtimes; several
 * can run side by side (one per cluster).
 */
import type { PveClient } from '../api/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { createActions, type RuntimeActions } from './actions.js';
import { malformedMessage } from './answers.js';
import { LaunchQueue } from './launch-queue.js';
import { Poller } from './poller/index.js';
import type { Session } from './session.js';
import { OtherWindows } from './session-others.js';
import { createTaskStore, messageChannel, type Message, type Scope, type SessionInfo, type TaskStore } from './store.js';
import { createTracker, type TaskTracker, type TrackerOptions } from './tracker.js';

export interface RuntimeOptions {
  client: PveClient;
  clock?: Clock;
  /** Poll interval, default 2 s. */
  intervalMs?: number;
  /** `cluster`: every task the credentials may see joins the registry (the board); default `mine`. */
  scope?: Scope;
  /** Keep following timed-out tasks for their late outcome (the board); commands stop. Default false. */
  watchAfterTimeout?: boolean;
  /** Restores its rows into the store and saves the `mine` rows from then on. */
  session?: Session;
  /**
   * Show the tasks of the other live sessions of the same cluster and user (another board window, a
   * launch command) as read-only rows, read each poll cycle when their files changed (the board).
   */
  otherWindows?: boolean;
  /** Where warnings about other windows' files go. */
  onWarning?: (message: string) => void;
  /** Launch slots for the cluster, default 4. */
  parallel?: number;
  /** Launch slots per node, default 4. */
  perNode?: number;
  /** Deadline of every launched task; default by task type. */
  timeoutMs?: number;
  /** Guest names and states, refresh period; 0 never (default 10 s). */
  resourcesEveryMs?: number;
  requestTimeoutMs?: number;
  /** What the board's header says about the connection. */
  info?: SessionInfo;
  /** Where a saved task log goes, the first that takes it (the board: the state dir, then the working directory). */
  logDirs?: readonly string[];
}

export interface Runtime {
  readonly client: PveClient;
  readonly clock: Clock;
  readonly store: TaskStore;
  readonly poller: Poller;
  readonly queue: LaunchQueue;
  readonly tracker: TaskTracker;
  readonly actions: RuntimeActions;
  /** Posts a line on the one message channel (the board's status line; commands print it on stderr). */
  notify(text: string, level?: Message['level']): void;
  /** Stops polling and launching, and saves and releases the session. */
  close(): Promise<void>;
}

export function createRuntime(options: RuntimeOptions): Runtime {
  const { client } = options;
  const clock = options.clock ?? systemClock;
  const store = createTaskStore();
  if (options.info) store.getState().update((tx) => tx.setSession(options.info!));
  const notify: Runtime['notify'] = messageChannel(store, clock);

  // Malformed answers are said once per request kind, and again only when their count changes.
  const malformedSaid = new Map<string, number>();
  const { session } = options;
  const others =
    session && options.otherWindows
      ? new OtherWindows({
          ownPath: session.path,
          cluster: session.cluster,
          user: session.user,
          store,
          onWarning: options.onWarning ?? ((text) => notify(text, 'error')),
        })
      : undefined;
  const poller = new Poller({
    client,
    store,
    clock,
    intervalMs: options.intervalMs ?? 2000,
    scope: options.scope ?? 'mine',
    watchAfterTimeout: options.watchAfterTimeout ?? false,
    resourcesEveryMs: options.resourcesEveryMs ?? 10_000,
    ...(others ? { onCycle: () => others.refresh() } : {}),
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    onMalformed(what, count) {
      if (malformedSaid.get(what) === count) return;
      malformedSaid.set(what, count);
      notify(malformedMessage(count, what), 'error');
    },
  });
  options.session?.attach(store);
  const queue = new LaunchQueue({
    client,
    store,
    clock,
    ...(options.parallel !== undefined ? { parallel: options.parallel } : {}),
    ...(options.perNode !== undefined ? { perNode: options.perNode } : {}),
    ...(options.session ? { session: options.session } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  const tracker = createTracker({ store, poller, clock });
  const actions = createActions({
    client,
    clock,
    store,
    queue,
    poller,
    notify,
    track: (upid, trackOptions) => tracker.track(upid, trackOptions),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.logDirs ? { logDirs: options.logDirs } : {}),
  });
  let closed = false;
  return {
    client,
    clock,
    store,
    poller,
    queue,
    tracker,
    actions,
    notify,
    async close() {
      if (closed) return;
      closed = true;
      queue.close();
      await tracker.close();
      await poller.stop();
      await options.session?.close();
    },
  };
}

/** The library's tracker (`import { createTaskTracker } from 'pvetasks'`): a runtime of its own, closed with it. */
export function createTaskTracker(options: TrackerOptions): TaskTracker {
  const runtime = createRuntime(options);
  return { ...runtime.tracker, close: () => runtime.close() };
}
