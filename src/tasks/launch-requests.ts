/**
 * The one request each launch sends: a POST, never repeated on our own (it could start a guest twice).
 * Returns what PVE answered: a UPID, or vzdump's `OK` when none of its guests is on that node.
 */
import type { PveClient } from '../api/index.js';
import type { BackupCompress, BackupMode } from './launch-plan.js';
import type { LaunchSpec } from './store.js';

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
