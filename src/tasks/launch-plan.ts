/**
 * What an operator asks for (`LaunchRequest`, from a board dialog or a command line) and how it
 * becomes launch specs: one per guest, or one backup job per node (PVE backs up several guests of a
 * node in one vzdump task).
 */
import type { Guest, GuestType, LaunchSpec } from './store.js';
import { defaultTimeoutFor } from './timeouts.js';

export type BackupMode = 'snapshot' | 'suspend' | 'stop';
export type BackupCompress = 'zstd' | 'lzo' | 'gzip' | '0';

export type LaunchRequest =
  | { action: 'start'; vmids: readonly number[] }
  | { action: 'backup'; vmids: readonly number[]; storage: string; mode: BackupMode; compress: BackupCompress }
  | { action: 'snapshot'; vmids: readonly number[]; snapname: string; description?: string; vmstate?: boolean }
  /** ACPI or guest agent; `shutdownTimeout` is PVE's own wait (seconds, its default 60), `forceStop` stops it hard after that. */
  | { action: 'shutdown'; vmids: readonly number[]; shutdownTimeout?: number; forceStop?: boolean }
  /** Hard power-off, like pulling the plug. */
  | { action: 'stop'; vmids: readonly number[] }
  | { action: 'reboot'; vmids: readonly number[]; shutdownTimeout?: number }
  /**
   * Each guest to its target node: VMs live when they run (`online`), containers by restart migration
   * (shut down, moved, started on the target; `shutdownTimeout` is PVE's wait for the shutdown, its
   * default 180 s). `withLocalDisks` lets a running VM's local disks be mirrored to the target.
   */
  | {
      action: 'migrate';
      vmids: readonly number[];
      targets: Readonly<Record<number, string>>;
      withLocalDisks?: boolean;
      shutdownTimeout?: number;
    };

export type LaunchAction = LaunchRequest['action'];

/** Guests as a launch needs them: where they are, what they are, whether they run, whether HA manages them. */
export type GuestInfo = Pick<Guest, 'vmid' | 'type' | 'node' | 'name' | 'hastate' | 'template'> & Partial<Pick<Guest, 'status'>>;

/** Actions PVE hands to the HA stack for an HA-managed guest (`hastart`, `hastop`, `hamigrate`); reboot has no HA variant. */
const HA_TYPES: Partial<Record<LaunchAction, string>> = { start: 'hastart', shutdown: 'hastop', stop: 'hastop', migrate: 'hamigrate' };

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
    case 'shutdown':
    case 'reboot':
      return targets.map((guest) => {
        const params: LaunchSpec['params'] = {};
        if (request.shutdownTimeout !== undefined) params.timeout = request.shutdownTimeout;
        if (request.action === 'shutdown' && request.forceStop) params.forceStop = true;
        return { action: request.action, node: guest.node, guests: [guestRef(guest)], params };
      });
    case 'stop':
      return targets.map((guest) => ({ action: 'stop', node: guest.node, guests: [guestRef(guest)], params: {} }));
    case 'migrate':
      return targets.map((guest) => {
        const target = request.targets[guest.vmid];
        if (!target) throw new LaunchError(`no target node for guest ${guest.vmid}`);
        const params: LaunchSpec['params'] = { target };
        // Where it should end up: running again there when it ran here (an HA container is restarted by the HA stack).
        if (guest.status === 'running') params.running = true;
        if (request.withLocalDisks) params.withLocalDisks = true;
        if (request.shutdownTimeout !== undefined && guest.type === 'lxc') params.timeout = request.shutdownTimeout;
        return { action: 'migrate', node: guest.node, guests: [guestRef(guest)], params };
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

/** Whether PVE answers this action on an HA-managed guest with an HA request instead of the task itself. */
export function hasHaVariant(action: LaunchAction): boolean {
  return HA_TYPES[action] !== undefined;
}

/** The task type a launch will get (before PVE says): for the description and the deadline. */
export function expectedTaskType(spec: LaunchSpec, haManaged: boolean): string {
  const type: GuestType = spec.guests[0]!.type;
  const ha = HA_TYPES[spec.action];
  if (haManaged && ha) return ha;
  const prefix = type === 'qemu' ? 'qm' : 'vz';
  switch (spec.action) {
    case 'backup':
      return 'vzdump';
    case 'migrate':
      return type === 'qemu' ? 'qmigrate' : 'vzmigrate';
    default:
      return `${prefix}${spec.action}`;
  }
}

/** Task types a launch of this action can make (a lookup after a lost answer searches for these). */
export function taskTypesOf(action: LaunchAction): readonly string[] {
  const ha = HA_TYPES[action];
  switch (action) {
    case 'backup':
      return ['vzdump'];
    case 'migrate':
      return ['qmigrate', 'vzmigrate', ha!];
    default:
      return [`qm${action}`, `vz${action}`, ...(ha ? [ha] : [])];
  }
}

/**
 * How long a launched task is waited for when no --timeout is given: its type's default, plus the
 * shutdown timeout handed to PVE for a shutdown or reboot (PVE waits that long before it gives up).
 */
export function launchDeadlineMs(spec: LaunchSpec | undefined, type: string): number {
  const base = defaultTimeoutFor(type);
  if (!spec || (spec.action !== 'shutdown' && spec.action !== 'reboot')) return base;
  const given = spec.params.timeout;
  return base + (typeof given === 'number' ? given * 1000 : 0);
}

/** The UPID's id a launch's task will carry: the VMID, or '' for a multi-guest vzdump. */
export function taskIdOf(spec: LaunchSpec): string {
  return spec.action === 'backup' && spec.guests.length > 1 ? '' : String(spec.guests[0]!.vmid);
}
