/**
 * How often the board needs its ticker: every second whenever something on screen shows a time that
 * moves by the second, every 5 s while the only such times are running tasks past their first minute.
 * Each display of a running time is listed here, with the component that shows it.
 */
import type { TaskStoreState } from '../tasks/store.js';
import { MESSAGE_MS } from './components/footer.js';
import type { BoardDeps } from './context.js';
import { taskStart } from './format.js';
import { SLOW_AFTER_MS, SLOW_TICK_MS, TICK_MS, type TickDemand } from './ticker.js';

/** Whether a running task is still in its first minute: the newest running task is near the top of the order. */
function youngTaskRunning(tasks: TaskStoreState, now: number): boolean {
  for (const key of tasks.order.cluster) {
    const row = tasks.row(key);
    if (!row || (row.state !== 'running' && row.state !== 'queued')) return false;
    if (row.state === 'running') return now - taskStart(row) < SLOW_AFTER_MS;
  }
  return false;
}

export function tickDemand(deps: Pick<BoardDeps, 'store' | 'ui'>): TickDemand {
  return {
    interval(now) {
      const tasks = deps.store.getState();
      const ui = deps.ui.getState();
      // The detail view: the open task's elapsed time.
      if (ui.detail) return TICK_MS;
      // Header: "unreachable since ... (45s: ...)".
      for (const name in tasks.nodes) if (tasks.nodes[name]!.error) return TICK_MS;
      // Footer: a message shows for MESSAGE_MS.
      if (tasks.message && now - tasks.message.at < MESSAGE_MS) return TICK_MS;
      // Header: the data's age counts up once a poll is late (and while paused).
      const { lastSuccessAt, paused } = tasks.poll;
      const intervalMs = tasks.session?.intervalMs;
      if (paused || lastSuccessAt === undefined || intervalMs === undefined || now - lastSuccessAt > intervalMs) return TICK_MS;
      // Task rows: elapsed times of running tasks (by the second in their first minute), and of timed-out ones still running.
      const { running, timeout } = tasks.tallies.cluster;
      if (running > 0 && youngTaskRunning(tasks, now)) return TICK_MS;
      return running > 0 || timeout > 0 ? SLOW_TICK_MS : undefined;
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
