/**
 * The embedded Proxmox VE simulator: `startSimulator(options)` starts a cluster of N nodes, each
 * serving the whole API on its own loopback listener (HTTP, or HTTPS with the embedded demo
 * certificate), all sharing one state, and returns the URLs, demo credentials and a `control` handle.
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../util/clock.js';
import { parseApiToken } from './auth.js';
import { startBackground } from './background.js';
import { DEMO_CA_PEM, DEMO_LEAF_FINGERPRINT } from './cert.js';
import { createControl, type SimControl } from './control.js';
import { SimCore } from './core.js';
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
  /** `USER@REALM!TOKENID=SECRET` (default: a random secret for `root@pam!pvetasks`). */
  token?: string;
  /** root@pam's password for ticket login (default random). */
  password?: string;
  /** The token has Sys.Audit on `/` and sees everyone's tasks (default true). */
  tokenHasAudit?: boolean;
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
  const token = options.token ?? `root@pam!pvetasks=${secret()}`;
  if (!parseApiToken(token)) throw new Error('token must look like USER@REALM!TOKENID=SECRET');
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
  });
  core.auth.addUser('root@pam', password, { audit: true });
  core.auth.addUser(tfaUser.username, tfaUser.password, { audit: false, tfa: true });
  core.auth.addToken(token, options.tokenHasAudit ?? true);
  for (const fault of options.faults ?? []) core.faults.add(fault);
  if (options.background) startBackground(core, seed);

  const tls = options.tls ?? false;
  const server = new SimServer(core, { tls, host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  await server.start();
  const control = createControl(core, server, { tfaUser, caPem: DEMO_CA_PEM, secret });
  const urls = server.listeners.map((listener) => listener.url);
  const simulator: Simulator = {
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

export type {
  SimControl,
  SimGuestInfo,
  SimNodeInfo,
  SimTaskRecord,
  SpawnTaskOptions,
  TaskFilter,
  GuestFilter,
  SimCounters,
} from './control.js';
export type { FaultSpec, FaultInput } from './faults.js';
export { parseFaultSpec, formatFaultSpec, FAULT_HELP, FaultSyntaxError } from './faults.js';
export type { GuestRole, GuestType, SnapshotState } from './model.js';
export { GUEST_ROLES } from './model.js';
export { parseApiToken } from './auth.js';
export { DEMO_CA_PEM, DEMO_LEAF_FINGERPRINT } from './cert.js';
