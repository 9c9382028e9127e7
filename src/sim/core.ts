/**
 * The simulator's shared state: one cluster (model), its tasks (engine), auth and privileges, faults
 * and counters, served identically by every node's listener.
 */
import type { Clock } from '../util/clock.js';
import type { AccessControl } from './access.js';
import { AuthRegistry } from './auth.js';
import { dialectFor, type Dialect, type PveMajor } from './dialect.js';
import { Engine } from './engine.js';
import { FaultSet } from './faults.js';
import { generateCluster } from './generate.js';
import type { ClusterState } from './model.js';
import { Rng } from './rng.js';

export interface CoreOptions {
  nodes: number;
  guests: number;
  seed: number;
  speed: number;
  clock: Clock;
  ticketLifetimeMs: number;
  unauthorizedDelayMs: number;
  proxyTimeoutMs: number;
  fingerprint: string;
  pveVersion: PveMajor;
  /** Cluster name, node name prefix, first VMID and address octet (see generate.ts). */
  name?: string;
  nodePrefix?: string;
  firstVmid?: number;
  subnet?: number;
}

export interface Counters {
  total: number;
  byRoute: Record<string, number>;
  byListener: Record<string, number>;
}

export class SimCore {
  readonly cluster: ClusterState;
  readonly engine: Engine;
  readonly auth: AuthRegistry;
  readonly faults: FaultSet;
  readonly clock: Clock;
  readonly dialect: Dialect;
  counters: Counters = { total: 0, byRoute: {}, byListener: {} };

  constructor(readonly options: CoreOptions) {
    this.clock = options.clock;
    this.dialect = dialectFor(options.pveVersion);
    this.cluster = generateCluster({
      seed: options.seed,
      nodes: options.nodes,
      guests: options.guests,
      now: this.clock.now(),
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.nodePrefix === undefined ? {} : { nodePrefix: options.nodePrefix }),
      ...(options.firstVmid === undefined ? {} : { firstVmid: options.firstVmid }),
      ...(options.subnet === undefined ? {} : { subnet: options.subnet }),
    });
    this.engine = new Engine(this.cluster, this.clock, options.speed, options.seed, this.dialect);
    this.auth = new AuthRegistry(() => this.clock.now(), options.ticketLifetimeMs, new Rng(options.seed, 5), this.cluster.name);
    this.faults = new FaultSet(options.seed, () => {
      this.engine.offlineNodes.clear();
      for (const node of this.cluster.nodes) {
        if (this.faults.offlineMode(node.name)) this.engine.offlineNodes.add(node.name);
      }
    });
  }

  get access(): AccessControl {
    return this.auth.access;
  }

  hasNode(name: string): boolean {
    return this.cluster.nodes.some((node) => node.name === name);
  }

  isOnline(name: string): boolean {
    return !this.engine.offlineNodes.has(name);
  }

  count(route: string, listener: string): void {
    this.counters.total++;
    this.counters.byRoute[route] = (this.counters.byRoute[route] ?? 0) + 1;
    this.counters.byListener[listener] = (this.counters.byListener[listener] ?? 0) + 1;
  }
}
