/** Cluster-wide and node endpoints: version, nodes, cluster status and resources, storages. */
import type { SimCore } from '../core.js';
import { guestUsage, nodeMetrics } from '../metrics.js';
import type { GuestState } from '../model.js';
import { splitList } from '../params.js';
import { hasPrivilege, str, type ApiResult, type RouteContext } from './common.js';

export function version(ctx: RouteContext): ApiResult {
  return { data: { ...ctx.core.dialect.version } };
}

export function nodesIndex(ctx: RouteContext): ApiResult {
  const { core } = ctx;
  const now = core.clock.now();
  return {
    data: core.cluster.nodes.map((node) => {
      const online = core.isOnline(node.name);
      const base = {
        node: node.name,
        status: online ? 'online' : 'offline',
        id: `node/${node.name}`,
        type: 'node',
        level: '',
        ssl_fingerprint: core.options.fingerprint,
      };
      // Stats only for online nodes and with Sys.Audit on the node, as on PVE.
      if (!online || !hasPrivilege(ctx, `/nodes/${node.name}`, 'Sys.Audit')) return base;
      const metrics = nodeMetrics(core.cluster, node, now);
      return { ...base, maxcpu: node.maxcpu, maxmem: node.maxmem, maxdisk: node.maxdisk, ...metrics };
    }),
  };
}

export function clusterStatus(ctx: RouteContext): ApiResult {
  const { core, listener } = ctx;
  const nodes = core.cluster.nodes;
  const online = nodes.filter((node) => core.isOnline(node.name)).length;
  return {
    data: [
      {
        type: 'cluster',
        id: 'cluster',
        name: core.cluster.name,
        nodes: nodes.length,
        quorate: online * 2 > nodes.length ? 1 : 0,
        version: nodes.length + 2,
      },
      ...nodes.map((node) => ({
        type: 'node',
        id: `node/${node.name}`,
        name: node.name,
        ip: node.ip,
        level: '',
        local: node.name === listener ? 1 : 0,
        nodeid: node.nodeid,
        online: core.isOnline(node.name) ? 1 : 0,
      })),
    ],
  };
}

function guestResource(core: SimCore, guest: GuestState, now: number) {
  const id = `${guest.type}/${guest.vmid}`;
  // Without RRD data (node offline) PVE shows only these fields and no name.
  if (!core.isOnline(guest.node)) return { id, vmid: guest.vmid, node: guest.node, type: guest.type, status: 'unknown' };
  const item: Record<string, unknown> = {
    id,
    type: guest.type,
    vmid: guest.vmid,
    node: guest.node,
    name: guest.name,
    status: guest.status,
    template: guest.template ? 1 : 0,
    maxcpu: guest.cpus,
    ...guestUsage(guest, now),
  };
  if (guest.tags.length > 0) item.tags = guest.tags.join(';');
  if (guest.hastate) item.hastate = guest.hastate;
  if (guest.lock) item.lock = guest.lock;
  return item;
}

/**
 * Cluster.pm `resources`: guests only with VM.Audit on them, every node but its figures only with
 * Sys.Audit on it, storages only with Datastore.Audit on them.
 */
export function clusterResources(ctx: RouteContext): ApiResult {
  const { core } = ctx;
  const type = str(ctx.params.type);
  const now = core.clock.now();
  const out: unknown[] = [];
  if (!type || type === 'vm') {
    for (const guest of core.cluster.guests.values()) {
      if (hasPrivilege(ctx, `/vms/${guest.vmid}`, 'VM.Audit')) out.push(guestResource(core, guest, now));
    }
  }
  if (!type || type === 'node') {
    for (const node of core.cluster.nodes) {
      const online = core.isOnline(node.name);
      const base = { id: `node/${node.name}`, type: 'node', node: node.name, status: online ? 'online' : 'offline', level: '' };
      const audit = hasPrivilege(ctx, `/nodes/${node.name}`, 'Sys.Audit');
      out.push(
        online && audit
          ? {
              ...base,
              maxcpu: node.maxcpu,
              maxmem: node.maxmem,
              maxdisk: node.maxdisk,
              ...nodeMetrics(core.cluster, node, now),
              'cgroup-mode': 2,
            }
          : base,
      );
    }
  }
  if (!type || type === 'storage') {
    for (const node of core.cluster.nodes) {
      const online = core.isOnline(node.name);
      for (const storage of core.cluster.storages) {
        if (!hasPrivilege(ctx, `/storage/${storage.storage}`, 'Datastore.Audit')) continue;
        out.push({
          id: `storage/${node.name}/${storage.storage}`,
          type: 'storage',
          node: node.name,
          storage: storage.storage,
          status: online && storage.active ? 'available' : 'unknown',
          plugintype: storage.type,
          content: [...storage.content].sort().join(','),
          shared: storage.shared ? 1 : 0,
          disk: storage.active ? storage.used : 0,
          maxdisk: storage.active ? storage.total : 0,
        });
      }
    }
  }
  if (!type || type === 'sdn') {
    for (const node of core.cluster.nodes) {
      out.push({
        id: `sdn/${node.name}/localnetwork`,
        type: 'sdn',
        sdn: 'localnetwork',
        node: node.name,
        status: core.isOnline(node.name) ? 'ok' : 'unknown',
      });
    }
  }
  return { data: out };
}

export function nodeStorage(ctx: RouteContext): ApiResult {
  const { params, core } = ctx;
  const contents = params.content === undefined ? undefined : splitList(String(params.content));
  const only = str(params.storage);
  // Storage/Status.pm: a storage shows with Datastore.Audit or Datastore.AllocateSpace on it.
  const visible = (id: string) =>
    hasPrivilege(ctx, `/storage/${id}`, 'Datastore.Audit') || hasPrivilege(ctx, `/storage/${id}`, 'Datastore.AllocateSpace');
  const out = core.cluster.storages
    .filter((storage) => visible(storage.storage))
    .filter((storage) => !contents || contents.some((content) => storage.content.includes(content)))
    .filter((storage) => only === undefined || storage.storage === only)
    .map((storage) => {
      const item: Record<string, unknown> = {
        storage: storage.storage,
        type: storage.type,
        content: [...storage.content].sort().join(','),
        shared: storage.shared ? 1 : 0,
        enabled: 1,
        active: storage.active ? 1 : 0,
        total: storage.active ? storage.total : 0,
        used: storage.active ? storage.used : 0,
        avail: storage.active ? storage.total - storage.used : 0,
      };
      if (storage.active) item.used_fraction = Number((storage.used / storage.total).toFixed(6));
      return item;
    });
  return { data: out };
}
