/**
 * Row values for the store's writes: a new row from its input (fields derived from the UPID), and the
 * comparisons that let a write which changes nothing keep the row object (and notify no one).
 */
import { describeTask } from './describe.js';
import { sameTaskProgress } from './progress.js';
import { newRowKey, type Guest, type NewRow, type PollError, type TaskProgress, type TaskRow } from './task-row.js';
import { parseUpid } from './upid.js';

export function samePollError(a: PollError | undefined, b: PollError | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return a.message === b.message && a.since === b.since;
}

export function sameValue(field: string, a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (field === 'progress') return sameTaskProgress(a as TaskProgress, b as TaskProgress);
  if (field === 'pollError') return samePollError(a as PollError, b as PollError);
  if (field === 'vmids') {
    const x = a as readonly number[] | undefined;
    const y = b as readonly number[] | undefined;
    return !!x && !!y && x.length === y.length && x.every((v, i) => v === y[i]);
  }
  return false;
}

export function rowFromInput(input: NewRow): TaskRow {
  const parsed = input.upid ? parseUpid(input.upid) : undefined;
  const vmidFromId = parsed && /^\d+$/.test(parsed.id) ? [Number(parsed.id)] : [];
  const type = input.type ?? parsed?.type ?? '';
  const taskId = input.taskId ?? parsed?.id ?? '';
  const row: TaskRow = {
    key: input.key ?? newRowKey(),
    node: input.node ?? parsed?.node ?? '',
    type,
    taskId,
    description: input.description || (type ? describeTask(type, taskId) : ''),
    vmids: input.vmids ?? vmidFromId,
    mine: input.mine,
    firstSeenAt: input.firstSeenAt,
    state: input.state ?? (input.upid ? 'running' : 'queued'),
  };
  const optional: Partial<TaskRow> = {
    upid: input.upid,
    user: input.user ?? parsed?.user,
    startedAt: parsed ? parsed.starttime * 1000 : undefined,
    guestName: input.guestName,
    deadline: input.deadline,
    exitStatus: input.exitStatus,
    endedAt: input.endedAt,
    message: input.message,
    postCheck: input.postCheck,
    launch: input.launch,
    sentAt: input.sentAt,
  };
  for (const [field, value] of Object.entries(optional)) {
    if (value !== undefined) (row as unknown as Record<string, unknown>)[field] = value;
  }
  return row;
}

export function sameGuest(a: Guest, b: Guest): boolean {
  return (
    a.name === b.name &&
    a.node === b.node &&
    a.status === b.status &&
    a.type === b.type &&
    a.template === b.template &&
    a.hastate === b.hastate &&
    a.tags === b.tags &&
    a.lock === b.lock &&
    a.maxmem === b.maxmem
  );
}
