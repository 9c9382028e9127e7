/**
 * The cluster scope's listing: `/cluster/tasks` (every node's running tasks and newest finished ones,
 * as the nodes last broadcast them). Other users' tasks join the registry; watched tasks seen there
 * (running, or finished with a status) need no request of their own this cycle.
 */
import { readClusterTasks } from '../answers.js';
import type { PollContext } from './context.js';
import { adoptForeign, applyEnd, nameRows, trimForeign } from './row-updates.js';

/** Reads the listing; returns the keys of the rows it covered. */
export async function pollClusterTasks(ctx: PollContext, signal?: AbortSignal): Promise<Set<string>> {
  const covered = new Set<string>();
  const listing = await readClusterTasks(ctx.client, ctx.requestInit(signal));
  ctx.malformed('/cluster/tasks', listing.malformed);
  const now = ctx.clock.now();
  ctx.store.getState().update((tx) => {
    for (const item of listing.items) {
      const key = tx.keyOf(item.upid) ?? adoptForeign(tx, item.upid, now);
      const row = tx.row(key)!;
      if (item.running) {
        if (row.state === 'running' || row.state === 'timeout') covered.add(key);
        continue;
      }
      applyEnd(tx, row, item.status!, item.endtime ? item.endtime * 1000 : now);
      covered.add(key);
    }
    trimForeign(tx);
    nameRows(tx, ctx.store.getState().guests);
    tx.setPoll({ lastSuccessAt: now });
  });
  return covered;
}
