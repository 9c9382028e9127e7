/**
 * When the board needs its ticker every second: whenever something on screen shows a time that moves
 * by the second. Each display of a running time is listed here, with the component that shows it.
 */
import { MESSAGE_MS } from './components/footer.js';
import type { BoardDeps } from './context.js';
import type { TickDemand } from './ticker.js';

export function tickDemand(deps: Pick<BoardDeps, 'store' | 'ui'>): TickDemand {
  return {
    everySecond(now) {
      const tasks = deps.store.getState();
      const ui = deps.ui.getState();
      // Task rows and the detail view: elapsed times of running tasks, and of timed-out ones still running.
      const { running, timeout } = tasks.tallies.cluster;
      if (running > 0 || timeout > 0 || ui.detail) return true;
      // Header: "unreachable since ... (45s: ...)".
      for (const name in tasks.nodes) if (tasks.nodes[name]!.error) return true;
      // Footer: a message shows for MESSAGE_MS.
      if (tasks.message && now - tasks.message.at < MESSAGE_MS) return true;
      // Header: the data's age counts up once a poll is late (and while paused).
      const { lastSuccessAt, paused } = tasks.poll;
      const intervalMs = tasks.session?.intervalMs;
      return paused || lastSuccessAt === undefined || intervalMs === undefined || now - lastSuccessAt > intervalMs;
    },
    subscribe(listener) {
      const stopTasks = deps.store.subscribe(listener);
      const stopUi = deps.ui.subscribe(listener);
      return () => {
        stopTasks();
        stopUi();
      };
    },
  };
}
