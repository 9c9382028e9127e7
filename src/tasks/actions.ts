/**
 * Every action the board offers, on the domain: pause, refresh, focus, stop a task, cancel or resume
 * launches, launch (and check a migration or plan a drain first), list backup storages. Components
 * never fetch: they read the store and call these.
 * Each action reports what it did (or why it could not) on the runtime's one message channel.
 */
import type { PveClient } from '../api/index.js';
import type { Clock } from '../util/clock.js';
import { malformedMessage, readStorages } from './answers.js';
import { checkLaunch as checkGuests, describeVerdicts, recordNotSent, type Verdict } from './launch-check.js';
import { planLaunches, type LaunchRequest } from './launch-plan.js';
import type { LaunchQueue } from './launch-queue.js';
import { readWholeLog, writeLogFile } from './log-file.js';
import type { Poller } from './poller/index.js';
import { planDrain, type DrainOptions, type DrainPlan } from './drain.js';
import { migrationCheckView, readNodeCapacities, type NodeCapacity } from './migration-reads.js';
import { activeTaskFor, type Guest, type Message, type TaskStore } from './store.js';
import type { TrackOptions } from './tracker.js';
import { parseUpid } from './upid.js';

export interface RuntimeActions {
  /** Posts a line on the one message channel (the board's status line; commands print it on stderr). */
  notify(text: string, level?: Message['level']): void;
  /** Pause or resume polling (the header shows PAUSED). */
  setPaused(paused: boolean): void;
  /** Poll now instead of at the next interval. */
  refreshNow(): void;
  /** The task open in the detail view, or undefined: its status and log tail are read every second. */
  focusTask(key: string | undefined): void;
  /** DELETE the task on its node; the outcome shows on the row and as a message. */
  stopTask(key: string): Promise<void>;
  /** Drop a queued launch that has not been sent. */
  cancelLaunch(key: string): void;
  /** What a launch would do with each guest (go, skip or refuse, with the reason), as the dialogs show it. */
  checkLaunch(request: LaunchRequest, options?: { noSkip?: boolean }): Verdict[];
  /**
   * A migration's verdicts, with what only the cluster can say read first: whether each target is
   * online, and what blocks each VM from moving (its migration preconditions).
   */
  checkMigration(request: Extract<LaunchRequest, { action: 'migrate' }>, options?: { noSkip?: boolean }): Promise<Verdict[]>;
  /** The plan for draining a node: each guest's target, or why it stays (drain.ts). */
  planDrain(options: DrainOptions): Promise<DrainPlan>;
  /**
   * The nodes of the guests' cluster, online or not, with their memory where the credentials may see it
   * (a migration's target choice). One runtime has one cluster; the router over several picks by the guests.
   */
  clusterNodes(guests: readonly number[]): Promise<NodeCapacity[]>;
  /**
   * Queues launches for the guests that may go; rows appear at once, `queued`, and as `skipped` or
   * `failed` (refused before any request) with the reason for the others. Returns the new rows' keys.
   * `verdicts`: as checkMigration or planDrain gave them (else they are worked out from the store).
   */
  launch(request: LaunchRequest, options?: { noSkip?: boolean; verdicts?: readonly Verdict[] }): readonly string[];
  /** Pause or resume the launch queue: queued launches wait, those sent go on. */
  setQueuePaused(paused: boolean): void;
  /** Drop every queued launch not sent yet. */
  cancelQueued(): void;
  /** Change the launch limits at once. */
  setLaunchLimits(limits: { parallel?: number; perNode?: number }): void;
  /** Launches queued by an earlier session wait for this: send them (`true`) or drop them. */
  resumeLaunches(resume: boolean): void;
  /** Storage ids that take backups on every node of these guests (for the backup dialog). */
  backupStorages(vmids: readonly number[]): Promise<string[]>;
  /**
   * Watches a task started elsewhere (a UPID typed into the board, or `--watch`): a `mine` row with a
   * deadline (the runtime's timeout, else its type's). Returns its key; undefined, said why, for a bad UPID.
   */
  watchTask(upid: string): string | undefined;
  /** Writes the task's whole log to a file (mode 0600) and says where; resolves with its path, or undefined. */
  saveTaskLog(key: string): Promise<string | undefined>;
}

export interface ActionDeps {
  client: PveClient;
  clock: Clock;
  store: TaskStore;
  queue: LaunchQueue;
  poller: Poller;
  notify: RuntimeActions['notify'];
  /** The tracker's `track`: a UPID joins the watched rows. */
  track(upid: string, options?: TrackOptions): string;
  /** The deadline of every task launched or watched (`--timeout`); default by task type. */
  timeoutMs?: number;
  /** Where a saved log goes: the first that can take it (the state dir, then the working directory). */
  logDirs?: readonly string[];
}

const plural = (count: number, word: string, words = `${word}s`) => `${count} ${count === 1 ? word : words}`;

/** Why a row of another window takes no action here. */
export function readOnlyMessage(window: number): string {
  return `this task belongs to pvetasks window w${window}: read-only here, act on it there`;
}

export function createActions({ client, clock, store, queue, poller, notify, track, timeoutMs, logDirs = [] }: ActionDeps): RuntimeActions {
  const checkView = () => {
    const state = store.getState();
    return {
      guests: state.guests,
      taskInFlight: (vmid: number) => activeTaskFor(state, vmid)?.description,
      ...(state.access ? { access: state.access } : {}),
    };
  };
  const checkLaunch: RuntimeActions['checkLaunch'] = (request, options) => checkGuests(request, checkView(), options);
  const titleOf = (key: string) => {
    const row = store.getState().row(key);
    return row ? [row.description || row.upid || key, row.guestName].filter(Boolean).join(' ') : key;
  };
  return {
    notify,
    setPaused: (paused) => poller.setPaused(paused),
    refreshNow: () => poller.refreshNow(),
    focusTask: (key) => poller.focus(key),
    async stopTask(key) {
      const row = store.getState().row(key);
      if (!row?.upid) return;
      if (row.window !== undefined) return notify(readOnlyMessage(row.window), 'error');
      notify(`stopping the task ${titleOf(key)}...`);
      try {
        await client.DELETE('/nodes/{node}/tasks/{upid}', { params: { path: { node: row.node, upid: row.upid } } });
        notify(`stop requested: ${titleOf(key)}`);
        poller.refreshNow();
      } catch (error) {
        notify(`cannot stop ${titleOf(key)}: ${error instanceof Error ? error.message : String(error)}`, 'error');
      }
    },
    cancelLaunch(key) {
      const window = store.getState().row(key)?.window;
      if (window !== undefined) return notify(readOnlyMessage(window), 'error');
      const title = titleOf(key);
      if (queue.cancel(key)) notify(`cancelled the queued launch: ${title}`);
      else notify('already sent, cannot be cancelled any more: stop the task once it runs', 'error');
    },
    checkLaunch,
    async checkMigration(request, options) {
      const view = checkView();
      const guests = request.vmids.map((vmid) => view.guests[vmid]).filter((guest): guest is Guest => guest !== undefined);
      return checkGuests(request, await migrationCheckView(client, view, guests, request), options);
    },
    planDrain: (options) => planDrain(client, checkView(), options),
    clusterNodes: () => readNodeCapacities(client),
    launch(request, options) {
      const verdicts = options?.verdicts ?? checkLaunch(request, options);
      const going = verdicts.filter((verdict) => 'go' in verdict).map((verdict) => verdict.vmid);
      const { guests } = store.getState();
      const keys = [
        ...queue.enqueue(planLaunches({ ...request, vmids: going }, guests), guests),
        ...recordNotSent(store, clock.now(), request, verdicts, guests),
      ];
      const others = describeVerdicts(verdicts);
      if (going.length === 0) notify(`not launched: ${others}`, 'error');
      else notify(`queued ${request.action} of ${plural(going.length, 'guest')}${others ? `; ${others}` : ''}`);
      return keys;
    },
    setQueuePaused(paused) {
      queue.setPaused(paused);
      notify(paused ? 'launch queue paused: queued launches wait' : 'launch queue resumed');
    },
    cancelQueued() {
      const count = queue.cancelAll();
      notify(count > 0 ? `cancelled ${plural(count, 'queued launch', 'queued launches')}` : 'no queued launch to cancel');
    },
    setLaunchLimits(limits) {
      queue.setLimits(limits);
      const { parallel, perNode } = store.getState().queue;
      notify(`launch limits: ${parallel} at once, ${perNode} per node`);
    },
    resumeLaunches(resume) {
      const count = queue.heldKeys().length;
      queue.releaseHeld(resume);
      if (count === 0) return;
      const what = count === 1 ? '1 queued launch' : `${count} queued launches`;
      notify(resume ? `resuming ${what} of the last session` : `dropped ${what} of the last session`);
    },
    async backupStorages(vmids) {
      const { guests } = store.getState();
      const nodes = [...new Set(vmids.map((vmid) => guests[vmid]?.node).filter((node): node is string => !!node))];
      let common: Set<string> | undefined;
      for (const node of nodes) {
        const storages = await readStorages(client, node, 'backup');
        if (storages.malformed > 0) notify(malformedMessage(storages.malformed, `/nodes/${node}/storage`), 'error');
        const ids = new Set(storages.items.filter((entry) => entry.active).map((entry) => entry.storage));
        common = common ? new Set([...common].filter((id) => ids.has(id))) : ids;
      }
      return [...(common ?? [])].sort();
    },
    watchTask(upid) {
      try {
        parseUpid(upid);
      } catch (error) {
        notify(error instanceof Error ? error.message : String(error), 'error');
        return undefined;
      }
      const known = store.getState().keyOf(upid);
      const already = known !== undefined && store.getState().row(known)?.mine === true;
      const key = track(upid, timeoutMs !== undefined ? { timeoutMs } : {});
      notify(already ? `already watched: ${titleOf(key)}` : `watching ${titleOf(key)}`);
      poller.refreshNow();
      return key;
    },
    async saveTaskLog(key) {
      const row = store.getState().row(key);
      if (!row?.upid) {
        notify('no log yet: the task has not started', 'error');
        return undefined;
      }
      try {
        const { lines, cut } = await readWholeLog(client, row.node, row.upid);
        const path = writeLogFile(logDirs, row.upid, lines, cut);
        notify(`saved ${plural(lines.length, 'line')} of the log to ${path}${cut ? ' (cut there)' : ''}`);
        return path;
      } catch (error) {
        notify(`cannot save the log of ${titleOf(key)}: ${error instanceof Error ? error.message : String(error)}`, 'error');
        return undefined;
      }
    },
  };
}
