/**
 * Default deadlines per task type (DESIGN.md "Deadlines"), used when the operator gives no `--timeout`.
 * Only the types named there get a shorter or longer deadline; everything else gets 30 minutes, which
 * errs on the side of waiting rather than reporting a false timeout.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const DEFAULT_TASK_TIMEOUT_MS = 30 * MINUTE;

const TIMEOUT_BY_TYPE: Readonly<Record<string, number>> = {
  // Power actions, VMs (qm*), containers (vz*) and HA-managed guests (ha*).
  qmstart: 2 * MINUTE,
  qmstop: 2 * MINUTE,
  qmshutdown: 2 * MINUTE,
  qmreboot: 2 * MINUTE,
  vzstart: 2 * MINUTE,
  vzstop: 2 * MINUTE,
  vzshutdown: 2 * MINUTE,
  vzreboot: 2 * MINUTE,
  hastart: 2 * MINUTE,
  hastop: 2 * MINUTE,
  hashutdown: 2 * MINUTE,
  qmcreate: 10 * MINUTE,
  vzcreate: 10 * MINUTE,
  // Taking a snapshot; rollback and delete keep the general default (a rollback with RAM can be long).
  qmsnapshot: 5 * MINUTE,
  vzsnapshot: 5 * MINUTE,
  vzdump: 2 * HOUR,
  qmigrate: HOUR,
  vzmigrate: HOUR,
  hamigrate: HOUR,
  qmclone: HOUR,
  vzclone: HOUR,
  qmtemplate: HOUR,
  vztemplate: HOUR,
};

/** The default deadline for a task of this type, in milliseconds. */
export function defaultTimeoutFor(type: string): number {
  return Object.hasOwn(TIMEOUT_BY_TYPE, type) ? TIMEOUT_BY_TYPE[type]! : DEFAULT_TASK_TIMEOUT_MS;
}
