/**
 * Guest power endpoints: start, stop, shutdown and reboot for VMs (qemu-server API2/Qemu.pm) and
 * containers (pve-container API2/LXC/Status.pm), with what they refuse before any task exists. An
 * HA-managed guest's start, stop and shutdown only ask the HA stack (`hastart`, `hastop`).
 */
import type { GuestState, GuestType } from '../model.js';
import { haRequest, rebootCt, rebootVm, startGuest, stopGuest } from '../workers/index.js';
import { ApiError, int, rootOnly, startTask, type ApiResult, type RouteContext } from './common.js';

const prefix = (type: GuestType) => (type === 'qemu' ? 'qm' : 'vz');
const haManaged = (guest: GuestState | undefined, type: GuestType) => guest?.hastate !== undefined && guest.type === type;

/** `check_running` for a guest on the node that received the call. */
function runningHere(ctx: RouteContext, type: GuestType): GuestState | undefined {
  const guest = ctx.core.cluster.guests.get(int(ctx.params.vmid));
  return guest && guest.type === type && guest.node === String(ctx.params.node) && guest.status === 'running' ? guest : undefined;
}

export function startAction(type: GuestType) {
  return (ctx: RouteContext): ApiResult => {
    const vmid = int(ctx.params.vmid);
    const node = String(ctx.params.node);
    rootOnly(
      ctx,
      type === 'qemu'
        ? ['skiplock', 'migratedfrom', 'stateuri', 'force-cpu', 'nets-host-mtu', 'migration_network', 'migration_type', 'targetstorage']
        : ['skiplock'],
    );
    // Containers check synchronously; VMs fail inside their task.
    if (type === 'lxc' && runningHere(ctx, type)) throw new ApiError(500, `CT ${vmid} already running`);
    if (haManaged(ctx.core.cluster.guests.get(vmid), type)) {
      return startTask(ctx, 'hastart', (w) => haRequest(w, type, vmid, { want: 'started' }));
    }
    return startTask(ctx, type === 'qemu' ? 'qmstart' : 'vzstart', (w) => startGuest(w, type, vmid, node));
  };
}

/**
 * `stop` (hard) and `shutdown` (ACPI, `timeout` default 60 s, `forceStop`). A container that does
 * not run here is a synchronous `CT N not running`, HA-managed or not; a VM's checks are in the task.
 * HA: a stop asks for a hard stop (timeout 0), a shutdown for one with the timeout.
 */
export function stopAction(type: GuestType, how: 'stop' | 'shutdown') {
  return (ctx: RouteContext): ApiResult => {
    const vmid = int(ctx.params.vmid);
    const node = String(ctx.params.node);
    rootOnly(ctx, ['skiplock', 'keepActive', 'migratedfrom']);
    if (type === 'lxc' && !runningHere(ctx, type)) throw new ApiError(500, `CT ${vmid} not running`);
    const timeout = ctx.params.timeout === undefined ? undefined : int(ctx.params.timeout);
    if (haManaged(ctx.core.cluster.guests.get(vmid), type)) {
      if (ctx.params['overrule-shutdown'] === 1) {
        throw new ApiError(400, 'Parameter verification failed.', { 'overrule-shutdown': 'Not applicable for HA resources.' });
      }
      const haTimeout = how === 'stop' ? 0 : (timeout ?? 60);
      return startTask(ctx, 'hastop', (w) => haRequest(w, type, vmid, { want: 'stopped', timeout: haTimeout }));
    }
    const options = {
      how,
      ...(timeout === undefined ? {} : { timeout }),
      ...(ctx.params.forceStop === 1 ? { forceStop: true } : {}),
    };
    return startTask(ctx, `${prefix(type)}${how}`, (w) => stopGuest(w, type, vmid, node, options));
  };
}

/**
 * Reboot has no HA variant; a guest that does not run is refused at once. A VM's task ends once it is
 * down, and qmeventd starts it again in a task of its own (workers/reboot.ts).
 */
export function rebootAction(type: GuestType) {
  return (ctx: RouteContext): ApiResult => {
    const vmid = int(ctx.params.vmid);
    const node = String(ctx.params.node);
    const guest = ctx.core.cluster.guests.get(vmid);
    if (type === 'qemu' && (!guest || guest.type !== 'qemu' || guest.node !== node)) {
      // check_running asserts the config exists on this node.
      throw new ApiError(500, `unable to find configuration file for VM ${vmid} on node '${node}'`);
    }
    // pve-container says `VM` here too (API2/LXC/Status.pm vm_reboot).
    if (!runningHere(ctx, type)) throw new ApiError(500, `VM ${vmid} not running`);
    const timeout = ctx.params.timeout === undefined ? undefined : int(ctx.params.timeout);
    return startTask(ctx, `${prefix(type)}reboot`, (w) => (type === 'qemu' ? rebootVm : rebootCt)(w, vmid, node, timeout));
  };
}
