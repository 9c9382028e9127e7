/**
 * Finding the task a launch may have started when its answer was lost (the connection broke after
 * sending, or the process died after saving its intent): on its node, our user, its type and guest,
 * started after the intent was saved. A multi-guest vzdump has an empty id: matched by type, node, user
 * and time. Never sent again: looking up is a GET, which may be repeated.
 */
import type { PveClient } from '../api/index.js';
import { readNodeTasks } from './answers.js';
import { taskIdOf, taskTypesOf } from './launch-plan.js';
import type { TaskStore } from './store.js';
import { parseUpid, type Upid } from './upid.js';

/** How far back (seconds) a lookup searches before the intent's time: clocks of nodes drift. */
const LOOKUP_SLACK_S = 60;

export async function lookUpLaunch(client: PveClient, store: TaskStore, key: string): Promise<string | undefined> {
  const state = store.getState();
  const row = state.row(key);
  if (!row?.launch || row.sentAt === undefined) return undefined;
  const spec = row.launch;
  const since = Math.floor(row.sentAt / 1000) - LOOKUP_SLACK_S;
  const page = await readNodeTasks(client, spec.node, { source: 'all', since, limit: 500 });
  const types = taskTypesOf(spec.action);
  const id = taskIdOf(spec);
  const candidates = page.items
    .map((item) => parseUpid(item.upid))
    .filter((upid: Upid) => types.includes(upid.type) && upid.id === id && upid.user === client.userid)
    .filter((upid) => !state.keyOf(upid.upid))
    .sort((a, b) => a.starttime - b.starttime);
  return candidates[0]?.upid;
}
