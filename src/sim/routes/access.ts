/**
 * `GET /access/permissions` (pve-access-control API2/AccessControl.pm `permissions`): the effective
 * privileges of the caller, of a token the caller owns, or (with Sys.Audit on /access) of anyone, as
 * `{ "<path>": { "<Privilege>": <propagate 1|0> } }`. With `path`, only that path, even when empty.
 */
import { splitTokenId } from '../access.js';
import { requirePrivilege, str, type ApiResult, type RouteContext } from './common.js';

export function permissions(ctx: RouteContext): ApiResult {
  const { core, principal } = ctx;
  const userid = str(ctx.params.userid) ?? principal.authid;
  const ownToken = splitTokenId(userid).tokenid !== undefined && splitTokenId(userid).userid === principal.authid;
  if (userid !== principal.authid && !ownToken) requirePrivilege(ctx, '/access', 'Sys.Audit');
  const path = str(ctx.params.path);
  if (path) return { data: { [path]: core.access.permissions(userid, path) } };
  return { data: core.access.effectivePermissions(userid) };
}
