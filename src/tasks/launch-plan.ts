/**
 * What an operator asks for (`LaunchRequest`, from a board dialog or a command line) and how it
 * becomes launch specs: one per guest, or one backup job per node (PVE backs up several guests of a
 * node in one vzdump task).
 */
import type { Guest, GuestType, LaunchSpec } from './store.js';

export type BackupMode = 'snapshot' | 'suspend' | 'stop';
export type BackupCompress = 'zstd' | 'lzo' | 'gzip' | '0';

export type LaunchRequest =
  | { action: 'start'; vmids: readonly number[] }
  | { action: 'backup'; vmids: readonly number[]; storage: string; mode: BackupMode; compress: BackupCompress }
  | { action: 'snapshot'; vmids: readonly number[]; snapname: string; description?: string; vmstate?: boolean };

export type LaunchAction = LaunchRequest['action'];

/** Guests as a launch needs them: where they are, what they are, whether HA manages them. */
export type GuestInfo = Pick<Guest, 'vmid' | 'type' | 'node' | 'name' | 'hastate' | 'template'>;

export class LaunchError extends Error {
  override name = 'LaunchError';
}

/** Turns a request into launch specs: one per guest, or one backup job per node. */
export function planLaunches(
  request: LaunchRequest,
  guests: ReadonlyMap<number, GuestInfo> | Readonly<Record<number, GuestInfo>>,
): LaunchSpec[] {
  const lookup = (vmid: number) => (guests instanceof Map ? guests.get(vmid) : (guests as Record<number, GuestInfo>)[vmid]);
  const targets = [...new Set(request.vmids)].map((vmid) => {
    const guest = lookup(vmid);
    if (!guest) throw new LaunchError(`guest ${vmid} does not exist in this cluster`);
    return guest;
  });
  const guestRef = (guest: GuestInfo) => ({ vmid: guest.vmid, type: guest.type, ...(guest.name ? { name: guest.name } : {}) });
  switch (request.action) {
    case 'start':
      return targets.map((guest) => ({ action: 'start', node: guest.node, guests: [guestRef(guest)], params: {} }));
    case 'snapshot':
      return targets.map((guest) => {
        const params: LaunchSpec['params'] = { snapname: request.snapname };
        if (request.description) params.description = request.description;
        if (request.vmstate && guest.type === 'qemu') params.vmstate = true;
        return { action: 'snapshot', node: guest.node, guests: [guestRef(guest)], params };
      });
    case 'backup': {
      const byNode = new Map<string, GuestInfo[]>();
      for (const guest of targets) byNode.set(guest.node, [...(byNode.get(guest.node) ?? []), guest]);
      return [...byNode].map(([node, list]) => ({
        action: 'backup',
        node,
        guests: list.map(guestRef),
        params: { storage: request.storage, mode: request.mode, compress: request.compress },
      }));
    }
  }
}

/** The task type a launch will get (before PVE says): for the description and the deadline. */
export function expectedTaskType(spec: LaunchSpec, haManaged: boolean): string {
  const type: GuestType = spec.guests[0]!.type;
  switch (spec.action) {
    case 'start':
      return haManaged ? 'hastart' : type === 'qemu' ? 'qmstart' : 'vzstart';
    case 'snapshot':
      return type === 'qemu' ? 'qmsnapshot' : 'vzsnapshot';
    case 'backup':
      return 'vzdump';
  }
}

/** Task types a launch of this action can make (a lookup after a lost answer searches for these). */
export function taskTypesOf(action: LaunchAction): readonly string[] {
  switch (action) {
    case 'start':
      return ['qmstart', 'vzstart', 'hastart'];
    case 'backup':
      return ['vzdump'];
    case 'snapshot':
      return ['qmsnapshot', 'vzsnapshot'];
  }
}

/** The UPID's id a launch's task will carry: the VMID, or '' for a multi-guest vzdump. */
export function taskIdOf(spec: LaunchSpec): string {
  return spec.action === 'backup' && spec.guests.length > 1 ? '' : String(spec.guests[0]!.vmid);
}
