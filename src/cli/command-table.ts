/**
 * The command line in one table: every command with its operands, options, help text and examples.
 * It drives parsing (each command passes its `options` to parseCommandArgs), `--help` (help.ts) and
 * the shell completion scripts (completion-scripts.ts), so none of them can disagree.
 *
 * Adding an option: one entry in the command's `options` (or in a shared group below, e.g. CONNECTION,
 * to add it to every command that talks to a cluster), then read it in the
 * command's body. Adding a command: one entry in COMMANDS with a `load` that imports its module, which
 * takes its options from here (`COMMANDS.name.options`) and its help from `commandHelp('name')`; a
 * launch like `shutdown` is `launchCommand({...})` and inherits the launch options.
 *
 * This module is in the bundle's entry piece (`--help` and `completion` read it): it imports no command.
 */
import { FAULT_HELP } from '../sim/faults.js';
import { DYNAMIC_KINDS, type CommandSpec, type Example, type OperandSpec, type OptionTable } from './command-spec.js';
import type { Command } from './io.js';
import { MAINTENANCE } from './maintenance-commands.js';

export {
  DYNAMIC_KINDS,
  type CommandSpec,
  type DynamicKind,
  type Example,
  type OperandSpec,
  type OptionSpec,
  type OptionTable,
  type ValueKind,
} from './command-spec.js';

// Option groups shared by several commands: an option added to a group reaches all of them.
const HELP = { help: { type: 'boolean', short: 'h', help: 'this help' } } as const;
const NO_COLOR = { 'no-color': { type: 'boolean', help: 'no colour (also NO_COLOR=1)' } } as const;
const JSON_EVENTS = {
  json: { type: 'boolean', help: 'JSON lines on stdout: started, finished, summary' },
} as const;
const INTERVAL = { interval: { type: 'string', arg: 'DURATION', help: 'poll interval (default 2s, or PVETASKS_INTERVAL)' } } as const;
const PARALLEL = {
  parallel: { type: 'string', arg: 'N', help: 'launch slots for the cluster (default 4), each held until its task ends' },
} as const;
const LAUNCH_LIMITS = {
  ...PARALLEL,
  'per-node': { type: 'string', arg: 'N', help: "launch slots per node (default 4, PVE's own max_workers)" },
  'no-skip': {
    type: 'boolean',
    help: 'send to guests that would be skipped (already in the wanted state, a template, a task in flight, node offline)',
  },
} as const;
/** A report of the run's tasks for a change ticket, written when the run ends. */
const REPORT = {
  report: {
    type: 'string',
    arg: 'FILE',
    complete: 'file',
    help: 'at the end, write the tasks to FILE for a change ticket: Markdown (.md) or JSON (.json), by its extension',
  },
} as const;
const TOKEN_FILE = {
  'token-file': { type: 'string', arg: 'PATH', complete: 'file', help: 'read the API token from the first line of PATH' },
} as const;
/** How a command reaches its clusters (secrets never go on the command line). */
const CONNECTION = {
  cluster: { type: 'string', arg: 'NAME', multiple: true, complete: 'clusters', help: 'a configured cluster (repeatable, or all)' },
  config: { type: 'string', arg: 'FILE', complete: 'file', help: 'named clusters (default ~/.config/pvetasks/config.yaml)' },
  ...TOKEN_FILE,
} as const;

function timeout(help: string) {
  return { timeout: { type: 'string', arg: 'DURATION', help } } as const;
}

export const CONFIGURATION =
  'Configuration: PROXMOX_VE_ENDPOINT, PROXMOX_VE_API_TOKEN (or PROXMOX_VE_USERNAME and PROXMOX_VE_PASSWORD), ' +
  'PROXMOX_VE_FINGERPRINT, PROXMOX_VE_INSECURE, PVETASKS_INTERVAL, PVETASKS_STATE_DIR, from the environment or .env.';
const CLUSTERS_NOTE =
  'Several clusters: name them in ~/.config/pvetasks/config.yaml (or --config FILE) and choose with --cluster NAME ' +
  '(repeatable, or all) or PVETASKS_CLUSTER; without either, the cluster of PROXMOX_VE_ENDPOINT, else the only configured one.';
const WAIT_EXIT_CODES =
  'Exit codes: 0 every target ended OK or with warnings, 1 one failed or ended unknown, 124 one timed out, ' +
  '2 usage or configuration error (nothing started), 3 cannot connect or authenticate, 130 interrupted.';

/** A command that launches tasks on guests and follows them: start, backup, snapshot, shutdown, stop, reboot, migrate, drain. */
function launchCommand<const O extends OptionTable = Record<never, never>>(spec: {
  summary: string;
  operands?: OperandSpec;
  description: string;
  timeoutHelp: string;
  options?: O;
  examples: readonly Example[];
  /** Replaces the shared notes (configuration, exit codes). */
  notes?: string;
  load: () => Promise<Command>;
}) {
  const { timeoutHelp, options, ...rest } = spec;
  return {
    operands: { usage: '<[CLUSTER:][NODE:]VMID>...', complete: 'vmids' },
    notes: `${CONFIGURATION}\n${CLUSTERS_NOTE} A guest written CLUSTER:VMID or CLUSTER:NODE:VMID is in that cluster.\n${WAIT_EXIT_CODES}`,
    ...rest,
    options: {
      ...(options as O),
      ...timeout(timeoutHelp),
      ...LAUNCH_LIMITS,
      ...INTERVAL,
      ...JSON_EVENTS,
      ...REPORT,
      ...CONNECTION,
      ...NO_COLOR,
      ...HELP,
    },
  } as const;
}

const load = {
  board: async (): Promise<Command> => (await import('./commands/board.js')).boardCommand,
  launch: async () => import('./commands/launch.js'),
};

export const COMMANDS = {
  board: {
    summary: 'the live board (also what pvetasks alone runs)',
    description:
      'The live board: every task of this session (mine) or of the cluster, updated as it runs; start, back up ' +
      "and snapshot marked guests; Enter shows a task's log. Press ? on the board for its keys.",
    options: {
      demo: { type: 'boolean', help: 'the embedded demo cluster, whatever is configured' },
      ...INTERVAL,
      ascii: { type: 'boolean', help: 'ASCII glyphs only (automatic without a UTF-8 locale)' },
      'read-only': { type: 'boolean', help: 'no action keys: watch only' },
      fresh: { type: 'boolean', help: 'start with an empty session (its tasks keep running)' },
      ...LAUNCH_LIMITS,
      ...timeout(
        'deadline of every task the board launches or watches, instead of the defaults by type (start 2m, snapshot 5m, ' +
          'backup 2h, migrate 1h, else 30m); a timed-out task stays watched',
      ),
      watch: {
        type: 'string',
        arg: 'UPID',
        multiple: true,
        help: 'watch tasks started elsewhere, as if launched here (repeatable; UPIDs after it count too); a at the board adds one',
      },
      osc52: {
        type: 'boolean',
        help: "y copies a task's UPID to the clipboard through the terminal (OSC 52; also PVETASKS_OSC52=1); off by default",
      },
      ...REPORT,
      ...CONNECTION,
      ...NO_COLOR,
      ...HELP,
    },
    examples: [
      ['watch the cluster of PROXMOX_VE_ENDPOINT (the demo cluster when none is set)', 'pvetasks'],
      ['rehearse on the embedded demo cluster, watching only', 'pvetasks --demo --read-only'],
      [
        'follow a task started from the web UI, with the tasks of this session',
        'pvetasks --watch UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:',
      ],
      ['at most 2 launches per node at once; give up on any task after 10 minutes', 'pvetasks --per-node 2 --timeout 10m'],
      ["when you quit, write the session's tasks for the change ticket", 'pvetasks --report change-4711.md'],
    ],
    notes: `${CONFIGURATION}\n${CLUSTERS_NOTE} With several configured and none chosen, the board watches them all.\nWithout a configured endpoint the board shows the demo clusters, marked DEMO.`,
    load: load.board,
  },
  wait: {
    summary: 'wait for tasks and report their outcomes',
    operands: { usage: '<UPID>...' },
    description:
      "Wait for tasks to end and report each one's outcome. A UPID is what PVE answers to an action, e.g. " +
      'UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:',
    options: {
      ...timeout(
        'give up waiting after this long (the task keeps running on the server); by task type: start/stop 2m, ' +
          'snapshot 5m, backup 2h, migrate 1h, else 30m',
      ),
      ...INTERVAL,
      ...JSON_EVENTS,
      ...REPORT,
      ...CONNECTION,
      ...NO_COLOR,
      ...HELP,
    },
    examples: [
      ['wait for one task; exit 0 when it ended OK', 'pvetasks wait UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:'],
      ['wait for every UPID in a file, at most ten minutes each', 'pvetasks wait $(cat upids.txt) --timeout 10m --json'],
    ],
    notes:
      `${CONFIGURATION}\n${CLUSTERS_NOTE} With several configured and none chosen, each UPID is looked for in every ` +
      `configured cluster by its node's name.\n${WAIT_EXIT_CODES}`,
    load: async (): Promise<Command> => (await import('./commands/wait.js')).waitCommand,
  },
  start: launchCommand({
    summary: 'start guests and wait until each runs',
    description:
      'Start guests (qemu and lxc) and wait until each runs. An HA-managed guest counts as started once the ' +
      'HA stack has it running. A VMID alone is found on its node through /cluster/resources. A guest already ' +
      'running, a template, a guest with a task in flight or on an offline node is skipped, with the reason; one ' +
      'the credentials may not start is refused, naming the privilege.',
    timeoutHelp: 'stop waiting for a task after this long (default 2m; it keeps running on the server)',
    examples: [
      ['start three guests, one of them named with its node, with JSON events', 'pvetasks start 101 102 pve2:203 --json'],
      ['start a guest of each of two configured clusters', 'pvetasks start east:101 west:pve3:101'],
    ],
    load: async (): Promise<Command> => (await load.launch()).startCommand,
  }),
  backup: launchCommand({
    summary: 'back up guests (one vzdump per node) and wait',
    description:
      'Back up guests: one vzdump task per node (a "Backup Job" when it holds several guests), with per-guest ' +
      'results read from its log.',
    timeoutHelp: 'stop waiting for a task after this long (default 2h; it keeps running on the server)',
    options: {
      storage: {
        type: 'string',
        arg: 'ID',
        complete: 'backup-storages',
        required: true,
        help: "a storage that takes backups on the guests' nodes",
      },
      mode: { type: 'string', arg: 'MODE', choices: ['snapshot', 'suspend', 'stop'], help: 'snapshot (default), suspend or stop' },
      compress: { type: 'string', arg: 'ALGO', choices: ['zstd', 'lzo', 'gzip', '0'], help: 'zstd (default), lzo, gzip or 0' },
    },
    examples: [
      ['back up two guests to the storage "backup", stopping them meanwhile', 'pvetasks backup 101 102 --storage backup --mode stop'],
    ],
    load: async (): Promise<Command> => (await load.launch()).backupCommand,
  }),
  snapshot: launchCommand({
    summary: 'snapshot guests and check the snapshots exist',
    description: "Snapshot guests, then check that each snapshot is in the guest's snapshot list.",
    timeoutHelp: 'stop waiting for a task after this long (default 5m; it keeps running on the server)',
    options: {
      name: {
        type: 'string',
        arg: 'SNAPNAME',
        required: true,
        help: 'letters, digits, - and _, starting with a letter, 2 to 40 characters',
      },
      description: { type: 'string', arg: 'TEXT', help: 'a description for the snapshots' },
      vmstate: { type: 'boolean', help: 'include the RAM of running VMs' },
    },
    examples: [['snapshot two guests before an upgrade', 'pvetasks snapshot 101 102 --name pre-upgrade --description "before apt"']],
    load: async (): Promise<Command> => (await load.launch()).snapshotCommand,
  }),
  shutdown: launchCommand({ ...MAINTENANCE.shutdown, load: async (): Promise<Command> => (await load.launch()).shutdownCommand }),
  stop: launchCommand({ ...MAINTENANCE.stop, load: async (): Promise<Command> => (await load.launch()).stopCommand }),
  reboot: launchCommand({ ...MAINTENANCE.reboot, load: async (): Promise<Command> => (await load.launch()).rebootCommand }),
  migrate: launchCommand({ ...MAINTENANCE.migrate, load: async (): Promise<Command> => (await load.launch()).migrateCommand }),
  drain: launchCommand({
    ...MAINTENANCE.drain,
    notes: `${CONFIGURATION}\n${WAIT_EXIT_CODES} Without a terminal and without --yes, drain prints its plan and exits 2.`,
    load: async (): Promise<Command> => (await import('./commands/drain.js')).drainCommand,
  }),
  tasks: {
    summary: "list the cluster's recent tasks",
    description:
      "List recent tasks: the cluster's (what /cluster/tasks shows: every node's running tasks and its newest " +
      'finished ones), or with --node the tasks of that node (running first, then the newest 50 finished). ' +
      'Credentials without Sys.Audit on / cannot read /cluster/tasks: then each node is asked, and the list ' +
      'holds the tasks they may see (their own, and those on guests they may audit).',
    options: {
      running: { type: 'boolean', help: 'only tasks still running' },
      node: { type: 'string', arg: 'NODE', multiple: true, complete: 'nodes', help: "ask this node's own task list (repeatable)" },
      json: { type: 'boolean', help: 'one JSON object per task on stdout' },
      ...CONNECTION,
      ...NO_COLOR,
      ...HELP,
    },
    examples: [
      ['the running tasks of node pve1, as JSON', 'pvetasks tasks --running --node pve1 --json'],
      ['the running tasks of every configured cluster, with a CLUSTER column', 'pvetasks tasks --running --cluster all'],
    ],
    notes:
      `${CONFIGURATION}\n${CLUSTERS_NOTE}\n` +
      'Exit codes: 0 listed, 1 the list could not be read, 2 usage or configuration error, 3 cannot connect or authenticate ' +
      '(with several clusters: the worst of them, the others listed all the same).',
    load: async (): Promise<Command> => (await import('./commands/tasks.js')).tasksCommand,
  },
  clusters: {
    summary: 'list the configured clusters and check each',
    description:
      'List the clusters of the configuration file (and the one of PROXMOX_VE_ENDPOINT, when set) and check them all ' +
      'at once: the endpoint that answered, whether the credentials were accepted, the PVE version, and what the ' +
      'credentials may do (Sys.Audit on /; VM.PowerMgmt, VM.Backup, VM.Snapshot and VM.Migrate on /vms).',
    options: {
      json: { type: 'boolean', help: 'one JSON object per cluster on stdout' },
      ...CONNECTION,
      ...NO_COLOR,
      ...HELP,
    },
    examples: [
      ['check every configured cluster', 'pvetasks clusters'],
      ['check one, as JSON', 'pvetasks clusters --cluster east --json'],
    ],
    notes:
      `${CLUSTERS_NOTE}\n` +
      'Exit codes: 0 every cluster answered and accepted the credentials, 2 a configuration error, 3 a cluster could not ' +
      'be reached or refused the credentials (the others are checked all the same). No secret is ever printed.',
    load: async (): Promise<Command> => (await import('./commands/clusters.js')).clustersCommand,
  },
  sim: {
    summary: 'run the embedded Proxmox VE simulator',
    description:
      'Run a simulated Proxmox VE cluster: every node serves the API on its own port (--port, --port+1, ...), ' +
      'all sharing one state. It prints the URLs, an API token, a user and password for ticket login and a ' +
      'ready curl line, then runs until Ctrl-C.',
    options: {
      port: { type: 'string', arg: 'N', help: "first node's port (default 8006; 0 picks free ports)" },
      host: { type: 'string', arg: 'ADDRESS', help: 'address to listen on (default 127.0.0.1)' },
      tls: { type: 'boolean', help: 'HTTPS with the embedded demo certificate (prints its SHA-256 fingerprint)' },
      nodes: { type: 'string', arg: 'N', help: 'nodes per cluster, pve1..pveN (default 3)' },
      guests: { type: 'string', arg: 'N', help: 'guests per cluster (default 40, at least 18)' },
      seed: { type: 'string', arg: 'N', help: 'same seed, same cluster and task timings (default 1)' },
      speed: { type: 'string', arg: 'X', help: 'task durations are divided by X (default 1)' },
      background: { type: 'boolean', help: 'tasks by other users appear over time, as on a busy cluster' },
      fault: { type: 'string', arg: 'SPEC', multiple: true, help: 'inject a fault (repeatable, every cluster), see below' },
      'pve-version': {
        type: 'string',
        arg: 'V',
        choices: ['9', '8'],
        help: 'the PVE major to speak, 8 or 9 (default 9): version, log formats, endpoints; with --clusters, a comma list is used in turn (e.g. 9,8)',
      },
      clusters: {
        type: 'string',
        arg: 'N',
        help:
          'run N independent clusters (default 1, at most 8): alpha, bravo, charlie, ..., nodes alpha-pve1.., each with ' +
          'its own ports (--port + i * --nodes), token and guests; VMIDs start at 100, 120, 140, ... so neighbours share some',
      },
      'token-privileges': {
        type: 'string',
        arg: 'P',
        choices: ['admin', 'ops', 'noaudit'],
        help:
          'what the API token may do: admin (default), ops (VM.Audit, VM.PowerMgmt, VM.Backup, VM.Snapshot, VM.Migrate ' +
          'on /vms, the backup storages, no Sys.Audit; the token is ops@pve!pvetasks), noaudit (everything but Sys.*)',
      },
      json: {
        type: 'boolean',
        help: 'print one JSON object per cluster, one per line, instead: {cluster, pveVersion, nodes, url, urls, token, username, password, fingerprint}',
      },
      ...HELP,
    },
    examples: [
      ['a busy cluster over HTTPS, tasks ten times faster', 'pvetasks sim --tls --speed 10 --background'],
      ['a node that stops answering, another one slow', 'pvetasks sim --fault offline=pve2:timeout --fault latency=300@pve1'],
      [
        'three clusters, one speaking PVE 8, with a least-privilege token',
        'pvetasks sim --clusters 3 --pve-version 9,8 --token-privileges ops',
      ],
    ],
    notes:
      'PVETASKS_SIM_TOKEN=USER@REALM!TOKENID=SECRET chooses the API token (default: a random one for root@pam!pvetasks), for every cluster.\n\n' +
      FAULT_HELP,
    load: async (): Promise<Command> => (await import('./commands/sim.js')).simCommand,
  },
  completion: {
    summary: 'print a shell completion script (bash, zsh or fish)',
    operands: { usage: 'bash|zsh|fish', choices: ['bash', 'zsh', 'fish'] },
    description:
      'Print a completion script for your shell: commands, options, their fixed values, and with a configured ' +
      'cluster its VMIDs, nodes and backup storages (asked with a 1.5 s limit and remembered for a minute).',
    options: { ...HELP },
    examples: [
      [
        'bash: this shell, then every new one',
        'source <(pvetasks completion bash)',
        'pvetasks completion bash > ~/.local/share/bash-completion/completions/pvetasks',
      ],
      [
        'zsh (a folder of $fpath) and fish',
        'pvetasks completion zsh > "${fpath[1]}/_pvetasks"',
        'pvetasks completion fish > ~/.config/fish/completions/pvetasks.fish',
      ],
    ],
    load: async (): Promise<Command> => (await import('./commands/completion.js')).completionCommand,
  },
  __complete: {
    summary: 'values for the completion scripts',
    operands: { usage: DYNAMIC_KINDS.join('|') },
    description: 'Print the values of one kind, one per line, from the cluster or its cache; nothing on any failure.',
    options: {},
    examples: [['the VMIDs of the configured cluster', 'pvetasks __complete vmids']],
    hidden: true,
    load: async (): Promise<Command> => (await import('./commands/complete.js')).completeCommand,
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export function commandSpec(name: string): CommandSpec | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name as CommandName] : undefined;
}

/** The commands `--help` and the completion scripts show, in the table's order. */
export function visibleCommands(): Array<[string, CommandSpec]> {
  return Object.entries(COMMANDS as Record<string, CommandSpec>).filter(([, spec]) => !spec.hidden);
}
