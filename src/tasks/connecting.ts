/**
 * The board while it connects: an empty store that says where it connects to (the header, "waiting
 * for data"), and actions that only say to wait. The board draws this at once, before the HTTP client
 * is even loaded; the runtimes take over when every cluster answered (commands/board.ts).
 */
import type { Clock } from '../util/clock.js';
import type { RuntimeActions } from './actions.js';
import { createTaskStore, messageChannel, type SessionInfo, type TaskStore } from './store.js';

export function connectingBoard(info: SessionInfo | undefined, clock: Clock): { store: TaskStore; actions: RuntimeActions } {
  const store = createTaskStore();
  if (info) store.getState().update((tx) => tx.setSession(info));
  const notify = messageChannel(store, clock);
  const notYet = 'still connecting: try again in a moment';
  const wait = () => notify(notYet);
  const refuse = <T>(): Promise<T> => Promise.reject(new Error(notYet));
  return {
    store,
    actions: {
      notify,
      setPaused: wait,
      refreshNow: wait,
      focusTask: () => {},
      stopTask: async () => wait(),
      cancelLaunch: wait,
      checkLaunch: () => [],
      checkMigration: refuse,
      planDrain: refuse,
      clusterNodes: refuse,
      launch: () => {
        wait();
        return [];
      },
      setQueuePaused: wait,
      cancelQueued: wait,
      setLaunchLimits: wait,
      resumeLaunches: () => {},
      backupStorages: refuse,
      watchTask: () => {
        wait();
        return undefined;
      },
      saveTaskLog: async () => {
        wait();
        return undefined;
      },
    },
  };
}
