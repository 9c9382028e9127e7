/**
 * `control`: the test and demo handle on a running simulator. It reads and changes the cluster from the
 * inside (roles, snapshots, tasks, faults, tickets), so tests can set up and check what the HTTP API
 * cannot show, such as how many tasks ran at once. Everything it returns is a copy.
 */
import type { Clock } from '../util/clock.js';
import { presetAcl, type AclEntry, type PrivilegeMap, type PrivilegePreset } from './access.js';
import type { SimCore } from './core.js';
import type { SimTask } from './engine.js';
import { toFaultSpec, type FaultInput, type FaultSpec } from './faults.js';
import type { GuestRole, GuestState, GuestType, SnapshotState } from './model.js';
import type { SimServer } from './server.js';
import { scripted } from './workers/index.js';

export interface SimNodeInfo {
  node: string;
  online: boolean;
  /** This node's own listener, e.g. `https://127.0.0.1:8006`. */
  url: string;
  listening: boolean;
}

/** What tests and tools see of a guest (the model's own state, less its internals). */
export type SimGuestInfo = Pick<
  GuestState,
  'vmid' | 'type' | 'node' | 'name' | 'status' | 'template' | 'tags' | 'hastate' | 'lock' | 'roles' | 'disks' | 'maxmem'
>;

export interface GuestFilter {
  role?: GuestRole;
  node?: string;
  type?: GuestType;
  status?: 'running' | 'stopped';
}

export interface SimTaskRecord {
  upid: string;
  node: string;
  type: string;
  id: string;
  /** The auth id (`user@realm` or `user@realm!tokenid`). */
  user: string;
  /** ms since the epoch, on the simulator's clock. */
  startedAt: number;
  endedAt?: number;
  exitStatus?: string;
}

export interface TaskFilter {
  node?: string;
  type?: string;
  id?: string;
  user?: string;
  running?: boolean;
}

export interface SpawnTaskOptions {
  node: string;
  type: string;
  id?: string;
  /** Default `root@pam`. */
  user?: string;
  /** Exact run time in ms (not scaled by speed); `Infinity` runs until finishTask or a stop. */
  durationMs: number;
  /**
   * The task started this long ago (default 0): its UPID and lists show the earlier start, and
   * `durationMs` counts from there, so it ends at once if that is already past. For benchmarks and
   * demos that need tasks older than a minute without waiting for one.
   */
  startedAgoMs?: number;
  /** Default `OK`. */
  exitStatus?: string;
  /** Lines logged at the start (the end line is added from the exit status). */
  log?: string[];
}

/**
 * A principal's privileges: a preset (`admin`, `ops`, `noaudit`, see access.ts) or ACL entries
 * (`{ path: '/vms/100', privileges: ['VM.PowerMgmt'] }`, `{ path: '/', role: 'PVEAuditor' }`).
 */
export interface PrivilegeOptions {
  privileges?: PrivilegePreset;
  acl?: AclEntry[];
}

export interface AddTokenOptions extends PrivilegeOptions {
  /**
   * The token's user (default `ops@pve` for the `ops` preset, else `root@pam`). A user that does not
   * exist yet is created with the token's privileges (Administrator when none are given).
   */
  user?: string;
  /** `false`: the `noaudit` preset (everything on guests and storages, nothing on nodes or tasks of others). */
  audit?: boolean;
}

export interface SimCounters {
  total: number;
  /** By `METHOD template`, e.g. `GET /nodes/{node}/tasks/{upid}/status`. */
  byRoute: Record<string, number>;
  /** By the node whose listener received the request. */
  byListener: Record<string, number>;
}

export interface SimControl {
  readonly clock: Clock;
  nodes(): SimNodeInfo[];
  guests(filter?: GuestFilter): SimGuestInfo[];
  guest(vmid: number): SimGuestInfo | undefined;
  /** The guest holding `role` (every role is held by exactly one guest). */
  guestWithRole(role: GuestRole): SimGuestInfo;
  snapshots(node: string, type: GuestType, vmid: number): SnapshotState[];
  tasks(filter?: TaskFilter): SimTaskRecord[];
  task(upid: string): (SimTaskRecord & { log: string[] }) | undefined;
  spawnTask(options: SpawnTaskOptions): string;
  finishTask(upid: string, exitStatus: string): void;
  counters(): SimCounters;
  resetCounters(): void;
  addFault(fault: FaultInput): Promise<void>;
  removeFault(fault: FaultInput): Promise<void>;
  clearFaults(): Promise<void>;
  faults(): FaultSpec[];
  /** Every ticket issued so far stops working (as after an auth key rotation). */
  expireTickets(): void;
  /**
   * Adds an API token and returns it (`USER@REALM!TOKENID=SECRET`). With privileges (a preset, ACL
   * entries, or `audit: false`) the token has privilege separation: it holds those, within its user's.
   * Without, it has exactly its user's privileges. E.g. `addToken('ops', { privileges: 'ops' })` gives
   * `ops@pve!ops=...`: VM.Audit, VM.PowerMgmt, VM.Backup, VM.Snapshot, VM.Migrate on /vms, backup
   * storages, no Sys.Audit anywhere.
   */
  addToken(tokenid: string, options?: AddTokenOptions): string;
  /** Adds a user for ticket login (default Administrator on `/`); returns its credentials. */
  addUser(userid: string, options?: PrivilegeOptions & { password?: string }): { username: string; password: string };
  /** Replaces the ACL of a user, or of a token (which then has privilege separation). */
  setPrivileges(authid: string, options: PrivilegeOptions): void;
  /** What `GET /access/permissions` answers for `authid` (all paths, or only `path`). */
  permissions(authid: string, path?: string): Record<string, PrivilegeMap>;
  /** Processes every simulated event due by `clock.now()`. */
  settle(): void;
  /** The TFA user: its login answers `NeedTFA: 1` with a ticket that allows nothing else. */
  readonly tfaUser: { username: string; password: string };
  readonly caPem: string;
}

function record(task: SimTask): SimTaskRecord {
  const out: SimTaskRecord = { upid: task.upid, node: task.node, type: task.type, id: task.id, user: task.user, startedAt: task.startedAt };
  if (task.endedAt !== undefined) out.endedAt = task.endedAt;
  if (task.exitStatus !== undefined) out.exitStatus = task.exitStatus;
  return out;
}

export function createControl(
  core: SimCore,
  server: SimServer,
  extras: { tfaUser: { username: string; password: string }; caPem: string; secret: () => string },
): SimControl {
  const { engine, cluster } = core;
  const guestInfo = (vmid: number): SimGuestInfo | undefined => {
    const guest = cluster.guests.get(vmid);
    if (!guest) return undefined;
    const info: SimGuestInfo = {
      vmid: guest.vmid,
      type: guest.type,
      node: guest.node,
      name: guest.name,
      status: guest.status,
      template: guest.template,
      tags: [...guest.tags],
      roles: [...guest.roles],
      disks: guest.disks.map((disk) => ({ ...disk })),
      maxmem: guest.maxmem,
    };
    if (guest.hastate) info.hastate = guest.hastate;
    if (guest.lock) info.lock = guest.lock;
    return info;
  };
  const faultsChanged = () => server.syncListeners();
  const control: SimControl = {
    clock: core.clock,
    nodes: () =>
      cluster.nodes.map((node) => {
        const listener = server.listeners.find((candidate) => candidate.node === node.name);
        return { node: node.name, online: core.isOnline(node.name), url: listener?.url ?? '', listening: listener?.listening ?? false };
      }),
    guests: (filter = {}) => {
      engine.settle();
      return [...cluster.guests.keys()]
        .map((vmid) => guestInfo(vmid)!)
        .filter(
          (guest) =>
            (filter.role === undefined || guest.roles.includes(filter.role)) &&
            (filter.node === undefined || guest.node === filter.node) &&
            (filter.type === undefined || guest.type === filter.type) &&
            (filter.status === undefined || guest.status === filter.status),
        );
    },
    guest: (vmid) => {
      engine.settle();
      return guestInfo(vmid);
    },
    guestWithRole: (role) => {
      const found = control.guests({ role })[0];
      if (!found) throw new Error(`no guest has the role '${role}'`);
      return found;
    },
    snapshots: (node, type, vmid) => {
      engine.settle();
      const guest = cluster.guests.get(vmid);
      if (!guest || guest.node !== node || guest.type !== type) return [];
      return guest.snapshots.map((snapshot) => ({ ...snapshot }));
    },
    tasks: (filter = {}) => {
      engine.settle();
      const out: SimTaskRecord[] = [];
      for (const task of engine.tasks.values()) {
        if (filter.node !== undefined && task.node !== filter.node) continue;
        if (filter.type !== undefined && task.type !== filter.type) continue;
        if (filter.id !== undefined && task.id !== filter.id) continue;
        if (filter.user !== undefined && task.user !== filter.user) continue;
        if (filter.running !== undefined && task.running !== filter.running) continue;
        out.push(record(task));
      }
      return out;
    },
    task: (upid) => {
      engine.settle();
      const task = engine.tasks.get(upid);
      return task ? { ...record(task), log: [...task.log] } : undefined;
    },
    spawnTask: (options) => {
      engine.settle();
      if (!core.hasNode(options.node)) throw new Error(`unknown node '${options.node}'`);
      const task = engine.startTask({
        node: options.node,
        type: options.type,
        ...(options.id === undefined ? {} : { id: options.id }),
        user: options.user ?? 'root@pam',
        ...(options.startedAgoMs ? { startedAgoMs: options.startedAgoMs } : {}),
        worker: (ctx) =>
          scripted(ctx, {
            durationMs: options.durationMs - Math.max(0, options.startedAgoMs ?? 0),
            exitStatus: options.exitStatus ?? 'OK',
            log: options.log ?? [],
          }),
      });
      return task.upid;
    },
    finishTask: (upid, exitStatus) => {
      engine.settle();
      const task = engine.tasks.get(upid);
      if (!task) throw new Error(`no such task ${upid}`);
      engine.finish(task, exitStatus);
    },
    counters: () => ({
      total: core.counters.total,
      byRoute: { ...core.counters.byRoute },
      byListener: { ...core.counters.byListener },
    }),
    resetCounters: () => {
      core.counters = { total: 0, byRoute: {}, byListener: {} };
    },
    addFault: (fault) => {
      core.faults.add(toFaultSpec(fault));
      return faultsChanged();
    },
    removeFault: (fault) => {
      core.faults.remove(fault);
      return faultsChanged();
    },
    clearFaults: () => {
      core.faults.clear();
      return faultsChanged();
    },
    faults: () => core.faults.list(),
    expireTickets: () => core.auth.expireTickets(),
    addToken: (tokenid, options = {}) => {
      const user = options.user ?? (options.privileges === 'ops' ? 'ops@pve' : 'root@pam');
      const token = `${user}!${tokenid}=${extras.secret()}`;
      const acl = aclOf(options.audit === false ? { privileges: 'noaudit', ...options } : options);
      core.auth.addToken(token, acl ? { privsep: true, acl, userAcl: acl } : {});
      return token;
    },
    addUser: (userid, options = {}) => {
      const password = options.password ?? extras.secret();
      core.auth.addUser(userid, password, { acl: aclOf(options) ?? presetAcl('admin') });
      return { username: userid, password };
    },
    setPrivileges: (authid, options) => {
      const acl = aclOf(options) ?? [];
      core.access.setAcl(authid, acl, { privsep: authid.includes('!') });
    },
    permissions: (authid, path) =>
      path === undefined ? core.access.effectivePermissions(authid) : { [path]: core.access.permissions(authid, path) },
    settle: () => engine.settle(),
    tfaUser: extras.tfaUser,
    caPem: extras.caPem,
  };
  return control;
}

/** ACL entries from a preset and/or explicit entries; undefined when neither is given. */
function aclOf(options: PrivilegeOptions): AclEntry[] | undefined {
  if (!options.privileges && !options.acl) return undefined;
  return [...(options.privileges ? presetAcl(options.privileges) : []), ...(options.acl ?? [])];
}
