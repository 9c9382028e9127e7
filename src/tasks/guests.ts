/** Guests as /cluster/resources lists them: names, nodes, states, HA, for the board and the launches. */
import type { PveClient } from '../api/index.js';
import type { Guest } from './store.js';

/** Reads every qemu and lxc guest of the cluster. */
export async function readGuests(client: PveClient, init: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Guest[]> {
  const response = await client.GET('/cluster/resources', { params: { query: { type: 'vm' } }, ...init });
  return toGuests(response.data as unknown[]);
}

export function toGuests(items: readonly unknown[]): Guest[] {
  const guests: Guest[] = [];
  for (const raw of items) {
    const item = raw as Record<string, unknown>;
    if (item.type !== 'qemu' && item.type !== 'lxc') continue;
    const guest: Guest = {
      vmid: Number(item.vmid),
      type: item.type,
      node: String(item.node ?? ''),
      status: String(item.status ?? 'unknown'),
      // 0/1 on the wire, not a boolean.
      template: Number(item.template ?? 0) === 1,
    };
    if (typeof item.name === 'string') guest.name = item.name;
    if (typeof item.hastate === 'string') guest.hastate = item.hastate;
    if (typeof item.tags === 'string') guest.tags = item.tags;
    if (typeof item.lock === 'string') guest.lock = item.lock;
    guests.push(guest);
  }
  return guests;
}
