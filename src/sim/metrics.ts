/**
 * Live-looking but deterministic guest and node figures: a hash of the id and the current 10 s slot
 * (PVE's RRD data moves every 10 s as pvestatd pushes), so equal seeds and times give equal numbers.
 */
import type { ClusterState, GuestState, NodeState } from './model.js';

function unit(...parts: number[]): number {
  let h = 2166136261;
  for (const part of parts) {
    h ^= part | 0;
    h = Math.imul(h, 16777619);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
  }
  return ((h ^ (h >>> 15)) >>> 0) / 4294967296;
}

const slot = (now: number) => Math.floor(now / 10_000);

export function guestMetrics(guest: GuestState, now: number) {
  const running = guest.status === 'running';
  const uptime = running && guest.startedAt !== undefined ? Math.max(0, Math.floor((now - guest.startedAt) / 1000)) : 0;
  const load = unit(guest.vmid, slot(now));
  return {
    uptime,
    cpu: running ? Number((load * 0.25).toFixed(6)) : 0,
    mem: running ? Math.round(guest.maxmem * (0.25 + unit(guest.vmid, 7) * 0.5)) : 0,
    disk: guest.type === 'lxc' ? guest.diskUsed : 0,
    netin: running ? Math.round(uptime * (2_000 + unit(guest.vmid, 11) * 50_000)) : 0,
    netout: running ? Math.round(uptime * (1_000 + unit(guest.vmid, 13) * 30_000)) : 0,
    diskread: running ? Math.round(uptime * (10_000 + unit(guest.vmid, 17) * 90_000)) : 0,
    diskwrite: running ? Math.round(uptime * (8_000 + unit(guest.vmid, 19) * 60_000)) : 0,
  };
}

/** The usage fields a guest shows in /cluster/resources and in the qemu and lxc lists alike. */
export function guestUsage(guest: GuestState, now: number) {
  const metrics = guestMetrics(guest, now);
  return {
    uptime: metrics.uptime,
    cpu: metrics.cpu,
    maxmem: guest.maxmem,
    mem: metrics.mem,
    maxdisk: guest.maxdisk,
    disk: metrics.disk,
    netin: metrics.netin,
    netout: metrics.netout,
    diskread: metrics.diskread,
    diskwrite: metrics.diskwrite,
  };
}

/**
 * A node's figures. Its memory in use is the host's own share plus what its running guests use, so a
 * migration moves memory from one node to another (a drain can spread guests by free memory).
 */
export function nodeMetrics(cluster: ClusterState, node: NodeState, now: number) {
  let guests = 0;
  for (const guest of cluster.guests.values()) if (guest.node === node.name) guests += guestMetrics(guest, now).mem;
  const host = node.maxmem * (0.04 + unit(node.nodeid, 3) * 0.04);
  return {
    uptime: Math.floor((now - node.bootAt) / 1000),
    cpu: Number((0.02 + unit(node.nodeid, slot(now)) * 0.3).toFixed(6)),
    mem: Math.round(Math.min(node.maxmem * 0.97, host + guests)),
    disk: Math.round(node.maxdisk * (0.1 + unit(node.nodeid, 5) * 0.3)),
  };
}
