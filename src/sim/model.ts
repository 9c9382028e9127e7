/**
 * The cluster's state: nodes, guests (qemu and lxc) with their disks, storages and snapshots (made
 * from a seed by generate.ts). Whatever the seed, some guests play fixed roles (a stopped VM, an HA
 * VM, a template, a guest that fails to start, ...) so that tests and demos always find them through
 * `control.guests({ role })`.
 */
import { createHash } from 'node:crypto';

export type GuestType = 'qemu' | 'lxc';

/** Guarantees about a guest, each held by exactly one guest of the cluster. */
export type GuestRole =
  | 'stoppedQemu' // a plain stopped VM that starts fine
  | 'runningQemu' // a plain running VM
  | 'stoppedLxc'
  | 'runningLxc'
  | 'haStoppedQemu' // HA-managed VM, stopped (start answers with hastart, then root@pam's qmstart)
  | 'haRunningQemu'
  | 'haStoppedLxc'
  | 'qemuTemplate'
  | 'lxcTemplate'
  | 'failsToStart' // stopped VM whose qmstart ends with `TASK ERROR: start failed: QEMU exited with code 1`
  | 'failsToStartLxc' // stopped CT whose vzstart ends with `TASK ERROR: startup for container 'N' failed`
  | 'backupWarnings' // its vzdump ends `WARNINGS: N` (N >= 1)
  | 'backupFails' // its part of a vzdump fails, so the job ends `job errors`
  | 'localDevices' // running VM with a PCI passthrough device (hostpci0): migration refuses it in the task
  | 'sharedDiskQemu' // running VM whose disk is on shared storage: live-migrates without with-local-disks
  | 'multiDiskQemu' // running VM with three local disks (scsi0..scsi2): each is mirrored in turn
  | 'ignoresShutdown' // running VM that ignores ACPI: shutdown times out (forceStop stops it anyway)
  | 'lockedQemu'; // running VM left locked by a crashed backup (`lock: backup`)

/** The roles every seed has placed the same way since the first version (see generate.ts). */
export const BASE_ROLES: readonly GuestRole[] = [
  'stoppedQemu',
  'runningQemu',
  'stoppedLxc',
  'runningLxc',
  'haStoppedQemu',
  'haRunningQemu',
  'haStoppedLxc',
  'qemuTemplate',
  'lxcTemplate',
  'failsToStart',
  'failsToStartLxc',
  'backupWarnings',
  'backupFails',
];

/** Roles added later: given to plain running VMs after the others, so older seeds keep their guests. */
export const EXTRA_ROLES: readonly GuestRole[] = ['localDevices', 'sharedDiskQemu', 'multiDiskQemu', 'ignoresShutdown', 'lockedQemu'];

export const GUEST_ROLES: readonly GuestRole[] = [...BASE_ROLES, ...EXTRA_ROLES];

export interface SnapshotState {
  name: string;
  /** Epoch seconds. */
  snaptime: number;
  description: string;
  vmstate: boolean;
  parent?: string;
  /** Set while the snapshot is being created ("prepare") or deleted ("delete"). */
  snapstate?: string;
}

/** A guest's disk (qemu `scsi0`..., lxc `rootfs`), on one storage. */
export interface DiskState {
  key: string;
  storage: string;
  /** `local-lvm:vm-100-disk-0`. */
  volid: string;
  size: number;
}

export interface GuestState {
  vmid: number;
  type: GuestType;
  node: string;
  name: string;
  status: 'running' | 'stopped';
  template: boolean;
  tags: string[];
  /** HA resource state (`hastate` in /cluster/resources) when HA-managed: `migrate`/`relocate` while the HA stack moves it. */
  hastate?: 'started' | 'stopped' | 'migrate' | 'relocate';
  roles: GuestRole[];
  cpus: number;
  maxmem: number;
  /** The boot disk's size (what /cluster/resources shows as maxdisk). */
  maxdisk: number;
  /** Bytes in use over all disks (also what a full backup reads). */
  diskUsed: number;
  disks: DiskState[];
  /** Passthrough devices (`hostpci0`, `usb0`) that pin a VM to its node. */
  localDevices?: string[];
  /** ACPI shutdown requests are ignored (no agent, no ACPI): shutdowns time out. */
  ignoresShutdown?: boolean;
  /** Share of the used data written since a time, per hour (for incremental PBS backups). */
  churnPerHour: number;
  /** The PBS dirty bitmap: present after a PBS backup while QEMU kept running (reset when the VM stops). */
  pbsBitmap?: { since: number };
  /** When the last backup to the PBS storage finished (ms): later ones reuse its chunks. */
  pbsLastBackupAt?: number;
  /** When it started running (ms), for uptime. */
  startedAt?: number;
  lock?: string;
  snapshots: SnapshotState[];
  /** The `parent` of the `current` entry: the snapshot the running state derives from. */
  currentParent?: string;
  /** Why a start fails inside its task, when it does. */
  startFailure?: { lines: string[]; error: string };
  /** Warnings its backup logs (each `WARN: ...`, counted in `TASK WARNINGS: N`). */
  backupWarnings?: string[];
  /** Why its backup fails, when it does. */
  backupError?: string;
  configVersion: number;
}

export interface NodeState {
  name: string;
  nodeid: number;
  ip: string;
  maxcpu: number;
  maxmem: number;
  maxdisk: number;
  /** When the node booted (ms): UPID pstart is counted in clock ticks from here. */
  bootAt: number;
  nextPid: number;
}

export interface StorageState {
  storage: string;
  type: 'dir' | 'lvmthin' | 'nfs' | 'pbs' | 'rbd';
  content: string[];
  shared: boolean;
  /** False for the storage that fails (it cannot be activated). */
  active: boolean;
  total: number;
  used: number;
  path?: string;
  /** The activation error, for the failing storage. */
  activationError?: string;
  /** The datastore on the Proxmox Backup Server, for `pbs` storages. */
  datastore?: string;
}

export interface ClusterState {
  /** The cluster name (/cluster/status, the login's `clustername`). */
  name: string;
  nodes: NodeState[];
  guests: Map<number, GuestState>;
  /** Storages defined per node (shared ones appear on every node). */
  storages: StorageState[];
}

/** The config digest PVE reports (SHA-1 of the config file); here derived from the guest's version. */
export function configDigest(guest: GuestState): string {
  return createHash('sha1').update(`${guest.type}/${guest.vmid}/${guest.configVersion}/${guest.node}`).digest('hex');
}

export function guestConfigPath(guest: { type: GuestType; vmid: number }, node: string): string {
  return `nodes/${node}/${guest.type === 'qemu' ? 'qemu-server' : 'lxc'}/${guest.vmid}.conf`;
}

export function findStorage(cluster: ClusterState, id: string): StorageState | undefined {
  return cluster.storages.find((storage) => storage.storage === id);
}

/** Disks on storages that are not shared: what a migration has to copy. */
export function localDisks(cluster: ClusterState, guest: GuestState): DiskState[] {
  return guest.disks.filter((disk) => !findStorage(cluster, disk.storage)?.shared);
}
