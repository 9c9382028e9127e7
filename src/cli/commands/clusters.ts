/**
 * `pvetasks clusters [--cluster NAME]... [--config FILE] [--json]`: the configured clusters (and the
 * environment's, when set), each checked at once: which endpoint answered, whether the credentials were
 * accepted, the PVE version (/version) and what the credentials may do (/access/permissions). A table
 * on stdout (bordered, by ink-table, on a colour UTF-8 terminal; plain columns otherwise, and always
 * when piped), or one JSON object per cluster; one line on stderr per cluster that failed. Exit 0 when
 * every cluster answered and accepted the credentials, 3 when one did not, 2 for a configuration error
 * (the others are checked all the same). No secret is printed: the user is `user@realm!tokenid`.
 */
import { createPveClient, PveApiError, type PveClient, type PveClientOptions } from '../../api/index.js';
import { readPermissions } from '../../tasks/answers.js';
import { holds } from '../../tasks/privileges.js';
import type * as BorderedTables from '../../ui/bordered-table.js';
import { formatTable } from '../../ui/plain-table.js';
import { createTheme, shouldUseAscii } from '../../ui/theme.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { colorEnabled } from '../../util/color.js';
import { jsonLine, sanitizeText } from '../../util/sanitize.js';
import { parseCommandArgs } from '../args.js';
import {
  clusterFlagsOf,
  closeClients,
  eachCluster,
  loadClusters,
  sessionClusterName,
  worstExitCode,
  type ClusterTarget,
} from '../clusters.js';
import { asCliError, clientOptionsFor, reportingCliErrors, retryingPassingFailures } from '../connect.js';
import { CliError, ExitCode, type CliIo, type Command } from '../io.js';
import { paint } from '../output.js';
import { COMMANDS } from '../command-table.js';
import { commandHelp } from '../help.js';

const OPTIONS = COMMANDS.clusters.options;

/** The privileges a summary tells, and where PVE checks each for what pvetasks does. */
export const CHECKED_PRIVILEGES = [
  ['Sys.Audit', '/'],
  ['VM.PowerMgmt', '/vms'],
  ['VM.Backup', '/vms'],
  ['VM.Snapshot', '/vms'],
  ['VM.Migrate', '/vms'],
] as const;
type Privilege = (typeof CHECKED_PRIVILEGES)[number][0];

/** One cluster's check, as `--json` prints it. */
export interface ClusterCheck {
  cluster: string;
  /** `config`: named in the configuration file; `environment`: PROXMOX_VE_ENDPOINT. */
  source: 'config' | 'environment';
  endpoints: string[];
  /** The endpoint that answered (null when none did). */
  endpoint: string | null;
  reachable: boolean;
  authenticated: boolean;
  /** `user@realm` or `user@realm!tokenid` (never the secret). */
  user: string | null;
  /** pve-manager's version, e.g. `9.0.3`. */
  version: string | null;
  status: 'ok' | 'unreachable' | 'credentials refused' | 'configuration error';
  /** Held or not; null when /access/permissions could not be read. */
  privileges: Record<Privilege, boolean> | null;
  /** Why the check failed, one line. */
  error: string | null;
}

export interface ClustersCommandDeps {
  clock?: Clock;
  createClient?: (options: PveClientOptions) => PveClient;
}

export function createClustersCommand(deps: ClustersCommandDeps = {}): Command {
  return (args, io) => {
    const secrets: string[] = [];
    return reportingCliErrors(io, secrets, () => runClusters(args, io, deps, secrets));
  };
}

export const clustersCommand: Command = createClustersCommand();

async function runClusters(args: string[], io: CliIo, deps: ClustersCommandDeps, secrets: string[]): Promise<number> {
  const { values } = parseCommandArgs('clusters', args, OPTIONS);
  if (values.help) {
    io.stdout.write(commandHelp('clusters'));
    return ExitCode.ok;
  }
  const clock = deps.clock ?? systemClock;
  const clusters = await loadClusters(io, secrets, clusterFlagsOf(values));
  // A configuration error in one entry (a token_env not set) is that cluster's row, not the end of the run.
  const listed = clusters.listed();
  const rows: Array<{ found: ClusterCheck; code: number } | ClusterTarget> = listed.map(({ name, configured }) => {
    try {
      return configured ? clusters.target(name) : clusters.environment();
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      // Its message already names the file, the line and the cluster.
      const endpoints = clusters.file?.clusters.find((entry) => entry.name === name)?.endpoints ?? [];
      const found = blank(configured ? name : '(environment)', configured ? 'config' : 'environment', endpoints);
      return { found: { ...found, status: 'configuration error', error: error.message }, code: error.exitCode };
    }
  });
  const targets = rows.filter((row): row is ClusterTarget => !('found' in row));
  const results = await eachCluster(targets, clock, io.signal, (target, signal) => check(target, clock, signal, deps.createClient));
  const checked = rows.map((row) => {
    if ('found' in row) return row;
    const result = results[targets.indexOf(row)]!;
    if ('value' in result) return result.value;
    // Only the deadline of several clusters ends a check without its own answer.
    const found: ClusterCheck = {
      ...blank(row.name, sourceOf(row), row.config.endpoints),
      status: 'unreachable',
      error: result.error.message,
    };
    return { found, code: result.error.exitCode };
  });

  if (values.json) for (const { found } of checked) io.stdout.write(jsonLine(found));
  else {
    const color = colorEnabled({ env: io.env, flag: values['no-color'] === true ? false : undefined, isTTY: io.stdout.isTTY });
    await writeTable(
      checked.map(({ found }) => found),
      io,
      color,
    );
  }
  for (const { found } of checked) {
    if (found.status === 'configuration error') io.stderr.write(`pvetasks: ${found.error}\n`);
    else if (found.error) io.stderr.write(`pvetasks: cluster ${found.cluster}: ${found.error}\n`);
  }
  return worstExitCode(checked.map(({ code }) => code));
}

const sourceOf = (target: ClusterTarget) => (target.configured ? 'config' : 'environment');

function blank(cluster: string, source: ClusterCheck['source'], endpoints: string[]): ClusterCheck {
  return {
    cluster,
    source,
    endpoints,
    status: 'unreachable',
    endpoint: null,
    reachable: false,
    authenticated: false,
    user: null,
    version: null,
    privileges: null,
    error: null,
  };
}

/** Logs in (or checks the token), then reads /version and /access/permissions; never throws for the cluster's sake. */
async function check(
  target: ClusterTarget,
  clock: Clock,
  signal: AbortSignal,
  create: (options: PveClientOptions) => PveClient = createPveClient,
): Promise<{ found: ClusterCheck; code: number }> {
  const found = blank(target.name, sourceOf(target), target.config.endpoints);
  let client: PveClient;
  try {
    client = create(clientOptionsFor(target.config, clock));
  } catch (error) {
    const failure = asCliError(error, 'configuration');
    return { found: { ...found, status: 'configuration error', error: failure.message }, code: failure.exitCode };
  }
  try {
    try {
      await retryingPassingFailures(clock, signal, () => client.ensureAuthenticated());
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      // A refused login was an answer: the cluster is there, the credentials are not accepted.
      const refused = error instanceof PveApiError && error.kind === 'auth';
      const failure = asCliError(error, `cannot connect to ${target.config.endpoints.join(', ')}`);
      const status = refused ? 'credentials refused' : 'unreachable';
      const endpoint = refused && error.endpoint ? error.endpoint : null;
      return { found: { ...found, status, reachable: refused, endpoint, error: failure.message }, code: ExitCode.connect };
    }
    const name = target.configured ? target.name : await sessionClusterName({ ...target, client }, clock, signal);
    const quietly = <T>(read: () => Promise<T>) => retryingPassingFailures(clock, signal, read).catch(() => undefined);
    const version = await quietly(() => readVersion(client, signal));
    const permissions = await quietly(() => readPermissions(client, { signal }));
    const privileges = permissions
      ? (Object.fromEntries(CHECKED_PRIVILEGES.map(([privilege, path]) => [privilege, holds(permissions, path, privilege)])) as Record<
          Privilege,
          boolean
        >)
      : null;
    return {
      found: {
        ...found,
        cluster: name,
        status: 'ok',
        endpoint: client.endpoint,
        reachable: true,
        authenticated: true,
        user: client.userid,
        version: version ?? null,
        privileges,
      },
      code: ExitCode.ok,
    };
  } finally {
    await closeClients([client]);
  }
}

/** `GET /version`: pve-manager's version; undefined when the answer does not hold one we may print. */
async function readVersion(client: PveClient, signal: AbortSignal): Promise<string | undefined> {
  const response = await client.GET('/version', { signal });
  const version = (response.data as { version?: unknown } | undefined)?.version;
  return typeof version === 'string' && /^[0-9][0-9A-Za-z.+~-]{0,31}$/.test(version) ? version : undefined;
}

function privilegesText(found: ClusterCheck): string {
  if (!found.authenticated) return '';
  if (!found.privileges) return 'unknown';
  const missing = CHECKED_PRIVILEGES.map(([privilege]) => privilege).filter((privilege) => !found.privileges![privilege]);
  return missing.length === 0 ? 'all' : `missing ${missing.join(', ')}`;
}

const HEADINGS = ['CLUSTER', 'ENDPOINT', 'STATUS', 'VERSION', 'USER', 'PRIVILEGES'];
const STATUS_COLUMN = 2;
/** Cut first, and no shorter than this, when a bordered table is too wide: the privileges, the endpoint, the user. */
const CUTS: ReadonlyArray<readonly [column: number, least: number]> = [
  [5, 10],
  [1, 16],
  [4, 12],
];

async function writeTable(checks: ClusterCheck[], io: CliIo, color: boolean): Promise<void> {
  const rows = checks.map((found) => [
    found.cluster,
    found.endpoint ?? found.endpoints[0] ?? '-',
    found.status,
    found.version ?? '',
    found.user ?? '',
    privilegesText(found),
  ]);
  // Borders on a terminal that shows them and where colour is wanted; what a script reads stays plain.
  const bordered =
    io.stdout.isTTY === true && color && !shouldUseAscii(io.env) ? await borderedTable(rows, io.stdout.columns ?? 80) : undefined;
  if (bordered !== undefined) {
    io.stdout.write(`${bordered}\n`);
    return;
  }
  io.stdout.write(
    formatTable(HEADINGS, rows, (row, column, cell) => {
      if (!color || column !== STATUS_COLUMN) return cell;
      const text = cell.trimEnd();
      return paint(sanitizeText(text), checks[row]!.authenticated ? 'ok' : 'failed', true) + cell.slice(text.length);
    }),
  );
}

let borderedTables: Promise<typeof BorderedTables> | undefined;

/** ink-table and Ink, imported on first use and kept (each import() would be asked of the module loader again). */
export function loadBorderedTables(): Promise<typeof BorderedTables> {
  return (borderedTables ??= import('../../ui/bordered-table.js'));
}

/** The listing drawn by ink-table (Ink is loaded here, for this alone), or undefined when it cannot fit `columns`. */
async function borderedTable(rows: string[][], columns: number): Promise<string | undefined> {
  const { borderedWidth, naturalWidth, renderBorderedTable } = await loadBorderedTables();
  const cellsIn = (column: number) => rows.map((row) => row[column]!);
  const widths = HEADINGS.map((heading, i) => naturalWidth(heading, cellsIn(i)));
  for (const [column, least] of CUTS) {
    const over = borderedWidth(widths) - columns;
    if (over <= 0) break;
    widths[column] = Math.max(Math.min(least, widths[column]!), widths[column]! - over);
  }
  if (borderedWidth(widths) > columns) return undefined;
  const theme = createTheme({ color: true, ascii: false });
  // Only a cluster that answered and accepted the credentials is `ok`.
  const tone = (column: number, text: string) => (column === STATUS_COLUMN ? theme.colorOf(text === 'ok' ? 'ok' : 'failed') : undefined);
  return renderBorderedTable(
    HEADINGS.map((heading, i) => ({ heading, width: widths[i]! })),
    rows,
    { color: true, ellipsis: theme.ellipsis, tone },
  );
}
