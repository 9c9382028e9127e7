/**
 * The cluster's state: nodes, guests (qemu and lxc), storages and snapshots, generated from a seed.
 * Whatever the seed, some guests play fixed roles (a stopped VM, an HA VM, a template, a guest that fails
 * to start, ...) so that tests and demos always find them through `control.guests({ role })`.
 */
import { createHash } from 'node:crypto';
import { Rng } from './rng.js';

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
  | 'backupFails'; // its part of a vzdump fails, so the job ends `job errors`

export const GUEST_ROLES: readonly GuestRole[] = [
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

export interface GuestState {
  vmid: number;
  type: GuestType;
  node: string;
  name: string;
  status: 'running' | 'stopped';
  template: boolean;
  tags: string[];
  /** HA resource state (`hastate` in /cluster/resources) when HA-managed. */
  hastate?: 'started' | 'stopped';
  roles: GuestRole[];
  cpus: number;
  maxmem: number;
  maxdisk: number;
  /** Bytes used on the root disk (also what a backup reads). */
  diskUsed: number;
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
  type: 'dir' | 'lvmthin' | 'nfs' | 'pbs';
  content: string[];
  shared: boolean;
  /** False for the storage that fails (it cannot be activated). */
  active: boolean;
  total: number;
  used: number;
  path?: string;
  /** The activation error, for the failing storage. */
  activationError?: string;
}

export interface ClusterState {
  name: string;
  nodes: NodeState[];
  guests: Map<number, GuestState>;
  /** Storages defined per node (shared ones appear on every node). */
  storages: StorageState[];
}

const GiB = 1024 ** 3;

const QEMU_NAMES = ['web', 'db', 'app', 'mail', 'ci-runner', 'k8s-cp', 'k8s-worker', 'win-rdp', 'vpn', 'gitlab', 'erp', 'files'];
const LXC_NAMES = ['dns', 'proxy', 'grafana', 'prometheus', 'redis', 'nginx', 'pihole', 'mqtt', 'syslog', 'ldap', 'cache'];
const TAGS = ['prod', 'dev', 'staging', 'web', 'db', 'backup', 'critical', 'k8s', 'infra', 'monitoring'];

export function generateCluster(options: { seed: number; nodes: number; guests: number; now: number }): ClusterState {
  const rng = new Rng(options.seed, 1);
  const nodeCount = Math.max(1, Math.floor(options.nodes));
  const guestCount = Math.max(GUEST_ROLES.length, Math.floor(options.guests));
  const nodes: NodeState[] = [];
  for (let i = 1; i <= nodeCount; i++) {
    nodes.push({
      name: `pve${i}`,
      nodeid: i,
      ip: `10.10.10.${10 + i}`,
      maxcpu: rng.pick([8, 16, 32, 48]),
      maxmem: rng.pick([64, 128, 256]) * GiB,
      maxdisk: rng.pick([100, 250, 500]) * GiB,
      bootAt: options.now - rng.int(2, 90) * 86_400_000 - rng.int(0, 86_399) * 1000,
      nextPid: rng.int(2_000, 400_000),
    });
  }

  const counters = new Map<string, number>();
  const nextName = (base: string) => {
    const n = (counters.get(base) ?? 0) + 1;
    counters.set(base, n);
    return `${base}-${String(n).padStart(2, '0')}`;
  };

  // Roles go to random guests so that they land on varied nodes and vmids for every seed.
  const roleSlots = rng.shuffle(Array.from({ length: guestCount }, (_, i) => i)).slice(0, GUEST_ROLES.length);
  const roleAt = new Map<number, GuestRole>();
  GUEST_ROLES.forEach((role, i) => roleAt.set(roleSlots[i]!, role));

  const guests = new Map<number, GuestState>();
  for (let i = 0; i < guestCount; i++) {
    const vmid = 100 + i;
    const role = roleAt.get(i);
    const type: GuestType = role ? roleType(role) : rng.chance(0.6) ? 'qemu' : 'lxc';
    const node = rng.pick(nodes).name;
    const tagCount = rng.int(0, 2);
    const tags = [...new Set(Array.from({ length: tagCount }, () => rng.pick(TAGS)))].sort();
    const guest: GuestState = {
      vmid,
      type,
      node,
      name: nextName(type === 'qemu' ? rng.pick(QEMU_NAMES) : rng.pick(LXC_NAMES)),
      status: rng.chance(0.6) ? 'running' : 'stopped',
      template: false,
      tags,
      roles: [],
      cpus: type === 'qemu' ? rng.pick([1, 2, 4, 8]) : rng.pick([1, 2]),
      maxmem: (type === 'qemu' ? rng.pick([2, 4, 8, 16]) : rng.pick([0.5, 1, 2])) * GiB,
      maxdisk: (type === 'qemu' ? rng.pick([16, 32, 64, 100]) : rng.pick([4, 8, 16])) * GiB,
      diskUsed: 0,
      snapshots: [],
      configVersion: 1,
    };
    guest.diskUsed = Math.round(guest.maxdisk * rng.range(0.15, 0.7));
    if (!role && rng.chance(0.08)) guest.hastate = guest.status === 'running' ? 'started' : 'stopped';
    if (role) applyRole(guest, role);
    if (guest.template) guest.name = `tpl-${guest.type === 'qemu' ? 'debian-12' : 'alpine-3'}-${vmid}`;
    if (guest.status === 'running') guest.startedAt = options.now - rng.int(600, 40 * 86_400) * 1000;
    if (!guest.template && rng.chance(0.35)) addSnapshotChain(guest, rng, options.now);
    guests.set(vmid, guest);
  }

  const storages: StorageState[] = [
    {
      storage: 'local',
      type: 'dir',
      content: ['backup', 'iso', 'vztmpl'],
      shared: false,
      active: true,
      total: 98 * GiB,
      used: 31 * GiB,
      path: '/var/lib/vz',
    },
    {
      storage: 'local-lvm',
      type: 'lvmthin',
      content: ['images', 'rootdir'],
      shared: false,
      active: true,
      total: 832 * GiB,
      used: 301 * GiB,
    },
    {
      storage: 'backup-nfs',
      type: 'nfs',
      content: ['backup'],
      shared: true,
      active: true,
      total: 8000 * GiB,
      used: 3400 * GiB,
      path: '/mnt/pve/backup-nfs',
    },
    {
      storage: 'nfs-archive',
      type: 'nfs',
      content: ['backup', 'iso'],
      shared: true,
      active: false,
      total: 0,
      used: 0,
      path: '/mnt/pve/nfs-archive',
      activationError: "storage 'nfs-archive' is not online",
    },
  ];

  return { name: 'sim', nodes, guests, storages };
}

function roleType(role: GuestRole): GuestType {
  return /Lxc$/.test(role) || role === 'lxcTemplate' ? 'lxc' : 'qemu';
}

function applyRole(guest: GuestState, role: GuestRole): void {
  guest.roles.push(role);
  switch (role) {
    case 'stoppedQemu':
    case 'stoppedLxc':
      guest.status = 'stopped';
      break;
    case 'runningQemu':
    case 'runningLxc':
      guest.status = 'running';
      break;
    case 'haStoppedQemu':
    case 'haStoppedLxc':
      guest.status = 'stopped';
      guest.hastate = 'stopped';
      break;
    case 'haRunningQemu':
      guest.status = 'running';
      guest.hastate = 'started';
      break;
    case 'qemuTemplate':
    case 'lxcTemplate':
      guest.status = 'stopped';
      guest.template = true;
      break;
    case 'failsToStart':
      guest.status = 'stopped';
      guest.startFailure = {
        lines: [
          `kvm: -drive file=/dev/pve/vm-${guest.vmid}-disk-0,if=none,id=drive-scsi0,format=raw,cache=none,aio=io_uring,detect-zeroes=on: Could not open '/dev/pve/vm-${guest.vmid}-disk-0': No such file or directory`,
        ],
        error: 'start failed: QEMU exited with code 1',
      };
      break;
    case 'failsToStartLxc':
      guest.status = 'stopped';
      guest.startFailure = {
        lines: [
          `run_buffer: 571 Script exited with status 32`,
          `lxc_init: 845 Failed to run lxc.hook.pre-start for container "${guest.vmid}"`,
          `__lxc_start: 2034 Failed to initialize container "${guest.vmid}"`,
        ],
        error: `startup for container '${guest.vmid}' failed`,
      };
      break;
    case 'backupWarnings':
      guest.backupWarnings =
        guest.type === 'qemu'
          ? [`unable to open guest agent socket - skipping fs-freeze for VM ${guest.vmid}`]
          : [`tar: ./var/log/journal: file changed as we read it`];
      break;
    case 'backupFails':
      guest.backupError = 'job failed with err -5 - Input/output error';
      break;
  }
}

function addSnapshotChain(guest: GuestState, rng: Rng, now: number): void {
  const names = ['pre-upgrade', 'before-kernel-6-8', 'weekly', 'clean-install', 'pre-migration'];
  const count = rng.int(1, 3);
  let parent: string | undefined;
  let time = Math.floor(now / 1000) - rng.int(20, 200) * 86_400;
  for (const name of rng.shuffle([...names]).slice(0, count)) {
    const snapshot: SnapshotState = {
      name,
      snaptime: time,
      description: rng.chance(0.5) ? `${name.replace(/-/g, ' ')} (automatic)` : '',
      vmstate: guest.type === 'qemu' && rng.chance(0.3),
    };
    if (parent) snapshot.parent = parent;
    guest.snapshots.push(snapshot);
    parent = name;
    time += rng.int(1, 20) * 86_400;
  }
  guest.currentParent = parent;
}

/** The config digest PVE reports (SHA-1 of the config file); here derived from the guest's version. */
export function configDigest(guest: GuestState): string {
  return createHash('sha1').update(`${guest.type}/${guest.vmid}/${guest.configVersion}/${guest.node}`).digest('hex');
}

export function guestConfigPath(guest: { type: GuestType; vmid: number }, node: string): string {
  return `nodes/${node}/${guest.type === 'qemu' ? 'qemu-server' : 'lxc'}/${guest.vmid}.conf`;
}
