/**
 * `pvetasks tasks [--running] [--node NODE]... [--json] [--token-file PATH]`: lists the cluster's recent
 * tasks (/cluster/tasks), or one node's (/nodes/{node}/tasks, active ones first), as a plain table or one
 * JSON object per task. Exit 0 once listed, 2 on a usage or configuration error, 3 when the cluster cannot
 * be reached or refuses our credentials, 1 when the listing itself fails (a node that is offline).
 */
import type { PveClient, PveClientOptions } from '../../api/client.js';
import type { PveItem } from '../../api/types.js';
import { describeTask } from '../../tasks/describe.js';
import { classifyExitStatus, type ExitStatusClass } from '../../tasks/exit-status.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { formatElapsed } from '../../util/duration.js';
import { lastValue, parseCommandArgs, parseNodeArg } from '../args.js';
import { asCliError, connect, loadCommandConfig, reportingCliErrors, retryingPassingFailures } from '../connect.js';
import { ExitCode, type CliIo, type Command } from '../io.js';
import { formatTable, paint, shouldColor } from '../output.js';
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

type ClusterTask = PveItem<'/cluster/tasks'>;
type NodeTask = PveItem<'/nodes/{node}/tasks'>;

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
  const config = loadCommandConfig(io, secrets, { tokenFile: lastValue(values['token-file']) });

  const clock = deps.clock ?? systemClock;
  const client = await connect(config, clock, deps.createClient, io.signal);
  try {
    let items: TaskListItem[];
    try {
      // One read of the list: a passing 500 or a garbled answer is tried again before giving up.
      items = await retryingPassingFailures(clock, io.signal, () =>
        nodes.length > 0
          ? listNodeTasks(client, nodes, values.running === true, io)
          : listClusterTasks(client, values.running === true, io.signal),
      );
    } catch (error) {
      // Ctrl-C: the reason is the executable's own CliError (exit 130).
      if (io.signal.aborted) throw io.signal.reason;
      throw asCliError(error, 'cannot list tasks');
    }
    items.sort(byRunningThenNewest);
    if (values.json) {
      for (const item of items) io.stdout.write(JSON.stringify(item) + '\n');
    } else {
      writeTable(items, io, clock.now(), shouldColor(io.stdout, io.env, { noColor: values['no-color'] === true }));
    }
    if (items.length === 0) {
      io.stderr.write(values.running ? 'no running tasks\n' : 'no tasks\n');
      if (nodes.length === 0 && config.auth?.kind === 'token') {
        // pve-api-facts.md §2: /cluster/tasks shows a token only what Sys.Audit on / allows.
        io.stderr.write(
          'note: /cluster/tasks shows an API token none of its own tasks unless it has Sys.Audit on /; ' + 'try --node NODE\n',
        );
      }
    }
    return ExitCode.ok;
  } finally {
    await client.close();
  }
}

async function listClusterTasks(client: PveClient, runningOnly: boolean, signal: AbortSignal): Promise<TaskListItem[]> {
  const { data } = await client.GET('/cluster/tasks', { signal });
  // Running entries have no status (and a pid); finished ones carry status and endtime.
  return data.map(fromClusterTask).filter((item) => !runningOnly || item.running);
}

async function listNodeTasks(client: PveClient, nodes: string[], runningOnly: boolean, io: CliIo): Promise<TaskListItem[]> {
  const items: TaskListItem[] = [];
  for (const node of nodes) {
    const limit = runningOnly ? NODE_ACTIVE_LIMIT : NODE_TASK_LIMIT;
    const response = await client.GET('/nodes/{node}/tasks', {
      params: { path: { node }, query: { source: runningOnly ? 'active' : 'all', limit } },
      signal: io.signal,
    });
    const total = response.total ?? response.data.length;
    if (total > response.data.length) {
      io.stderr.write(`${node}: showing ${response.data.length} of ${total} tasks\n`);
    }
    items.push(...response.data.map(fromNodeTask).filter((item) => !runningOnly || item.running));
  }
  return items;
}

function fromClusterTask(task: ClusterTask): TaskListItem {
  const exitstatus = task.status ?? null;
  return item(task, exitstatus === null, exitstatus);
}

function fromNodeTask(task: NodeTask): TaskListItem {
  // Active rows say `RUNNING`, a string PVE uses nowhere else; finished ones carry the exit status.
  const running = task.status === 'RUNNING' || (task.status === undefined && task.endtime === undefined);
  return item(task, running, running ? null : (task.status ?? null));
}

function item(task: ClusterTask | NodeTask, running: boolean, exitstatus: string | null): TaskListItem {
  const bang = task.user.indexOf('!');
  // Rows of the active list keep `user@realm!tokenid` unsplit (pve-api-facts.md §2): split them too.
  const user = task.tokenid === undefined && bang >= 0 ? task.user.slice(0, bang) : task.user;
  const tokenid = task.tokenid ?? (bang >= 0 ? task.user.slice(bang + 1) : null);
  return {
    upid: task.upid,
    node: task.node,
    type: task.type,
    id: task.id,
    user,
    tokenid,
    starttime: Number(task.starttime),
    endtime: task.endtime === undefined ? null : Number(task.endtime),
    running,
    exitstatus,
    outcome: running ? 'running' : classifyExitStatus(exitstatus),
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

function writeTable(items: TaskListItem[], io: CliIo, nowMs: number, color: boolean): void {
  if (items.length === 0) return;
  const rows = items.map((item) => [
    localTime(item.starttime),
    item.node,
    item.description,
    item.tokenid ? `${item.user}!${item.tokenid}` : item.user,
    statusText(item, nowMs),
    item.upid,
  ]);
  const styleOf = (entry: TaskListItem) => (entry.outcome === 'ok' ? 'ok' : entry.outcome === 'warnings' ? 'warnings' : 'failed');
  const statusColumn = 4;
  // Colour the status cells only; the text says the same without it.
  io.stdout.write(
    formatTable(['STARTED', 'NODE', 'DESCRIPTION', 'USER', 'STATUS', 'UPID'], rows, (row, column, cell) => {
      const entry = items[row]!;
      if (!color || column !== statusColumn || entry.running) return cell;
      const text = cell.trimEnd();
      return paint(text, styleOf(entry), true) + cell.slice(text.length);
    }),
  );
}
