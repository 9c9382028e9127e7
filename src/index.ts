// The library surface: import { parseUpid, waitForTask, ... } from 'pvetasks'.
export { parseUpid, formatUpid, isUpid, InvalidUpidError } from './tasks/upid.js';
export type { Upid } from './tasks/upid.js';
export { systemClock, ManualClock } from './util/clock.js';
export type { Clock } from './util/clock.js';
