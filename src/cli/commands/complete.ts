/**
 * `pvetasks __complete KIND` (hidden): the values the completion scripts offer, one per line (a value,
 * then a tab and a description where there is one). It is called on every Tab, so it is bounded: one
 * request per cluster (/cluster/resources gives guests, nodes and storages at once), all within the
 * same 1.5 s, each answer kept a minute in the state dir (mode 0600, no secrets), never a prompt, and
 * silence on any failure.
 */
import { lstatSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createPveClient, type PveClient, type PveClientOptions } from '../../api/index.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { ALL_CLUSTERS, readClusterFile } from '../cluster-file.js';
import { DYNAMIC_KINDS, type DynamicKind } from '../command-table.js';
import { loadClusters, type ClusterTarget } from '../clusters.js';
import type { ResolvedConfig } from '../config.js';
import { clientOptionsFor } from '../connect.js';
import { ExitCode, type CliIo, type Command } from '../io.js';

export const COMPLETION_TIMEOUT_MS = 1_500;
export const COMPLETION_CACHE_MS = 60_000;
export const COMPLETION_CACHE_FILE = 'completion-cache.json';

/**
 * What a shell may be handed: PVE's own identifiers (VMIDs, node names, storage IDs, guest names) fit
 * this, and anything else a server sends is left out rather than offered for the command line.
 */
const SAFE_WORD = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A value, or `CLUSTER:value`, whose every part is a safe word. */
function isSafeValue(value: string): boolean {
  return value.split(':').every((part) => SAFE_WORD.test(part));
}

export interface ClusterValues {
  /** VMID and guest name (empty when none or unsafe). */
  vmids: Array<[number, string]>;
  nodes: string[];
  /** Storages that take backups (`--storage` of `backup`). */
  backupStorages: string[];
}

interface CacheFile {
  version: 1;
  /** By cluster: its endpoints and user, never a secret. */
  entries: Record<string, { at: number; values: ClusterValues }>;
}

export interface CompleteCommandDeps {
  clock?: Clock;
  /** Cluster names for `--cluster`; tests give their own. */
  clusterNames?: (io: CliIo) => string[] | Promise<string[]>;
  createClient?: (options: PveClientOptions) => PveClient;
}

/**
 * The names of the clusters in the configuration file ($XDG_CONFIG_HOME/pvetasks/config.yaml), for
 * `--cluster NAME`, and `all`. Only the file is read (no secret, no request); a file with any error
 * gives none: the command itself will say what is wrong.
 */
export async function configuredClusterNames(io: CliIo): Promise<string[]> {
  const file = await readClusterFile({ env: io.env, cwd: io.cwd });
  return file ? [...file.clusters.map((entry) => entry.name), ALL_CLUSTERS] : [];
}

export function createCompleteCommand(deps: CompleteCommandDeps = {}): Command {
  return async (args, io) => {
    try {
      const kind = args[0] as DynamicKind;
      if (args.length !== 1 || !DYNAMIC_KINDS.includes(kind)) return ExitCode.ok;
      const lines =
        kind === 'clusters'
          ? await (deps.clusterNames ?? configuredClusterNames)(io)
          : await clusterLines(kind, io, deps.clock ?? systemClock, deps.createClient ?? createPveClient);
      const safe = lines.filter((line) => isSafeValue(line.split('\t', 1)[0]!));
      if (safe.length > 0) io.stdout.write(`${safe.join('\n')}\n`);
    } catch {
      // Completion stays silent: a shell prompt is no place for errors.
    }
    return ExitCode.ok;
  };
}

export const completeCommand: Command = createCompleteCommand();

async function clusterLines(
  kind: Exclude<DynamicKind, 'clusters'>,
  io: CliIo,
  clock: Clock,
  create: (options: PveClientOptions) => PveClient,
): Promise<string[]> {
  const targets = await defaultClusters(io);
  const stateDir = targets[0]!.config.stateDir;
  const cacheFile = join(stateDir, COMPLETION_CACHE_FILE);
  const keys = targets.map(({ config }) => `${config.endpoints.join(',')} ${userOf(config)}`);
  const fresh: Record<string, ClusterValues> = {};
  // Every cluster at once, each within the same 1.5 s; one that fails offers nothing, the others still do.
  const values = await Promise.all(
    targets.map(async ({ config }, index) => {
      const cached = readCache(cacheFile, keys[index]!, clock.now());
      if (cached) return cached;
      try {
        const read = await readCluster(create({ ...clientOptionsFor(config, clock), timeoutMs: COMPLETION_TIMEOUT_MS }), clock);
        fresh[keys[index]!] = read;
        return read;
      } catch {
        return undefined;
      }
    }),
  );
  if (Object.keys(fresh).length > 0) writeCache(stateDir, cacheFile, fresh, clock.now());
  const answered = targets.flatMap(({ name }, index) => (values[index] ? [{ name, values: values[index] }] : []));
  // Over several clusters a guest or a drained node is named with its cluster (`east:101`), as the commands take them.
  const qualify = (name: string, word: string) => (targets.length > 1 ? `${name}:${word}` : word);
  const union = (pick: (values: ClusterValues) => string[]) => [...new Set(answered.flatMap(({ values }) => pick(values)))].sort();
  switch (kind) {
    case 'vmids':
      return answered.flatMap(({ name, values }) =>
        values.vmids.map(([vmid, guest]) => `${qualify(name, String(vmid))}${guest ? `\t${guest}` : ''}`),
      );
    case 'nodes':
      return union((values) => values.nodes);
    case 'cluster-nodes':
      return answered.flatMap(({ name, values }) => values.nodes.map((node) => qualify(name, node)));
    case 'backup-storages':
      return union((values) => values.backupStorages);
  }
}

/**
 * The clusters a command would use without --cluster (the environment's, PVETASKS_CLUSTER's, the
 * configuration file's), all of them when the file has several. Nothing is printed: a prompt is no place.
 */
async function defaultClusters(io: CliIo): Promise<ClusterTarget[]> {
  const quiet = { ...io, stderr: new Writable({ write: (_chunk, _encoding, done) => done() }) };
  return (await loadClusters(quiet, [], {})).chosen('all');
}

/** `user@realm!tokenid` or `user@realm`: which view of the cluster the values are, without the secret. */
function userOf(config: ResolvedConfig): string {
  if (config.auth?.kind === 'token') return config.auth.token.slice(0, config.auth.token.indexOf('='));
  return config.auth?.kind === 'password' ? config.auth.username : '';
}

async function readCluster(client: PveClient, clock: Clock): Promise<ClusterValues> {
  const deadline = new AbortController();
  const timer = new AbortController();
  clock.sleep(COMPLETION_TIMEOUT_MS, timer.signal).then(
    () => deadline.abort(new Error('completion timed out')),
    () => {},
  );
  try {
    const answer = (async () => {
      // A token needs no login; a password does (one POST, as every command makes).
      if (client.auth === 'ticket') await client.ensureAuthenticated();
      return client.GET('/cluster/resources', { signal: deadline.signal });
    })();
    // Whatever it says after the deadline is not heard (closing the client ends it).
    answer.catch(() => {});
    const response = await Promise.race([
      answer,
      new Promise<never>((_, reject) => deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason), { once: true })),
    ]);
    return valuesOf(response.data as unknown[]);
  } finally {
    timer.abort();
    await client.close();
  }
}

function valuesOf(items: readonly unknown[]): ClusterValues {
  const vmids = new Map<number, string>();
  const nodes = new Set<string>();
  const backupStorages = new Set<string>();
  for (const raw of items) {
    const item = raw as Record<string, unknown>;
    if ((item.type === 'qemu' || item.type === 'lxc') && Number.isInteger(item.vmid)) {
      const name = typeof item.name === 'string' && SAFE_WORD.test(item.name) ? item.name : '';
      vmids.set(item.vmid as number, name);
    } else if (item.type === 'node' && typeof item.node === 'string') {
      nodes.add(item.node);
    } else if (
      item.type === 'storage' &&
      typeof item.storage === 'string' &&
      String(item.content ?? '')
        .split(',')
        .includes('backup')
    ) {
      backupStorages.add(item.storage);
    }
  }
  return {
    vmids: [...vmids].sort(([a], [b]) => a - b),
    nodes: [...nodes].sort(),
    backupStorages: [...backupStorages].sort(),
  };
}

function readCache(file: string, key: string, now: number): ClusterValues | undefined {
  try {
    if (!lstatSync(file).isFile()) return undefined;
    const cache = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
    const entry = cache.version === 1 ? cache.entries[key] : undefined;
    if (!entry || !(now - entry.at < COMPLETION_CACHE_MS && now >= entry.at)) return undefined;
    const { vmids, nodes, backupStorages } = entry.values;
    return Array.isArray(vmids) && Array.isArray(nodes) && Array.isArray(backupStorages) ? entry.values : undefined;
  } catch {
    return undefined;
  }
}

/** Best effort: no cache in a state dir that others may write to, or that is not ours. */
function writeCache(dir: string, file: string, fresh: Record<string, ClusterValues>, now: number): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = statSync(dir);
    if ((stat.mode & 0o022) !== 0 || (process.getuid && stat.uid !== process.getuid())) return;
    let entries: CacheFile['entries'] = {};
    try {
      if (lstatSync(file).isFile()) entries = (JSON.parse(readFileSync(file, 'utf8')) as CacheFile).entries ?? {};
    } catch {
      // none yet, or unreadable: start again
    }
    // Only fresh entries are worth keeping; the new ones replace their own.
    const kept = Object.fromEntries(Object.entries(entries).filter(([, entry]) => now - entry.at < COMPLETION_CACHE_MS));
    const added = Object.fromEntries(Object.entries(fresh).map(([key, values]) => [key, { at: now, values }]));
    const cache: CacheFile = { version: 1, entries: { ...kept, ...added } };
    // A new file (never through a link), renamed over the old one.
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(cache), { mode: 0o600, flag: 'wx' });
    renameSync(temporary, file);
  } catch {
    // A cache is an optimisation: completion works without it.
  }
}
