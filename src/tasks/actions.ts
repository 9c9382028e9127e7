/**
 * Every action the board offers, on the domain: pause, refresh, focus, stop a task, cancel or resume
 * launches, launch, list backup storages. Components never fetch: they read the store and call these.
 * Each action reports what it did (or why it could not) on the runtime's one message channel.
 */
import type { PveClient } from '../api/index.js';
import { malformedMessage, readStorages } from './answers.js';
import { LaunchError, planLaunches, type LaunchRequest } from './launch-plan.js';
import type { LaunchQueue } from './launch-queue.js';
import type { Poller } from './poller/index.js';
import type { Message, TaskStore } from './store.js';

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
  /** Queue launches for these guests; rows appear at once as `queued`. Returns their keys (none: refused, and said why). */
  launch(request: LaunchRequest): readonly string[];
  /** Launches queued by an earlier session wait for this: send them (`true`) or drop them. */
  resumeLaunches(resume: boolean): void;
  /** Storage ids that take backups on every node of these guests (for the backup dialog). */
  backupStorages(vmids: readonly number[]): Promise<string[]>;
}

export interface ActionDeps {
  client: PveClient;
  store: TaskStore;
  queue: LaunchQueue;
  poller: Poller;
  notify: RuntimeActions['notify'];
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

export function createActions({ client, store, queue, poller, notify }: ActionDeps): RuntimeActions {
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
      const title = titleOf(key);
      if (queue.cancel(key)) notify(`cancelled the queued launch: ${title}`);
      else notify('already sent, cannot be cancelled any more: stop the task once it runs', 'error');
    },
    launch(request) {
      try {
        const specs = planLaunches(request, store.getState().guests);
        const keys = queue.enqueue(specs, store.getState().guests);
        notify(`queued ${request.action} of ${plural(request.vmids.length, 'guest')}`);
        return keys;
      } catch (error) {
        if (!(error instanceof LaunchError)) throw error;
        notify(`not launched: ${error.message}`, 'error');
        return [];
      }
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
  };
}
