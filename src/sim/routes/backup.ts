/** `POST /nodes/{node}/vzdump` (pve-manager API2/VZDump.pm): parameter rules, the silent `OK`, the storage check. */
import { splitList } from '../params.js';
import { vzdump, type VzdumpPlan } from '../workers/index.js';
import { ApiError, hasPrivilege, requirePrivilege, rootOnly, str, upidResult, type ApiResult, type RouteContext } from './common.js';

function quoteArg(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function vzdumpAction(ctx: RouteContext): ApiResult {
  const { core, params } = ctx;
  const node = String(params.node);
  if (params.all === 1 && params.vmid !== undefined) {
    throw new ApiError(400, 'Parameter verification failed.', { all: "option conflicts with option 'vmid'" });
  }
  if (params.exclude !== undefined && params.vmid !== undefined) {
    throw new ApiError(400, 'Parameter verification failed.', { exclude: "option conflicts with option 'vmid'" });
  }
  if (params.pool !== undefined && params.vmid !== undefined) {
    throw new ApiError(400, 'Parameter verification failed.', { pool: "option conflicts with option 'vmid'" });
  }
  if (params.all !== 1 && params.vmid === undefined && params.pool === undefined) {
    throw new ApiError(400, 'Parameter verification failed.', { vmid: 'property is missing' });
  }
  rootOnly(ctx, ['maxfiles', 'prune-backups', 'tmpdir', 'dumpdir', 'script', 'bwlimit', 'ionice'], 'Only root may set this option.');
  if (params.pool !== undefined) throw new ApiError(500, `pool '${String(params.pool)}' does not exist`);
  // Datastore.AllocateSpace on the backup storage is checked before the task (API2/VZDump.pm).
  const storage = str(params.storage) ?? 'local';
  let local: number[];
  let missing: number[] = [];
  let external: number[] = [];
  if (params.all === 1) {
    const excluded = new Set(splitList(String(params.exclude ?? '')).map(Number));
    local = [...core.cluster.guests.values()]
      .filter((guest) => guest.node === node && !excluded.has(guest.vmid))
      .map((guest) => guest.vmid);
  } else {
    const listed = [...new Set(splitList(String(params.vmid)).map(Number))];
    local = listed.filter((vmid) => core.cluster.guests.get(vmid)?.node === node);
    missing = listed.filter((vmid) => !core.cluster.guests.has(vmid));
    external = listed.filter((vmid) => !local.includes(vmid) && !missing.includes(vmid));
    // Silent exit when every listed guest runs on another node.
    if (local.length === 0 && missing.length === 0) return { data: 'OK' };
  }
  requirePrivilege(ctx, `/storage/${storage}`, 'Datastore.AllocateSpace');
  // VM.Backup is checked in the task (VZDump.pm exec_backup): with `all` the guests without it are
  // skipped, a listed one without it fails the job.
  const mayBackUp = (vmid: number) => hasPrivilege(ctx, `/vms/${vmid}`, 'VM.Backup');
  const denied = params.all === 1 ? [] : local.filter((vmid) => !mayBackUp(vmid)).sort((a, b) => a - b);
  if (params.all === 1) local = local.filter(mayBackUp);
  const options = Object.entries(params)
    .filter(([key]) => key !== 'vmid' && key !== 'all')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `--${key} ${quoteArg(String(value))}`);
  const selection = params.all === 1 ? ['--all 1'] : splitList(String(params.vmid));
  const plan: VzdumpPlan = {
    node,
    vmids: [...local, ...missing].sort((a, b) => a - b),
    external,
    storage,
    denied,
    mode: str(params.mode) ?? 'snapshot',
    compress: str(params.compress) ?? '0',
    commandLine: ['vzdump', ...selection, ...options].join(' '),
  };
  // The task id is the vmid when exactly one guest (deleted ones included) is backed up here.
  const id = plan.vmids.length === 1 ? String(plan.vmids[0]) : '';
  return upidResult(core.engine.startTask({ node, type: 'vzdump', id, user: ctx.principal.authid, worker: (w) => vzdump(w, plan) }));
}
