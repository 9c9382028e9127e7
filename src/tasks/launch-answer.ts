/**
 * What a launch's request came back with: a UPID (the row follows its task from now on, with its
 * deadline and post-check), vzdump's `OK` (none of its guests is on that node), something else (the
 * row ends `unknown`), or a refusal (PVE's own words, without the HTTP decoration).
 */
import type { PveApiError } from '../api/index.js';
import type { Clock } from '../util/clock.js';
import { checkUpid } from './answers.js';
import { cleanText } from './clean-text.js';
import { describeTask } from './describe.js';
import type { PostCheck, TaskRow, TaskStore } from './store.js';
import { launchDeadlineMs } from './launch-plan.js';
import { parseUpid, type Upid } from './upid.js';

export interface AnswerContext {
  store: TaskStore;
  clock: Clock;
  /** Deadline of every launched task; default by task type. */
  timeoutMs?: number;
}

/** PVE answered: a UPID starts following the task; vzdump's `OK` means no guest was on that node. */
export function recordAnswer(options: AnswerContext, key: string, answer: string): void {
  const { store, clock } = options;
  const row = store.getState().row(key);
  if (!row) return;
  if (row.launch?.action === 'backup' && answer === 'OK') {
    store.getState().update((tx) =>
      tx.finish(key, 'failed', {
        message: `vzdump on ${row.node} answered OK without a task: none of the guests is on ${row.node}`,
        endedAt: clock.now(),
      }),
    );
    return;
  }
  const checked = checkUpid(answer);
  if (!checked) {
    store.getState().update((tx) =>
      tx.finish(key, 'unknown', {
        message: `PVE answered '${cleanText(answer.slice(0, 80))}' instead of a task id`,
        endedAt: clock.now(),
      }),
    );
    return;
  }
  store.getState().update((tx) => tx.patch(key, adoptionPatch(options, row, parseUpid(checked))));
}

/**
 * What is read after the task ended OK before its row is final: the task says what PVE did, the guest
 * says whether it worked (an HA request only asks the HA stack; a reboot's guest must come up again).
 */
function postCheckFor(row: TaskRow, upid: Upid): PostCheck | undefined {
  const spec = row.launch!;
  const guest = spec.guests[0]!;
  const vmid = guest.vmid;
  switch (spec.action) {
    case 'start':
      return upid.type === 'hastart' ? { kind: 'guest-running', vmid } : undefined;
    case 'shutdown':
    case 'stop':
      return { kind: 'guest-state', vmid, status: 'stopped' };
    case 'reboot':
      // A VM's qmreboot ends once it is down; qmeventd starts it again in a task of its own.
      return { kind: 'guest-state', vmid, status: 'running', bootedAfter: row.firstSeenAt };
    case 'migrate': {
      const check: PostCheck = { kind: 'guest-state', vmid, node: String(spec.params.target) };
      if (spec.params.running) check.status = 'running';
      return check;
    }
    case 'snapshot':
      return { kind: 'snapshot-exists', node: spec.node, guestType: guest.type, vmid, snapname: String(spec.params.snapname) };
    case 'backup':
      return spec.guests.length > 1 ? { kind: 'backup-guests' } : undefined;
  }
}

/** The fields a queued row gets once its task is known. */
function adoptionPatch(options: AnswerContext, row: TaskRow, upid: Upid) {
  const postCheck = postCheckFor(row, upid);
  return {
    upid: upid.upid,
    state: 'running' as const,
    node: upid.node,
    type: upid.type,
    taskId: upid.id,
    user: upid.user,
    startedAt: upid.starttime * 1000,
    description: describeTask(upid.type, upid.id),
    deadline: options.clock.now() + (options.timeoutMs ?? launchDeadlineMs(row.launch, upid.type)),
    sentAt: undefined,
    ...(postCheck ? { postCheck } : {}),
  };
}

/** PVE's own words: the body's message or the reason phrase, without the HTTP decoration. */
export function refusalMessage(error: PveApiError): string {
  const params = error.errors ? Object.entries(error.errors).map(([name, text]) => `${name}: ${text.trim()}`) : [];
  const base = error.reason && error.status ? error.reason : error.message;
  return params.length > 0 ? `${base} (${params.join('; ')})` : base;
}
