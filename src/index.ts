/**
 * The library: `import { waitForTask, createTaskTracker, ... } from 'pvetasks'`.
 * Each export is documented, with an example, in the README.
 */
export { createPveClient, PveApiError } from './api/index.js';
export type { PveClient, PveClientOptions, PveErrorKind } from './api/index.js';
export { parseUpid, formatUpid, isUpid, InvalidUpidError } from './tasks/upid.js';
export type { Upid } from './tasks/upid.js';
export { classifyExitStatus } from './tasks/exit-status.js';
export type { ExitStatusClass, TaskOutcome } from './tasks/exit-status.js';
export { describeTask } from './tasks/describe.js';
export { parseTaskProgress } from './tasks/progress.js';
export type { TaskProgress } from './tasks/progress.js';
export { defaultTimeoutFor } from './tasks/timeouts.js';
export { isTaskRunning, getTaskExitStatus, waitForTask } from './tasks/wait.js';
export type { WaitForTaskOptions, WaitForTaskResult } from './tasks/wait.js';
export { createTaskTracker } from './tasks/runtime.js';
export type { TaskTracker, TrackerOptions, TrackOptions, TrackerEvent, TrackerSummary } from './tasks/tracker.js';
export type { TaskRow, TaskState } from './tasks/store.js';
export { openSession } from './tasks/session.js';
export type { Session, SessionOptions } from './tasks/session.js';
export { startSimulator } from './sim/index.js';
export type { SimulatorOptions } from './sim/index.js';
export { systemClock, ManualClock } from './util/clock.js';
export type { Clock } from './util/clock.js';
