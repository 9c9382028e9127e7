/**
 * Migration endpoints as qemu-server (API2/Qemu.pm `migrate_vm`, `migrate_vm_precondition`) and
 * pve-container (API2/LXC.pm) have them: the refusals before a task exists (in their order), the
 * precondition check, and HA-managed guests answered with `hamigrate`. Everything the migration
 * itself finds (an offline target, local disks, local devices, snapshots) fails inside the task.
 */
import { localDisks, type GuestState, type GuestType } from '../model.js';
import { haMigrate, migrateLxc, migrateQemu } from '../workers/index.js';
import { ApiError, int, localGuest, rootOnly, startTask, type ApiResult, type RouteContext } from './common.js';

function checkTarget(ctx: RouteContext): string {
  const node = String(ctx.params.node);
  const target = String(ctx.params.target);
  if (target === node) throw new ApiError(400, 'Parameter verification failed.', { target: 'target is local node.' });
  if (!ctx.core.hasNode(target)) throw new ApiError(500, `no such cluster node '${target}'`);
  return target;
}

function lockCheck(guest: GuestState): void {
  if (guest.lock) throw new ApiError(500, `${guest.type === 'qemu' ? 'VM' : 'CT'} is locked (${guest.lock})`);
}

export function migrate(type: GuestType) {
  return (ctx: RouteContext): ApiResult => {
    const target = checkTarget(ctx);
    const node = String(ctx.params.node);
    if (type === 'qemu') rootOnly(ctx, ['force', 'migration_type', 'migration_network']);
    const guest = localGuest(ctx, type);
    const vmid = guest.vmid;
    const online = ctx.params.online === 1;
    const running = guest.status === 'running';
    if (type === 'qemu') {
      lockCheck(guest);
      if (running && !online) throw new ApiError(500, "can't migrate running VM without --online");
    } else if (running && !online && ctx.params.restart !== 1) {
      throw new ApiError(500, "can't migrate running container without --online or --restart");
    }
    if (guest.hastate) return startTask(ctx, 'hamigrate', (w) => haMigrate(w, type, vmid, target));
    if (type === 'qemu') {
      const options = {
        target,
        // A stopped VM migrates offline whatever `online` says.
        online: online && running,
        withLocalDisks: ctx.params['with-local-disks'] === 1,
        ...(ctx.params.force === 1 ? { force: true } : {}),
      };
      return startTask(ctx, 'qmigrate', (w) => migrateQemu(w, vmid, node, options));
    }
    const timeout = ctx.params.timeout === undefined ? undefined : int(ctx.params.timeout);
    const options = { target, online, restart: ctx.params.restart === 1, ...(timeout === undefined ? {} : { timeout }) };
    return startTask(ctx, 'vzmigrate', (w) => migrateLxc(w, vmid, node, options));
  };
}

/**
 * `GET .../qemu/{vmid}/migrate`: whether the VM runs, the nodes it may go to, its local disks and the
 * local resources that pin it. Every other node is listed in `not_allowed_nodes` with an empty
 * object (the storage check's per-node hash), and also in `allowed_nodes` when that object is empty.
 */
export function qemuPrecondition(ctx: RouteContext): ApiResult {
  const guest = localGuest(ctx, 'qemu');
  lockCheck(guest);
  const { core } = ctx;
  const others = core.cluster.nodes.map((node) => node.name).filter((name) => name !== guest.node);
  const data: Record<string, unknown> = {
    running: guest.status === 'running' ? 1 : 0,
    allowed_nodes: others,
    not_allowed_nodes: Object.fromEntries(others.map((name) => [name, {}])),
    local_disks: localDisks(core.cluster, guest).map((disk) => ({
      volid: disk.volid,
      size: disk.size,
      drivename: disk.key,
      is_attached: 1,
      is_unused: 0,
      cdrom: 0,
      is_cloudinit: 0,
      is_vmstate: 0,
      is_tpmstate: 0,
    })),
    local_resources: [...(guest.localDevices ?? [])],
    'mapped-resources': [],
    'mapped-resource-info': {},
  };
  if (core.dialect.hasDbusVmstate) data['has-dbus-vmstate'] = 1;
  if (core.dialect.major >= 9 && guest.hastate) data['dependent-ha-resources'] = [];
  return { data };
}

/** `GET .../lxc/{vmid}/migrate` (PVE 9): running, and the nodes HA affinity rules do not block. */
export function lxcPrecondition(ctx: RouteContext): ApiResult {
  const guest = localGuest(ctx, 'lxc');
  lockCheck(guest);
  const others = ctx.core.cluster.nodes.map((node) => node.name).filter((name) => name !== guest.node);
  const data: Record<string, unknown> = {
    running: guest.status === 'running' ? 1 : 0,
    'allowed-nodes': others,
    'not-allowed-nodes': {},
  };
  if (guest.hastate) data['dependent-ha-resources'] = [];
  return { data };
}
