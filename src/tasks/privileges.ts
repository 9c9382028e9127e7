/**
 * What the credentials may do, from `GET /access/permissions` (answers.ts). PVE lists effective
 * privileges for every path that has an ACL (and a few defaults): a path not listed gets what its
 * nearest listed ancestor holds with propagation, which is how PVE resolves it (the deepest ACL wins).
 */
import type { PermissionMap } from './task-row.js';

export type { PermissionMap };

/** Whether `privilege` is held on `path` (e.g. `/vms/203`). */
export function holds(permissions: PermissionMap, path: string, privilege: string): boolean {
  const exact = permissions[path];
  if (exact) return exact[privilege] !== undefined;
  for (let parent = parentOf(path); parent !== undefined; parent = parentOf(parent)) {
    const held = permissions[parent];
    if (held) return held[privilege] === 1;
  }
  return false;
}

function parentOf(path: string): string | undefined {
  if (path === '/') return undefined;
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

/**
 * Without Sys.Audit on `/`, `/cluster/tasks` shows an API token none of its own tasks (PVE splits the
 * token off `user` there, then compares with the full token id): such credentials read each node's own
 * task list instead.
 */
export function seesClusterTasks(permissions: PermissionMap): boolean {
  return holds(permissions, '/', 'Sys.Audit');
}
