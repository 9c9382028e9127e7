/**
 * The embedded Proxmox VE simulator: `startSimulator(options)` starts a cluster of N nodes, each
 * serving the whole API on its own loopback listener (HTTP, or HTTPS with the embedded demo
 * certificate), all sharing one state, and returns the URLs, demo credentials and a `control` handle.
 * `startSimulators({ clusters })` starts several independent clusters at once.
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../util/clock.js';
import { presetAcl, PRIVILEGE_PRESETS, type PrivilegePreset } from './access.js';
import { parseApiToken } from './auth.js';
import { startBackground } from './background.js';
import { DEMO_CA_PEM, DEMO_LEAF_FINGERPRINT } from './cert.js';
import { createControl, type SimControl } from './control.js';
import { SimCore } from './core.js';
import type { PveMajor } from './dialect.js';
import type { FaultInput } from './faults.js';
import { SimServer } from './server.js';

export interface SimulatorOptions {
  /** Number of nodes, `pve1`..`pveN` (default 3). */
  nodes?: number;
  /** Number of guests spread over the nodes, qemu and lxc (default 40; at least 13, one per role). */
  guests?: number;
  /** Same seed, same cluster and same task timings (default 1). */
  seed?: number;
  /** Task durations are divided by this (default 1). */
  speed?: number;
  /** HTTPS with the embedded demo certificate (default false). */
  tls?: boolean;
  /** Default `127.0.0.1`. */
  host?: string;
  /** 0 (default): a free port per node; else port, port+1, ... (one listener per node). */
  port?: number;
  /** Tasks by other users appear over time, as on a busy cluster (default false). */
  background?: boolean;
  /** Default: the system clock. Tests pass a ManualClock shared with the client. */
  clock?: Clock;
  /** `USER@REALM!TOKENID=SECRET` (default: a random secret for `root@pam!pvetasks`, `ops@pve!pvetasks` with `tokenPrivileges: 'ops'`). */
  token?: string;
  /** root@pam's password for ticket login (default random). */
  password?: string;
  /**
   * What the token may do (default `admin`: Administrator on `/`). `ops`: least privilege (VM.Audit,
   * VM.PowerMgmt, VM.Backup, VM.Snapshot, VM.Migrate on /vms, the backup storages, no Sys.Audit);
   * `noaudit`: everything on guests and storages, nothing on nodes (see access.ts).
   */
  tokenPrivileges?: PrivilegePreset;
  /** `false` is `tokenPrivileges: 'noaudit'` (kept for older callers). */
  tokenHasAudit?: boolean;
  /** The PVE major the cluster speaks: version, log formats, endpoints (default 9). */
  pveVersion?: PveMajor;
  /** The cluster's name (default `sim`). */
  name?: string;
  /** Node names are `<nodePrefix>1`, `<nodePrefix>2`, ... (default `pve`). */
  nodePrefix?: string;
  /** The first guest's VMID (default 100). */
  firstVmid?: number;
  /** PVE delays every 401 by 3 s (default 3000); tests set 0. */
  unauthorizedDelayMs?: number;
  /** Ticket lifetime (default 2 h; 5 min grace on top, as PVE). */
  ticketLifetimeMs?: number;
  /** How long a call proxied to a powered-off node waits before its 595 (default 30000). */
  proxyTimeoutMs?: number;
  /** Faults active from the start, as objects or strings (`latency=2000`, `offline=pve2:refuse`, ...). */
  faults?: FaultInput[];
}

export interface Simulator {
  /** The cluster's name (`/cluster/status`). */
  cluster: string;
  /** The PVE major it speaks. */
  pveVersion: PveMajor;
  /** Node names, in the order of `urls`. */
  nodes: string[];
  /** The first node's URL. */
  url: string;
  /** One URL per node, in node order. */
  urls: string[];
  /** The API token, `USER@REALM!TOKENID=SECRET`. */
  token: string;
  /** For ticket login: `root@pam`. */
  username: string;
  password: string;
  /** With TLS: the leaf certificate's SHA-256 fingerprint, `AA:BB:...`. */
  fingerprint?: string;
  /** With TLS: the demo CA (trust it with NODE_EXTRA_CA_CERTS or a `ca` option). */
  caPem?: string;
  close(): Promise<void>;
  control: SimControl;
}

const secret = () =>
  randomBytes(16)
    .toString('hex')
    .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const clock = options.clock ?? systemClock;
  const seed = options.seed ?? 1;
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new Error('speed must be above 0');
  const privileges: PrivilegePreset = options.tokenPrivileges ?? (options.tokenHasAudit === false ? 'noaudit' : 'admin');
  if (!PRIVILEGE_PRESETS.includes(privileges)) throw new Error(`tokenPrivileges must be one of ${PRIVILEGE_PRESETS.join(', ')}`);
  const token = options.token ?? `${privileges === 'ops' ? 'ops@pve' : 'root@pam'}!pvetasks=${secret()}`;
  if (!parseApiToken(token)) throw new Error('token must look like USER@REALM!TOKENID=SECRET');
  const pveVersion = options.pveVersion ?? 9;
  const password = options.password ?? randomBytes(12).toString('base64url');
  const tfaUser = { username: 'tfa@pve', password: randomBytes(9).toString('base64url') };

  const core = new SimCore({
    nodes: options.nodes ?? 3,
    guests: options.guests ?? 40,
    seed,
    speed,
    clock,
    ticketLifetimeMs: options.ticketLifetimeMs ?? 2 * 3600_000,
    unauthorizedDelayMs: options.unauthorizedDelayMs ?? 3000,
    proxyTimeoutMs: options.proxyTimeoutMs ?? 30_000,
    fingerprint: DEMO_LEAF_FINGERPRINT,
    pveVersion,
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.nodePrefix === undefined ? {} : { nodePrefix: options.nodePrefix }),
    ...(options.firstVmid === undefined ? {} : { firstVmid: options.firstVmid }),
  });
  core.auth.addUser('root@pam', password);
  core.auth.addUser(tfaUser.username, tfaUser.password, { tfa: true, acl: [] });
  // A token with less than Administrator has privilege separation, within a user of its own rights.
  const acl = presetAcl(privileges);
  core.auth.addToken(token, privileges === 'admin' ? {} : { privsep: true, acl, userAcl: acl });
  for (const fault of options.faults ?? []) core.faults.add(fault);
  if (options.background) startBackground(core, seed);

  const tls = options.tls ?? false;
  const server = new SimServer(core, { tls, host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  await server.start();
  const control = createControl(core, server, { tfaUser, caPem: DEMO_CA_PEM, secret });
  const urls = server.listeners.map((listener) => listener.url);
  const simulator: Simulator = {
    cluster: core.cluster.name,
    pveVersion,
    nodes: core.cluster.nodes.map((node) => node.name),
    url: urls[0]!,
    urls,
    token,
    username: 'root@pam',
    password,
    close: () => server.close(),
    control,
  };
  if (tls) {
    simulator.fingerprint = DEMO_LEAF_FINGERPRINT;
    simulator.caPem = DEMO_CA_PEM;
  }
  return simulator;
}

/** Names of the clusters `startSimulators` makes, in order (then `cluster9`, `cluster10`, ...). */
export const CLUSTER_NAMES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'] as const;

export interface SimulatorsOptions extends Omit<SimulatorOptions, 'name' | 'nodePrefix' | 'firstVmid' | 'pveVersion'> {
  /** How many independent clusters (default 2). */
  clusters?: number;
  /** The PVE major of each cluster, repeated as needed (default all 9): e.g. `[9, 8]`. */
  pveVersions?: PveMajor[];
}

/**
 * Several independent clusters, each with its own listeners, name (`alpha`, `bravo`, ...), nodes
 * (`alpha-pve1`, ..., so node names never repeat across clusters), token, seed (seed + index) and
 * guests. VMIDs start 20 higher in each cluster (100, 120, 140, ...), so neighbouring clusters share
 * some VMIDs on purpose (with 40 guests, alpha and bravo both have 120-139). With a fixed `port`,
 * cluster i listens on port + i * nodes onwards.
 */
export async function startSimulators(options: SimulatorsOptions = {}): Promise<Simulator[]> {
  const { clusters = 2, pveVersions = [9], ...common } = options;
  const count = Math.max(1, Math.floor(clusters));
  const nodes = common.nodes ?? 3;
  const started: Simulator[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = CLUSTER_NAMES[i] ?? `cluster${i + 1}`;
      started.push(
        await startSimulator({
          ...common,
          name,
          nodePrefix: `${name}-pve`,
          firstVmid: 100 + 20 * i,
          seed: (common.seed ?? 1) + i,
          pveVersion: pveVersions[i % pveVersions.length] ?? 9,
          ...(common.port ? { port: common.port + i * nodes } : {}),
        }),
      );
    }
  } catch (error) {
    await Promise.all(started.map((sim) => sim.close()));
    throw error;
  }
  return started;
}

export type {
  SimControl,
  AddTokenOptions,
  PrivilegeOptions,
  SimGuestInfo,
  SimNodeInfo,
  SimTaskRecord,
  SpawnTaskOptions,
  TaskFilter,
  GuestFilter,
  SimCounters,
} from './control.js';
export type { FaultSpec, FaultInput } from './faults.js';
export type { PveMajor } from './dialect.js';
export type { AclEntry, PrivilegeMap, PrivilegePreset } from './access.js';
export { ALL_PRIVILEGES, OPS_VM_PRIVILEGES, PRIVILEGE_PRESETS, ROLES } from './access.js';
export { parseFaultSpec, formatFaultSpec, FAULT_HELP, FaultSyntaxError } from './faults.js';
export type { GuestRole, GuestType, SnapshotState } from './model.js';
export { GUEST_ROLES } from './model.js';
export { parseApiToken } from './auth.js';
export { DEMO_CA_PEM, DEMO_LEAF_FINGERPRINT } from './cert.js';
