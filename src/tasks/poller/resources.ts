/** Guest names and states (`/cluster/resources`) for the Guests view, the rows and the post-checks on guests. */
import { readGuests } from '../answers.js';
import type { PollContext } from './context.js';
import { nameRows } from './row-updates.js';

export async function pollResources(ctx: PollContext, signal?: AbortSignal): Promise<boolean> {
  try {
    const guests = await readGuests(ctx.client, ctx.requestInit(signal));
    ctx.malformed('/cluster/resources', guests.malformed);
    ctx.guestUptimes = { seconds: guests.uptimes, readAt: ctx.clock.now() };
    const byVmid = Object.fromEntries(guests.items.map((guest) => [guest.vmid, guest]));
    ctx.store.getState().update((tx) => {
      tx.setGuests(guests.items);
      nameRows(tx, byVmid);
    });
    return true;
  } catch {
    return false; // names are cosmetic; the node errors come from the task polls
  }
}
