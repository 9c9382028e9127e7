/**
 * `pvetasks tasks [--running] [--node NODE]... [--json] [--cluster NAME]...`: lists the cluster's recent
 * tasks (/cluster/tasks), or one node's (/nodes/{node}/tasks, active ones first), as a plain table or one
 * JSON object per task; with several clusters, all of theirs with a CLUSTER column. Exit 0 once listed,
 * 2 on a usage or configuration error, 3 when a cluster cannot be reached or refuses our credentials, 1
 * when a listing itself fails (a node that is offline); with several clusters the worst, the others
 * listed all the same.
 */
import type { PveClient, PveClientOptions } from '../../api/client.js';
import { PveApiError } from '../../api/errors.js';
import { readClusterTasks, readNodes, readNodeTasks, readPermissions, type ListedTask } from '../../tasks/answers.js';
import { describeTask } from '../../tasks/describe.js';
import { classifyExitStatus, type ExitStatusClass } from '../../tasks/exit-status.js';
import { seesClusterTasks } from '../../tasks/privileges.js';
import { formatTable } from '../../ui/plain-table.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { colorEnabled } from '../../util/color.js';
import { formatElapsed } from '../../util/duration.js';
import { jsonLine } from '../../util/sanitize.js';
import { parseCommandArgs, parseNodeArg } from '../args.js';
import {
  clusterFlagsOf,
  closeClients,
  connectEach,
  failed,
  loadClusters,
  namesClusters,
  reached,
  reportClusterFailure,
  worstExitCode,
} from '../clusters.js';
import { asCliError, reportingCliErrors, retryingPassingFailures } from '../connect.js';
import { CliError, ExitCode, type CliIo, type Command } from '../io.js';
import { paint } from '../output.js';
import { COMMANDS } from '../command-table.js';
import { commandHelp } from '../help.js';

export const TASKS_HELP = commandHelp('tasks');
const OPTIONS = COMMANDS.tasks.options;

/** Finished tasks asked per node: PVE's default page, stated explicitly (and `total` checked). */
export const NODE_TASK_LIMIT = 50;
/** Running tasks per node: more than this would be a cluster in trouble; `total` says so anyway. */
const NODE_ACTIVE_LIMIT = 500;

/** One task in the output, the same whichever list it came from. */
export interface TaskListItem {
  /** Its cluster's name, when the listing names clusters (several, or a configured one). */
  cluster?: string;
  upid: string;
  node: string;
  type: string;
  id: string;
  /** `user@realm`; with an API token, the token id is in `tokenid`. */
  user: string;
  tokenid: string | null;
  /** Epoch seconds. */
  starttime: number;
  endtime: number | null;
  running: boolean;
  /** PVE's exit status once finished (`OK`, `WARNINGS: N`, the error). */
  exitstatus: string | null;
  /** `running`, or the exit status's class. */
  outcome: 'running' | ExitStatusClass;
  /** As the PVE web UI words it: `VM 100 - Start`. */
  description: string;
}

export interface TasksCommandDeps {
  /** Injected by tests (a ManualClock shared with the simulator). */
  clock?: Clock;
  createClient?: (options: PveClientOptions) => PveClient;
}

export function createTasksCommand(deps: TasksCommandDeps = {}): Command {
  return (args, io) => {
    const secrets: string[] = [];
    return reportingCliErrors(io, secrets, () => runTasks(args, io, deps, secrets));
  };
}

export const tasksCommand: Command = createTasksCommand();

async function runTasks(args: string[], io: CliIo, deps: TasksCommandDeps, secrets: string[]): Promise<number> {
  const { values } = parseCommandArgs('tasks', args, OPTIONS);
  if (values.help) {
    io.stdout.write(TASKS_HELP);
    return ExitCode.ok;
  }
  const nodes = [...new Set((values.node ?? []).map((node) => parseNodeArg('--node', node)))];
  const clusters = await loadClusters(io, secrets, clusterFlagsOf(values));
  const targets = clusters.chosen('error');
  const named = namesClusters(targets);
  const running = values.running === true;

  const clock = deps.clock ?? systemClock;
  const results = await connectEach(
    targets,
    clock,
    io.signal,
    async (cluster, signal) => {
      const prefix = named ? `cluster ${cluster.name}: ` : '';
      const clusterIo = { stderr: { write: (line: string) => io.stderr.write(prefix + line) }, signal };
      try {
        // With several clusters, --node names the nodes of whichever cluster has them.
        const asked =
          nodes.length > 0 && targets.length > 1
            ? await retryingPassingFailures(clock, signal, () => nodesIn(cluster.client, nodes, signal))
            : nodes;
        if (nodes.length > 0 && asked.length === 0) return { items: [], asked };
        // One read of the list: a passing 500 or a garbled answer is tried again before giving up.
        const items = await retryingPassingFailures(clock, signal, () =>
          asked.length > 0
            ? listNodeTasks(cluster.client, asked, running, clusterIo)
            : listClusterTasks(cluster.client, running, clusterIo),
        );
        return { items: named ? items.map((item) => ({ cluster: cluster.name, ...item })) : items, asked };
      } catch (error) {
        // Ctrl-C: the reason is the executable's own CliError (exit 130).
        if (signal.aborted) throw signal.reason;
        throw asCliError(error, 'cannot list tasks');
      }
    },
    deps.createClient,
  );
  await closeClients(reached(results).map((result) => result.value.cluster.client));
  const listed = reached(results).map((result) => result.value.value);
  const unknownNodes = nodes.filter((node) => !listed.some(({ asked }) => asked.includes(node)));
  if (unknownNodes.length > 0 && failed(results).length === 0) {
    throw new CliError(`--node ${unknownNodes.join(', ')}: in none of the clusters ${targets.map((target) => target.name).join(', ')}`);
  }
  for (const failure of failed(results)) reportClusterFailure(io, failure);
  const items = listed.flatMap(({ items }) => items);
  items.sort(byRunningThenNewest);
  if (values.json) {
    for (const item of items) io.stdout.write(jsonLine(item));
  } else {
    const color = colorEnabled({ env: io.env, flag: values['no-color'] === true ? false : undefined, isTTY: io.stdout.isTTY });
    writeTable(items, io, clock.now(), color, named);
  }
  if (items.length === 0) io.stderr.write(running ? 'no running tasks\n' : 'no tasks\n');
  return worstExitCode(failed(results).map((failure) => failure.error.exitCode));
}

/** Those of `nodes` the cluster has. */
async function nodesIn(client: PveClient, nodes: readonly string[], signal: AbortSignal): Promise<string[]> {
  const known = new Set((await readNodes(client, { signal })).items.map((item) => item.node));
  return nodes.filter((node) => known.has(node));
}

/**
 * The cluster's tasks. With Sys.Audit on `/`, `/cluster/tasks`; without it that list shows an API token
 * none of its own tasks (pve-api-facts.md §2), so each online node's own list is read instead, as the
 * board does.
 */
/** Where a cluster's listing writes its notes, and its signal. */
type ListIo = Pick<CliIo, 'signal'> & { stderr: { write(text: string): unknown } };

async function listClusterTasks(client: PveClient, runningOnly: boolean, io: ListIo): Promise<TaskListItem[]> {
  const init = { signal: io.signal };
  // Privileges unknown (an old PVE, an answer that says nothing): /cluster/tasks, as before.
  const permissions = await readPermissions(client, init).catch(() => undefined);
  if (permissions && !seesClusterTasks(permissions)) {
    const nodes = await readNodes(client, init);
    warnMalformed(io, '/nodes', nodes);
    return listNodeTasks(
      client,
      nodes.items.filter((node) => node.online).map((node) => node.node),
      runningOnly,
      io,
    );
  }
  const listing = await readClusterTasks(client, init);
  warnMalformed(io, '/cluster/tasks', listing);
  return listing.items.map(toListItem).filter((item) => !runningOnly || item.running);
}

async function listNodeTasks(client: PveClient, nodes: string[], runningOnly: boolean, io: ListIo): Promise<TaskListItem[]> {
  const items: TaskListItem[] = [];
  for (const node of nodes) {
    const limit = runningOnly ? NODE_ACTIVE_LIMIT : NODE_TASK_LIMIT;
    const page = await readNodeTasks(client, node, { source: runningOnly ? 'active' : 'all', limit }, { signal: io.signal });
    warnMalformed(io, `/nodes/${node}/tasks`, page);
    if (page.total > page.received) io.stderr.write(`${node}: showing ${page.received} of ${page.total} tasks\n`);
    items.push(...page.items.map(toListItem).filter((item) => !runningOnly || item.running));
  }
  return items;
}

/**
 * Says how many items of a list were skipped for their shape; an answer that is not a list at all is a
 * protocol error instead (tried again, then one line and exit 1): there is nothing to list.
 */
function warnMalformed(io: ListIo, path: string, checked: { malformed: number; notAList?: true }): void {
  if (checked.notAList)
    throw new PveApiError({ kind: 'protocol', method: 'GET', path, message: `unexpected answer from ${path}: not a list` });
  const count = checked.malformed;
  if (count > 0) io.stderr.write(`${count} malformed item${count === 1 ? '' : 's'} in ${path} ignored\n`);
}

function toListItem(task: ListedTask): TaskListItem {
  const exitstatus = task.running ? null : (task.status ?? 'unexpected status');
  return {
    upid: task.upid,
    node: task.node,
    type: task.type,
    id: task.id,
    user: task.user,
    tokenid: task.tokenid ?? null,
    starttime: task.starttime,
    endtime: task.endtime ?? null,
    running: task.running,
    exitstatus,
    outcome: task.running ? 'running' : classifyExitStatus(exitstatus),
    description: describeTask(task.type, task.id),
  };
}

function byRunningThenNewest(a: TaskListItem, b: TaskListItem): number {
  if (a.running !== b.running) return a.running ? -1 : 1;
  return b.starttime - a.starttime || a.upid.localeCompare(b.upid);
}

const pad2 = (n: number) => String(n).padStart(2, '0');

function localTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

function statusText(item: TaskListItem, nowMs: number): string {
  if (item.running) return `running ${formatElapsed(nowMs - item.starttime * 1000)}`;
  if (item.outcome === 'ok' || item.outcome === 'warnings') return item.exitstatus!;
  if (item.outcome === 'unknown') return `UNKNOWN${item.exitstatus ? `: ${item.exitstatus}` : ''}`;
  return `ERROR: ${item.exitstatus}`;
}

function writeTable(items: TaskListItem[], io: CliIo, nowMs: number, color: boolean, clusterColumn: boolean): void {
  if (items.length === 0) return;
  const rows = items.map((item) => [
    ...(clusterColumn ? [item.cluster ?? ''] : []),
    localTime(item.starttime),
    item.node,
    item.description,
    item.tokenid ? `${item.user}!${item.tokenid}` : item.user,
    statusText(item, nowMs),
    item.upid,
  ]);
  const styleOf = (entry: TaskListItem) => (entry.outcome === 'ok' ? 'ok' : entry.outcome === 'warnings' ? 'warnings' : 'failed');
  const headers = ['STARTED', 'NODE', 'DESCRIPTION', 'USER', 'STATUS', 'UPID'];
  const statusColumn = clusterColumn ? 5 : 4;
  // Colour the status cells only; the text says the same without it.
  io.stdout.write(
    formatTable(clusterColumn ? ['CLUSTER', ...headers] : headers, rows, (row, column, cell) => {
      const entry = items[row]!;
      if (!color || column !== statusColumn || entry.running) return cell;
      const text = cell.trimEnd();
      return paint(text, styleOf(entry), true) + cell.slice(text.length);
    }),
  );
}
