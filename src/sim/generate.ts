/**
 * A cluster made from a seed: nodes, guests with their disks and roles, storages and snapshot chains.
 * The same seed and options always give the same cluster. Disks, devices and churn come from their
 * own random stream, so that adding them did not change the guests older seeds produce.
 */
import {
  BASE_ROLES,
  EXTRA_ROLES,
  GUEST_ROLES,
  type ClusterState,
  type DiskState,
  type GuestRole,
  type GuestState,
  type GuestType,
  type NodeState,
  type SnapshotState,
  type StorageState,
} from './model.js';
import { Rng } from './rng.js';

const GiB = 1024 ** 3;

const QEMU_NAMES = ['web', 'db', 'app', 'mail', 'ci-runner', 'k8s-cp', 'k8s-worker', 'win-rdp', 'vpn', 'gitlab', 'erp', 'files'];
const LXC_NAMES = ['dns', 'proxy', 'grafana', 'prometheus', 'redis', 'nginx', 'pihole', 'mqtt', 'syslog', 'ldap', 'cache'];
const TAGS = ['prod', 'dev', 'staging', 'web', 'db', 'backup', 'critical', 'k8s', 'infra', 'monitoring'];

export interface GenerateOptions {
  seed: number;
  nodes: number;
  guests: number;
  now: number;
  /** Cluster name (default `sim`). */
  name?: string;
  /** Node names are `<nodePrefix>1`.. (default `pve`). */
  nodePrefix?: string;
  /** The first guest's VMID (default 100). */
  firstVmid?: number;
  /** Third octet of the nodes' addresses (default 10). */
  subnet?: number;
}

export function generateCluster(options: GenerateOptions): ClusterState {
  const rng = new Rng(options.seed, 1);
  const hardware = new Rng(options.seed, 7);
  const nodeCount = Math.max(1, Math.floor(options.nodes));
  const guestCount = Math.max(GUEST_ROLES.length, Math.floor(options.guests));
  const firstVmid = options.firstVmid ?? 100;
  const nodes: NodeState[] = [];
  for (let i = 1; i <= nodeCount; i++) {
    nodes.push({
      name: `${options.nodePrefix ?? 'pve'}${i}`,
      nodeid: i,
      ip: `10.10.${options.subnet ?? 10}.${10 + i}`,
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

  // Roles go to random guests so that they land on varied nodes and vmids for every seed. The first
  // roles are placed as they always were; the later ones (EXTRA_ROLES) go to plain running VMs in a
  // second pass, so the guests a seed made before keep their names, states and roles.
  const roleSlots = rng.shuffle(Array.from({ length: guestCount }, (_, i) => i)).slice(0, BASE_ROLES.length);
  const roleAt = new Map<number, GuestRole>();
  BASE_ROLES.forEach((role, i) => roleAt.set(roleSlots[i]!, role));

  const guests = new Map<number, GuestState>();
  for (let i = 0; i < guestCount; i++) {
    const vmid = firstVmid + i;
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
      disks: [],
      churnPerHour: hardware.range(0.002, 0.02),
      snapshots: [],
      configVersion: 1,
    };
    const usedShare = rng.range(0.15, 0.7);
    if (!role && rng.chance(0.08)) guest.hastate = guest.status === 'running' ? 'started' : 'stopped';
    guest.disks = plainDisks(guest, hardware);
    if (role) applyRole(guest, role);
    guest.diskUsed = Math.round(totalSize(guest) * usedShare);
    if (guest.template) guest.name = `tpl-${guest.type === 'qemu' ? 'debian-12' : 'alpine-3'}-${vmid}`;
    if (guest.status === 'running') guest.startedAt = options.now - rng.int(600, 40 * 86_400) * 1000;
    if (!guest.template && rng.chance(0.35)) addSnapshotChain(guest, rng, options.now);
    guests.set(vmid, guest);
  }

  for (const role of EXTRA_ROLES) {
    const free = [...guests.values()].filter((guest) => guest.roles.length === 0);
    const plain = free.filter((guest) => !guest.hastate);
    const runningVms = plain.filter((guest) => guest.type === 'qemu' && guest.status === 'running');
    // With the fewest guests every one without a role is taken, HA-managed or not.
    const guest = hardware.pick(runningVms.length > 0 ? runningVms : plain.length > 0 ? plain : free);
    delete guest.hastate;
    if (guest.type !== 'qemu') {
      guest.type = 'qemu';
      guest.disks = [disk(guest.vmid, 'scsi0', 'local-lvm', 0, guest.maxdisk)];
    }
    applyRole(guest, role);
    guest.diskUsed = Math.min(guest.diskUsed, Math.round(totalSize(guest) * 0.6));
    guest.startedAt ??= options.now - hardware.int(600, 40 * 86_400) * 1000;
  }
  for (const guest of guests.values()) {
    // Role guests have no snapshots: on local-lvm one blocks migration, which only the guests meant
    // for that should do.
    if (guest.roles.length > 0) {
      guest.snapshots = [];
      guest.currentParent = undefined;
    }
    guest.maxdisk = guest.disks[0]!.size;
  }

  return { name: options.name ?? 'sim', nodes, guests, storages: standardStorages() };
}

/** The storages every simulated cluster has (the same on every node; shared ones are shared). */
function standardStorages(): StorageState[] {
  return [
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
    { storage: 'ceph-vm', type: 'rbd', content: ['images', 'rootdir'], shared: true, active: true, total: 12_000 * GiB, used: 4100 * GiB },
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
      storage: 'pbs-backup',
      type: 'pbs',
      content: ['backup'],
      shared: true,
      active: true,
      total: 20_000 * GiB,
      used: 6200 * GiB,
      datastore: 'store1',
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
}

/** A plain guest's disks: one (a VM sometimes two), half of them on the shared Ceph pool, half on local-lvm. */
function plainDisks(guest: GuestState, rng: Rng): DiskState[] {
  const storage = rng.chance(0.5) ? 'ceph-vm' : 'local-lvm';
  if (guest.type === 'lxc') return [disk(guest.vmid, 'rootfs', storage, 0, guest.maxdisk)];
  const disks = [disk(guest.vmid, 'scsi0', storage, 0, guest.maxdisk)];
  if (rng.chance(0.15)) disks.push(disk(guest.vmid, 'scsi1', storage, 1, rng.pick([32, 64, 200]) * GiB));
  return disks;
}

const totalSize = (guest: GuestState) => guest.disks.reduce((sum, d) => sum + d.size, 0);

function disk(vmid: number, key: string, storage: string, index: number, size: number): DiskState {
  return { key, storage, volid: `${storage}:vm-${vmid}-disk-${index}`, size };
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
      guest.disks = guest.disks.map((d, i) => disk(guest.vmid, d.key, 'local-lvm', i, d.size));
      break;
    case 'runningQemu':
    case 'runningLxc':
      guest.status = 'running';
      guest.disks = guest.disks.map((d, i) => disk(guest.vmid, d.key, 'local-lvm', i, d.size));
      break;
    case 'haStoppedQemu':
    case 'haStoppedLxc':
      guest.status = 'stopped';
      guest.hastate = 'stopped';
      break;
    case 'haRunningQemu':
      guest.status = 'running';
      guest.hastate = 'started';
      guest.disks = [disk(guest.vmid, 'scsi0', 'ceph-vm', 0, guest.maxdisk)];
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
    case 'localDevices':
      guest.status = 'running';
      guest.localDevices = ['hostpci0'];
      guest.disks = [disk(guest.vmid, 'scsi0', 'local-lvm', 0, guest.maxdisk)];
      break;
    case 'sharedDiskQemu':
      guest.status = 'running';
      guest.disks = [disk(guest.vmid, 'scsi0', 'ceph-vm', 0, guest.maxdisk)];
      break;
    case 'multiDiskQemu':
      guest.status = 'running';
      guest.disks = [
        disk(guest.vmid, 'scsi0', 'local-lvm', 0, 32 * GiB),
        disk(guest.vmid, 'scsi1', 'local-lvm', 1, 100 * GiB),
        disk(guest.vmid, 'scsi2', 'local-lvm', 2, 4 * GiB),
      ];
      break;
    case 'ignoresShutdown':
      guest.status = 'running';
      guest.ignoresShutdown = true;
      break;
    case 'lockedQemu':
      guest.status = 'running';
      guest.lock = 'backup';
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
