/**
 * What a launch should do with each guest before anything is sent: go, skip (nothing to do, or not
 * now), or refuse (it cannot work). The board's confirm dialog shows the verdicts, the runtime's
 * `launch` and the launch commands act on them, so both say the same.
 *
 * Skipped, with the reason, unless `noSkip` (then sent anyway): a guest already in the state the action
 * wants (a start of a running guest, a shutdown or stop of a stopped one, a migration of a guest already
 * on its target), a reboot of a guest that does not run, a template where the action makes no sense
 * (templates never run, and a drain leaves them), a guest with a task in flight (ours or anyone's: the
 * task lists, or PVE's `lock` in /cluster/resources), a guest whose node is offline (PVE lists its
 * guests with status `unknown`). Refused, naming why, before any request: a guest that does not exist, a
 * privilege the credentials lack (when `/access/permissions` was read), a migration to a node that is
 * not in the cluster or is offline, or one the migration check found blocked (local devices, local disks
 * of a running VM without with-local-disks: `migrationBlocker`).
 */
import { describeTask } from './describe.js';
import { expectedTaskType, type LaunchAction, type LaunchRequest } from './launch-plan.js';
import { holds } from './privileges.js';
import type { TaskStore } from './store.js';
import type { Access, Guest, LaunchSpec } from './task-row.js';

export type Verdict = { vmid: number; go: true } | { vmid: number; skip: string } | { vmid: number; refuse: string };

export interface CheckView {
  guests: ReadonlyMap<number, Guest> | Readonly<Record<number, Guest>>;
  /** A task running or queued for the guest, in words (`Backup Job`, `VM 101 - Start`). */
  taskInFlight(vmid: number): string | undefined;
  access?: Access;
  /** Migrations: whether a node is online; undefined when it is not in the cluster (unknown: nothing is concluded). */
  nodeOnline?(node: string): boolean | undefined;
  /** Migrations: why PVE would refuse to move this guest (from its migration preconditions), if it would. */
  migrationBlocker?(vmid: number): string | undefined;
}

/** Privileges each action needs on the guest (`/vms/VMID`), as PVE checks them. */
const GUEST_PRIVILEGES: Record<LaunchAction, string> = {
  start: 'VM.PowerMgmt',
  backup: 'VM.Backup',
  snapshot: 'VM.Snapshot',
  shutdown: 'VM.PowerMgmt',
  stop: 'VM.PowerMgmt',
  reboot: 'VM.PowerMgmt',
  migrate: 'VM.Migrate',
};

export function checkLaunch(request: LaunchRequest, view: CheckView, { noSkip = false }: { noSkip?: boolean } = {}): Verdict[] {
  const lookup = (vmid: number) => (view.guests instanceof Map ? view.guests.get(vmid) : (view.guests as Record<number, Guest>)[vmid]);
  return [...new Set(request.vmids)].map((vmid): Verdict => {
    const guest = lookup(vmid);
    if (!guest) return { vmid, refuse: 'does not exist in this cluster' };
    const missing = missingPrivilege(request, vmid, view.access);
    if (missing) return { vmid, refuse: `needs ${missing}` };
    const target = request.action === 'migrate' ? request.targets[vmid] : undefined;
    if (request.action === 'migrate') {
      const refusal = migrationRefusal(guest, target, view);
      if (refusal) return { vmid, refuse: refusal };
    }
    const reason = skipReason(request.action, guest, view.taskInFlight(vmid), target);
    if (reason && !noSkip) return { vmid, skip: reason };
    // Skipped guests are not asked about (a template, a guest already there); the rest is, before any request.
    const blocker = request.action === 'migrate' ? view.migrationBlocker?.(vmid) : undefined;
    return blocker ? { vmid, refuse: blocker } : { vmid, go: true };
  });
}

/** A migration that cannot work wherever the guest is: no target, the guest's own node, a node not in the cluster or offline. */
function migrationRefusal(guest: Guest, target: string | undefined, view: CheckView): string | undefined {
  if (!target) return 'no target node';
  if (target === guest.node) return undefined; // already there: skipped below
  const online = view.nodeOnline?.(target);
  if (view.nodeOnline && online === undefined) return `${target} is not a node of this cluster`;
  if (online === false) return `target ${target} is offline`;
  return undefined;
}

function missingPrivilege(request: LaunchRequest, vmid: number, access: Access | undefined): string | undefined {
  if (!access) return undefined;
  const privilege = GUEST_PRIVILEGES[request.action];
  if (!holds(access.permissions, `/vms/${vmid}`, privilege)) return `${privilege} on /vms/${vmid}`;
  if (request.action === 'backup') {
    const path = `/storage/${request.storage}`;
    if (!holds(access.permissions, path, 'Datastore.AllocateSpace')) return `Datastore.AllocateSpace on ${path}`;
  }
  return undefined;
}

function skipReason(action: LaunchAction, guest: Guest, inFlight: string | undefined, target: string | undefined): string | undefined {
  if (guest.status === 'unknown') return `node ${guest.node} offline or not answering`;
  if (inFlight) return `task in flight: ${inFlight}`;
  if (guest.lock) return `locked (${guest.lock})`;
  if (action !== 'backup' && guest.template) return 'template';
  switch (action) {
    case 'start':
      return guest.status === 'running' ? 'already running' : undefined;
    case 'shutdown':
    case 'stop':
      return guest.status === 'stopped' ? 'already stopped' : undefined;
    case 'reboot':
      return guest.status === 'stopped' ? 'not running' : undefined;
    case 'migrate':
      return target === guest.node ? `already on ${target}` : undefined;
    case 'snapshot':
    case 'backup':
      return undefined;
  }
}

/** The guests a verdict list sends, skips and refuses, for a one-line message. */
export function describeVerdicts(verdicts: readonly Verdict[]): string {
  const skipped = verdicts.filter((verdict): verdict is Extract<Verdict, { skip: string }> => 'skip' in verdict);
  const refused = verdicts.filter((verdict): verdict is Extract<Verdict, { refuse: string }> => 'refuse' in verdict);
  const parts: string[] = [];
  if (skipped.length) parts.push(`skipped ${skipped.map((verdict) => `${verdict.vmid} (${verdict.skip})`).join(', ')}`);
  if (refused.length) parts.push(`refused ${refused.map((verdict) => `${verdict.vmid} (${verdict.refuse})`).join(', ')}`);
  return parts.join('; ');
}

/**
 * Rows for the guests a launch did not send: `skipped` or `failed` (refused before any request), each
 * with its reason, so the board and the summaries show them like the rest. Returns their keys.
 */
export function recordNotSent(
  store: TaskStore,
  now: number,
  request: LaunchRequest,
  verdicts: readonly Verdict[],
  guests: Readonly<Record<number, Guest>>,
): string[] {
  const keys: string[] = [];
  store.getState().update((tx) => {
    for (const verdict of verdicts) {
      if ('go' in verdict) continue;
      const guest = guests[verdict.vmid];
      const spec: LaunchSpec = {
        action: request.action,
        node: guest?.node ?? '',
        guests: [{ vmid: verdict.vmid, type: guest?.type ?? 'qemu' }],
        params: {},
      };
      const type = expectedTaskType(spec, guest?.hastate !== undefined);
      const skipped = 'skip' in verdict;
      const key = tx.add({
        mine: true,
        node: spec.node,
        type,
        taskId: String(verdict.vmid),
        description: describeTask(type, String(verdict.vmid)),
        vmids: [verdict.vmid],
        ...(guest?.name ? { guestName: guest.name } : {}),
        firstSeenAt: now,
        endedAt: now,
        state: skipped ? 'skipped' : 'failed',
        message: skipped ? verdict.skip : verdict.refuse,
      });
      keys.push(key);
    }
  });
  return keys;
}
