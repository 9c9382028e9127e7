/**
 * The one request each launch sends: a POST, never repeated on our own (it could start a guest twice).
 * Returns what PVE answered: a UPID, or vzdump's `OK` when none of its guests is on that node.
 *
 * A migration always asks for the way that works whatever the guest's state when the request arrives:
 * `online` for a VM (PVE ignores it for a stopped one) and `restart` for a container (a stopped one is
 * simply moved).
 */
import type { PveClient } from '../api/index.js';
import type { BackupCompress, BackupMode } from './launch-plan.js';
import type { GuestType, LaunchSpec } from './store.js';

export async function sendLaunch(client: PveClient, spec: LaunchSpec): Promise<string> {
  const guest = spec.guests[0]!;
  const path = { node: spec.node, vmid: guest.vmid };
  switch (spec.action) {
    case 'start': {
      const response =
        guest.type === 'qemu'
          ? await client.POST('/nodes/{node}/qemu/{vmid}/status/start', { params: { path } })
          : await client.POST('/nodes/{node}/lxc/{vmid}/status/start', { params: { path } });
      return String(response.data);
    }
    case 'snapshot': {
      const body: { snapname: string; description?: string; vmstate?: boolean } = { snapname: String(spec.params.snapname) };
      if (spec.params.description) body.description = String(spec.params.description);
      if (guest.type === 'qemu') {
        if (spec.params.vmstate) body.vmstate = true;
        return String((await client.POST('/nodes/{node}/qemu/{vmid}/snapshot', { params: { path }, body })).data);
      }
      return String((await client.POST('/nodes/{node}/lxc/{vmid}/snapshot', { params: { path }, body })).data);
    }
    case 'shutdown':
    case 'reboot':
    case 'stop': {
      const body: { timeout?: number; forceStop?: boolean } = {};
      if (typeof spec.params.timeout === 'number') body.timeout = spec.params.timeout;
      if (spec.params.forceStop) body.forceStop = true;
      return String((await postPower(client, spec.action, guest.type, path, body)).data);
    }
    case 'migrate': {
      const target = String(spec.params.target);
      if (guest.type === 'qemu') {
        const body: { target: string; online: boolean; 'with-local-disks'?: boolean } = { target, online: true };
        if (spec.params.withLocalDisks) body['with-local-disks'] = true;
        return String((await client.POST('/nodes/{node}/qemu/{vmid}/migrate', { params: { path }, body })).data);
      }
      const body: { target: string; restart: boolean; timeout?: number } = { target, restart: true };
      if (typeof spec.params.timeout === 'number') body.timeout = spec.params.timeout;
      return String((await client.POST('/nodes/{node}/lxc/{vmid}/migrate', { params: { path }, body })).data);
    }
    case 'backup': {
      const body = {
        vmid: spec.guests.map((g) => g.vmid).join(','),
        storage: String(spec.params.storage),
        mode: spec.params.mode as BackupMode,
        compress: spec.params.compress as BackupCompress,
      };
      return String((await client.POST('/nodes/{node}/vzdump', { params: { path: { node: spec.node } }, body })).data);
    }
  }
}

type PowerPath = { node: string; vmid: number };
type PowerBody = { timeout?: number; forceStop?: boolean };

/** `.../status/shutdown|stop|reboot` of a VM or a container (openapi-fetch needs each path spelled out). */
function postPower(client: PveClient, action: 'shutdown' | 'stop' | 'reboot', type: GuestType, path: PowerPath, body: PowerBody) {
  const params = { params: { path } };
  if (type === 'qemu') {
    if (action === 'shutdown') return client.POST('/nodes/{node}/qemu/{vmid}/status/shutdown', { ...params, body });
    if (action === 'reboot') return client.POST('/nodes/{node}/qemu/{vmid}/status/reboot', { ...params, body: { timeout: body.timeout } });
    return client.POST('/nodes/{node}/qemu/{vmid}/status/stop', { ...params, body: {} });
  }
  if (action === 'shutdown') return client.POST('/nodes/{node}/lxc/{vmid}/status/shutdown', { ...params, body });
  if (action === 'reboot') return client.POST('/nodes/{node}/lxc/{vmid}/status/reboot', { ...params, body: { timeout: body.timeout } });
  return client.POST('/nodes/{node}/lxc/{vmid}/status/stop', { ...params, body: {} });
}
