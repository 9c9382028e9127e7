/**
 * Which clusters a run talks to, and the one way every command works through them. A cluster is a
 * ClusterTarget: a name, its resolved configuration (endpoints, credentials, TLS, interval) and, once
 * connected, its own client. The commands iterate targets; each gets its own client, session and
 * runtime, and one cluster's outage is reported on its own line while the others carry on.
 *
 * Precedence, first match wins:
 *   1. `--cluster NAME` (repeatable, comma lists too; `all` is every configured cluster);
 *   2. PVETASKS_CLUSTER (same syntax; environment, then `.env`);
 *   3. the environment's unnamed cluster (PROXMOX_VE_ENDPOINT and its credentials, as before);
 *   4. the configuration file's only cluster;
 *   5. with several configured: `wait` and `clusters` use all of them, other commands ask to choose.
 * A guest written `CLUSTER:VMID` or `CLUSTER:NODE:VMID` names its cluster whatever the default.
 */
import type { PveClient, PveClientOptions } from '../api/index.js';
import type { Clock } from '../util/clock.js';
import { lastValue } from './args.js';
import { echo } from '../util/echo.js';
import { ALL_CLUSTERS, readClusterFile, type ClusterFile } from './cluster-file.js';
import { resolveClusterEntry } from './cluster-secrets.js';
import { loadConfig, noEndpointError, type ResolvedConfig } from './config.js';
import { asCliError, clusterName, connect, secretsOf } from './connect.js';
import { CliError, ExitCode, type CliIo } from './io.js';

export interface ClusterTarget {
  /** The configured name; for the environment's unnamed cluster, its first endpoint's host. */
  readonly name: string;
  /** Named in the configuration file; false for the environment's cluster (PROXMOX_VE_*). */
  readonly configured: boolean;
  readonly config: ResolvedConfig;
}

export interface ConnectedCluster extends ClusterTarget {
  readonly client: PveClient;
}

export interface ClusterFlags {
  /** `--cluster` values as typed (each may be a comma list). */
  cluster?: string[] | undefined;
  /** `--config FILE`. */
  config?: string | undefined;
  tokenFile?: string | undefined;
  interval?: string | undefined;
}

/** The connection options of a command's parsed flags (the CONNECTION and INTERVAL groups of the command table). */
export function clusterFlagsOf(values: Readonly<Record<string, unknown>>): ClusterFlags {
  const text = (name: string) => lastValue(values[name] as string | string[] | undefined);
  return {
    cluster: values.cluster as string[] | undefined,
    config: text('config'),
    tokenFile: text('token-file'),
    interval: text('interval'),
  };
}

export interface Clusters {
  /** The configured names, in the file's order (what `CLUSTER:VMID` may name). */
  readonly names: readonly string[];
  readonly file: ClusterFile | undefined;
  /** Set when `--cluster` was given: the clusters it names. */
  readonly flagged: readonly string[] | undefined;
  /** The clusters this run uses when nothing else names one (see the precedence above). */
  chosen(whenSeveral: 'all' | 'error'): ClusterTarget[];
  /** A configured cluster by name (its secrets read now). */
  target(name: string): ClusterTarget;
  /**
   * For listing: the clusters --cluster or PVETASKS_CLUSTER name, else the environment's (when set)
   * and every configured one. Names only: each is built with `target` (or `environment`) by the caller.
   */
  listed(): Array<{ name: string; configured: boolean }>;
  /** The environment's unnamed cluster (PROXMOX_VE_*). */
  environment(): ClusterTarget;
}

/** Every configured cluster, or the ones `--cluster`/PVETASKS_CLUSTER name. */
export async function loadClusters(io: CliIo, secrets: string[], flags: ClusterFlags): Promise<Clusters> {
  const interval = flags.interval === undefined ? {} : { interval: flags.interval };
  const shared = loadConfig({ flags: interval, env: io.env, cwd: io.cwd, sharedOnly: true });
  const file = await readClusterFile({ env: io.env, cwd: io.cwd, ...(flags.config === undefined ? {} : { configFlag: flags.config }) });
  const names = file?.clusters.map((entry) => entry.name) ?? [];
  const printed = new Set<string>();
  const warn = (config: ResolvedConfig) => {
    for (const warning of config.warnings) {
      if (printed.has(warning)) continue;
      printed.add(warning);
      io.stderr.write(`pvetasks: warning: ${warning}\n`);
    }
  };
  warn(shared);
  const built = new Map<string, ClusterTarget>();

  const target = (name: string): ClusterTarget => {
    let found = built.get(name);
    if (found) return found;
    const entry = file?.clusters.find((candidate) => candidate.name === name);
    if (!entry || !file) throw new CliError(`internal: no configured cluster ${name}`);
    const config = resolveClusterEntry(file, entry, shared, io.env);
    secrets.push(...secretsOf(config));
    warn(config);
    found = { name, configured: true, config };
    built.set(name, found);
    return found;
  };

  const environment = (): ClusterTarget => {
    const config = loadConfig({
      flags: { ...interval, ...(flags.tokenFile === undefined ? {} : { tokenFile: flags.tokenFile }) },
      env: io.env,
      cwd: io.cwd,
    });
    secrets.push(...secretsOf(config));
    warn(config);
    return { name: new URL(config.endpoints[0]!).hostname, configured: false, config };
  };

  const parseChoice = (values: readonly string[], label: string): string[] => {
    const chosen: string[] = [];
    for (const value of values.flatMap((text) => text.split(','))) {
      const name = value.trim();
      if (!file) {
        throw new CliError(
          `${label} ${echo(name, { maxLength: 40 })}: no clusters are configured (no ${flags.config ?? 'configuration file'}); ` +
            "name them in ~/.config/pvetasks/config.yaml (see 'Several clusters' in the README)",
        );
      }
      const matches = name === ALL_CLUSTERS ? names : names.filter((known) => known === name);
      if (matches.length === 0) {
        throw new CliError(`${label} ${echo(name, { maxLength: 40 })} is not a configured cluster (${file.path} has ${names.join(', ')})`);
      }
      for (const match of matches) if (!chosen.includes(match)) chosen.push(match);
    }
    if (chosen.length === 0) throw new CliError(`${label} is empty: name a configured cluster, or all`);
    return chosen;
  };

  const flagged = flags.cluster && flags.cluster.length > 0 ? parseChoice(flags.cluster, '--cluster') : undefined;
  const fromVariable = !flagged && shared.clusterChoice ? parseChoice([shared.clusterChoice.value], shared.clusterChoice.label) : undefined;

  return {
    names,
    file,
    flagged,
    chosen(whenSeveral) {
      const named = flagged ?? fromVariable;
      let targets: ClusterTarget[];
      if (named) targets = named.map(target);
      else if (shared.environmentEndpoint) targets = [environment()];
      else if (!file) throw noEndpointError();
      else if (names.length === 1 || whenSeveral === 'all') targets = names.map(target);
      else {
        throw new CliError(
          `${names.length} clusters are configured in ${file.path} (${names.join(', ')}): choose with --cluster NAME ` +
            '(repeatable, or all) or PVETASKS_CLUSTER',
        );
      }
      if (flags.tokenFile !== undefined && targets.every((chosen) => chosen.configured)) {
        throw new CliError(
          "--token-file is for the cluster of PROXMOX_VE_ENDPOINT; a configured cluster names its token in the configuration file's token_file",
        );
      }
      return targets;
    },
    target,
    listed() {
      const named = flagged ?? fromVariable;
      if (named) return named.map((name) => ({ name, configured: true }));
      if (!shared.environmentEndpoint && !file) throw noEndpointError();
      return [
        ...(shared.environmentEndpoint ? [{ name: '', configured: false }] : []),
        ...names.map((name) => ({ name, configured: true })),
      ];
    },
    environment,
  };
}

/** Whether output names each target's cluster: when a run spans several, or uses a configured one. */
export function namesClusters(targets: readonly ClusterTarget[]): boolean {
  return targets.length > 1 || targets.some((target) => target.configured);
}

/** What happened to one cluster's part of the work. */
export type ClusterResult<T> = { target: ClusterTarget; value: T } | { target: ClusterTarget; error: CliError };

/** At most this many clusters are asked at once. */
export const CLUSTER_CONCURRENCY = 8;
/** With several clusters, a cluster that has not answered the start-up work by then is left out. */
export const CLUSTER_DEADLINE_MS = 20_000;

/**
 * Runs `work` for every target, at most CLUSTER_CONCURRENCY at once. With one target it is the work
 * itself (its failure is thrown, as before there were several clusters). With several, each has
 * CLUSTER_DEADLINE_MS and its own failure: one cluster that does not answer never holds the others
 * back longer than that. Ctrl-C ends them all with its reason.
 */
export async function eachCluster<T>(
  targets: readonly ClusterTarget[],
  clock: Clock,
  signal: AbortSignal,
  work: (target: ClusterTarget, signal: AbortSignal) => Promise<T>,
): Promise<Array<ClusterResult<T>>> {
  if (targets.length === 1) return [{ target: targets[0]!, value: await work(targets[0]!, signal) }];
  const results: Array<ClusterResult<T>> = new Array(targets.length);
  let next = 0;
  const runOne = async (target: ClusterTarget): Promise<ClusterResult<T>> => {
    const deadline = new AbortController();
    const stopTimer = new AbortController();
    clock.sleep(CLUSTER_DEADLINE_MS, stopTimer.signal).then(
      () => deadline.abort(new CliError(`no answer within ${CLUSTER_DEADLINE_MS / 1000} s`, ExitCode.connect)),
      () => {},
    );
    try {
      // The work may take a while to notice (a client closing waits for its requests): its result no longer counts.
      const working = work(target, AbortSignal.any([signal, deadline.signal]));
      working.catch(() => {});
      return { target, value: await Promise.race([working, rejectWhenAborted<T>(deadline.signal)]) };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const failure = deadline.signal.aborted ? (deadline.signal.reason as CliError) : asCliError(error, 'failed');
      return { target, error: failure };
    } finally {
      stopTimer.abort();
    }
  };
  const lane = async () => {
    while (next < targets.length) {
      const index = next++;
      results[index] = await runOne(targets[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CLUSTER_CONCURRENCY, targets.length) }, lane));
  return results;
}

/** Closes the clients of a run, all at once. */
export async function closeClients(clients: Iterable<PveClient>): Promise<void> {
  await Promise.all([...clients].map((client) => client.close()));
}

function rejectWhenAborted<T>(signal: AbortSignal): Promise<T> {
  return new Promise<T>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

/** Connects every target (see eachCluster), then runs `then` with the client; a failure there closes it. */
export function connectEach<T>(
  targets: readonly ClusterTarget[],
  clock: Clock,
  signal: AbortSignal,
  then: (cluster: ConnectedCluster, signal: AbortSignal) => Promise<T>,
  create?: (options: PveClientOptions) => PveClient,
): Promise<Array<ClusterResult<{ cluster: ConnectedCluster; value: T }>>> {
  return eachCluster(targets, clock, signal, async (target, clusterSignal) => {
    const client = await connect(target.config, clock, create, clusterSignal);
    const cluster: ConnectedCluster = { ...target, client };
    try {
      const value = await then(cluster, clusterSignal);
      // Too late: nobody will use (or close) this client.
      if (clusterSignal.aborted) throw clusterSignal.reason;
      return { cluster, value };
    } catch (error) {
      await closeClients([client]);
      throw error;
    }
  });
}

/** The reached clusters' values, in target order. */
export function reached<T>(results: ReadonlyArray<ClusterResult<T>>): Array<{ target: ClusterTarget; value: T }> {
  return results.filter((result): result is { target: ClusterTarget; value: T } => 'value' in result);
}

/** The clusters that failed, in target order. */
export function failed<T>(results: ReadonlyArray<ClusterResult<T>>): Array<{ target: ClusterTarget; error: CliError }> {
  return results.filter((result): result is { target: ClusterTarget; error: CliError } => 'error' in result);
}

/** One line on stderr for a cluster that failed: `pvetasks: cluster bravo: cannot connect to ...`. */
export function reportClusterFailure(io: Pick<CliIo, 'stderr'>, failure: { target: ClusterTarget; error: CliError }, after = ''): void {
  io.stderr.write(`pvetasks: cluster ${failure.target.name}: ${failure.error.message}${after}\n`);
}

/**
 * The exit code of a run over several clusters: the worst, in DESIGN.md's order (first match wins):
 * interrupted 130, then 2, 3, 1, 124, 0.
 */
export function worstExitCode(codes: Iterable<number>): number {
  const rank = [ExitCode.interrupted, ExitCode.usage, ExitCode.connect, ExitCode.failed, ExitCode.timeout];
  let worst: number = ExitCode.ok;
  for (const code of codes) {
    const a = rank.indexOf(code as (typeof rank)[number]);
    const b = rank.indexOf(worst as (typeof rank)[number]);
    if (a >= 0 && (b < 0 || a < b)) worst = code;
  }
  return worst;
}

/**
 * The name a cluster's session files carry: a configured cluster's own name (two clusters PVE calls
 * alike stay apart); for the environment's, PVE's cluster name or the endpoint's host, as before.
 */
export function sessionClusterName(cluster: ConnectedCluster, clock: Clock, signal: AbortSignal): Promise<string> {
  if (cluster.configured) return Promise.resolve(cluster.name);
  return clusterName(cluster.client, cluster.config.endpoints[0]!, clock, signal);
}
