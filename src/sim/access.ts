/**
 * Privileges as pve-access-control computes them (src/PVE/AccessControl.pm `roles`, `create_roles`;
 * src/PVE/RPCEnvironment.pm `permissions`, `get_effective_permissions`): users and API tokens get
 * roles on ACL paths; the deepest path with an entry for the principal wins, an entry reaches deeper
 * paths only when it propagates; root@pam may do anything; a token without privilege separation has
 * its user's privileges, one with it has the intersection of its own and its user's.
 */

/** The privilege groups of AccessControl.pm ($privgroups): root-only, admin, user and audit tiers. */
const PRIVILEGE_GROUPS: Record<string, { root: string[]; admin: string[]; user: string[]; audit: string[] }> = {
  VM: {
    root: [],
    admin: [
      'VM.Config.Disk',
      'VM.Config.CPU',
      'VM.Config.Memory',
      'VM.Config.Network',
      'VM.Config.HWType',
      'VM.Config.Options',
      'VM.Allocate',
      'VM.Clone',
      'VM.GuestAgent.Unrestricted',
      'VM.Migrate',
      'VM.Replicate',
      'VM.Snapshot',
      'VM.Snapshot.Rollback',
    ],
    user: [
      'VM.Config.CDROM',
      'VM.Config.Cloudinit',
      'VM.Console',
      'VM.Backup',
      'VM.GuestAgent.FileRead',
      'VM.GuestAgent.FileSystemMgmt',
      'VM.GuestAgent.FileWrite',
      'VM.PowerMgmt',
    ],
    audit: ['VM.Audit', 'VM.GuestAgent.Audit'],
  },
  Sys: {
    root: ['Sys.PowerMgmt', 'Sys.Modify', 'Sys.Incoming', 'Sys.AccessNetwork'],
    admin: ['Sys.Console', 'Sys.Syslog'],
    user: [],
    audit: ['Sys.Audit'],
  },
  Datastore: {
    root: [],
    admin: ['Datastore.Allocate', 'Datastore.AllocateTemplate'],
    user: ['Datastore.AllocateSpace'],
    audit: ['Datastore.Audit'],
  },
  SDN: { root: [], admin: ['SDN.Allocate', 'SDN.Audit'], user: ['SDN.Use'], audit: ['SDN.Audit'] },
  User: { root: ['Realm.Allocate'], admin: ['User.Modify', 'Group.Allocate', 'Realm.AllocateUser'], user: [], audit: [] },
  Pool: { root: [], admin: ['Pool.Allocate'], user: ['Pool.Audit'], audit: ['Pool.Audit'] },
  Mapping: { root: [], admin: ['Mapping.Modify'], user: ['Mapping.Use'], audit: ['Mapping.Audit'] },
};

const unique = (names: string[]) => [...new Set(names)].sort();

/** Every valid privilege: what Administrator (and root@pam) holds. */
export const ALL_PRIVILEGES: readonly string[] = unique([
  'Permissions.Modify',
  ...Object.values(PRIVILEGE_GROUPS).flatMap((group) => [...group.root, ...group.admin, ...group.user, ...group.audit]),
]);

/** The built-in roles, derived from the groups as create_roles does. */
export const ROLES: Record<string, readonly string[]> = (() => {
  const roles: Record<string, string[]> = { Administrator: [...ALL_PRIVILEGES], NoAccess: [], PVEAdmin: [], PVEAuditor: [] };
  for (const [category, group] of Object.entries(PRIVILEGE_GROUPS)) {
    const adminTier = [...group.admin, ...group.user, ...group.audit];
    roles[`PVE${category}Admin`] = unique(adminTier);
    roles.PVEAdmin!.push(...adminTier.filter((name) => name !== 'Mapping.Modify'));
    if (group.user.length > 0) roles[`PVE${category}User`] = unique([...group.user, ...group.audit]);
    roles.PVEAuditor!.push(...group.audit);
  }
  roles.PVEAdmin = unique(roles.PVEAdmin!);
  roles.PVEAuditor = unique(roles.PVEAuditor!);
  roles.PVETemplateUser = ['VM.Audit', 'VM.Clone'];
  return roles;
})();

/** One ACL entry of a principal: a role or a list of privileges on a path, propagating by default. */
export interface AclEntry {
  path: string;
  role?: string;
  privileges?: readonly string[];
  /** Default true, as in the GUI. */
  propagate?: boolean;
}

/** A privilege set on a path with its propagate flag (1 or 0), as `GET /access/permissions` shows it. */
export type PrivilegeMap = Record<string, 0 | 1>;

/**
 * Ready-made privilege sets for a principal:
 * - `admin`: Administrator on `/` (the default of every principal the simulator creates);
 * - `ops`: least privilege for operators: VM.Audit, VM.PowerMgmt, VM.Backup, VM.Snapshot and
 *   VM.Migrate on `/vms`, Datastore.AllocateSpace and Datastore.Audit on the shared backup storages
 *   `backup-nfs` and `pbs-backup` (not `local`), nothing on `/` or `/nodes`: no Sys.Audit;
 * - `noaudit`: every VM.*, Datastore.*, Pool.*, SDN.* and Mapping.* privilege on `/`, and no Sys.*
 *   (what `tokenHasAudit: false` has always meant: full guest control, no node or task audit).
 */
export type PrivilegePreset = 'admin' | 'ops' | 'noaudit';
export const PRIVILEGE_PRESETS: readonly PrivilegePreset[] = ['admin', 'ops', 'noaudit'];

export const OPS_VM_PRIVILEGES = ['VM.Audit', 'VM.PowerMgmt', 'VM.Backup', 'VM.Snapshot', 'VM.Migrate'] as const;

export function presetAcl(preset: PrivilegePreset): AclEntry[] {
  switch (preset) {
    case 'admin':
      return [{ path: '/', role: 'Administrator' }];
    case 'ops':
      return [
        { path: '/vms', privileges: OPS_VM_PRIVILEGES },
        { path: '/storage/backup-nfs', privileges: ['Datastore.AllocateSpace', 'Datastore.Audit'] },
        { path: '/storage/pbs-backup', privileges: ['Datastore.AllocateSpace', 'Datastore.Audit'] },
      ];
    case 'noaudit':
      return [{ path: '/', privileges: ALL_PRIVILEGES.filter((name) => !name.startsWith('Sys.') && !name.startsWith('Realm.')) }];
  }
}

interface Grant {
  privileges: readonly string[];
  propagate: boolean;
}

/** Splits `user@realm!token` into its user and token parts. */
export function splitTokenId(authid: string): { userid: string; tokenid?: string } {
  const bang = authid.indexOf('!');
  return bang < 0 ? { userid: authid } : { userid: authid.slice(0, bang), tokenid: authid.slice(bang + 1) };
}

/** The top-level paths get_effective_permissions always looks at, besides every ACL path. */
const DEFAULT_PATHS = ['/', '/access', '/access/groups', '/nodes', '/pool', '/sdn', '/storage', '/vms'];

export class AccessControl {
  /** ACL entries by principal (user id or full token id), by path. */
  private acl = new Map<string, Map<string, Grant[]>>();
  /** Tokens with privilege separation (their own ACL, intersected with the user's). */
  private privsep = new Set<string>();
  private tokens = new Set<string>();

  /** Replaces a principal's ACL (a user id, or a full token id with its privilege separation flag). */
  setAcl(authid: string, entries: readonly AclEntry[], options: { privsep?: boolean } = {}): void {
    const byPath = new Map<string, Grant[]>();
    for (const entry of entries) {
      const path = normalizePath(entry.path);
      const privileges = entry.role ? ROLES[entry.role] : entry.privileges;
      if (!privileges) throw new Error(`role '${entry.role ?? ''}' does not exist`);
      for (const name of privileges) if (!ALL_PRIVILEGES.includes(name)) throw new Error(`invalid privilege '${name}'`);
      const grants = byPath.get(path) ?? [];
      grants.push({ privileges, propagate: entry.propagate ?? true });
      byPath.set(path, grants);
    }
    this.acl.set(authid, byPath);
    if (authid.includes('!')) {
      this.tokens.add(authid);
      if (options.privsep) this.privsep.add(authid);
      else this.privsep.delete(authid);
    }
  }

  /** Registers a token without privilege separation (it has exactly its user's privileges). */
  addToken(authid: string, options: { privsep?: boolean; acl?: readonly AclEntry[] } = {}): void {
    this.tokens.add(authid);
    if (options.privsep) this.setAcl(authid, options.acl ?? [], { privsep: true });
    else this.privsep.delete(authid);
  }

  /** The privileges `authid` holds on `path` with their propagate flags (RPCEnvironment `permissions`). */
  permissions(authid: string, path: string): PrivilegeMap {
    if (authid === 'root@pam') return Object.fromEntries(ALL_PRIVILEGES.map((name) => [name, 1 as const]));
    const normal = normalizePath(path);
    const { userid, tokenid } = splitTokenId(authid);
    if (tokenid === undefined) return this.compile(authid, normal);
    if (!this.tokens.has(authid)) return {};
    const user = this.permissions(userid, normal);
    if (!this.privsep.has(authid)) return user;
    const own = this.compile(authid, normal);
    if (userid === 'root@pam') return own;
    const out: PrivilegeMap = {};
    for (const [name, flag] of Object.entries(own)) {
      if (user[name] !== undefined) out[name] = user[name] && flag ? 1 : 0;
    }
    return out;
  }

  has(authid: string, path: string, privilege: string): boolean {
    return this.permissions(authid, path)[privilege] !== undefined;
  }

  /** Every path an ACL names, for get_effective_permissions (it walks the whole tree, not one user's). */
  aclPaths(): string[] {
    const paths = new Set<string>();
    for (const byPath of this.acl.values()) for (const path of byPath.keys()) paths.add(path);
    return [...paths];
  }

  /** `GET /access/permissions` without `path`: every default and ACL path where `authid` holds something. */
  effectivePermissions(authid: string): Record<string, PrivilegeMap> {
    const out: Record<string, PrivilegeMap> = {};
    for (const path of [...new Set([...DEFAULT_PATHS, ...this.aclPaths()])].sort()) {
      const privileges = this.permissions(authid, path);
      if (Object.keys(privileges).length > 0) out[path] = privileges;
    }
    return out;
  }

  /** AccessControl.pm `roles`: walk from `/` down; the deepest level with an applicable entry wins. */
  private compile(authid: string, path: string): PrivilegeMap {
    const byPath = this.acl.get(authid);
    if (!byPath) return {};
    const parts = path === '/' ? [''] : path.split('/');
    let current: Grant[] = [];
    let prefix = '';
    for (let i = 0; i < parts.length; i++) {
      prefix = i === 0 ? '/' : `${prefix === '/' ? '' : prefix}/${parts[i]}`;
      const final = i === parts.length - 1;
      const applicable = (byPath.get(prefix) ?? []).filter((grant) => final || grant.propagate);
      if (applicable.length > 0) current = applicable;
    }
    const out: PrivilegeMap = {};
    for (const grant of current) {
      for (const name of grant.privileges) out[name] = out[name] === 1 || grant.propagate ? 1 : 0;
    }
    return out;
  }
}

/** `/vms/` and `/vms` are one path. */
function normalizePath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}
