/**
 * The `pvetasks` executable: picks the subcommand, gives it the process's streams and a signal that
 * SIGINT/SIGTERM/SIGHUP abort, and turns anything unexpected into one line instead of a stack trace.
 */
import { VERSION } from '../util/version.js';
import { CliError, ExitCode, type CliIo, type Command } from './io.js';

const HELP = `pvetasks ${VERSION}: watch Proxmox VE tasks to their end

Usage:
  pvetasks [--demo] [--interval 2s] [--no-color] [--ascii] [--read-only] [--fresh] [--parallel 4] [--token-file PATH]
                                        the live board (the demo cluster when no endpoint is configured)
  pvetasks wait <UPID>...               wait for tasks and report their outcomes
  pvetasks start <VMID|NODE:VMID>...    start guests and wait for them
  pvetasks backup <VMID>... --storage ID
                                        back up guests (one vzdump per node) and wait
  pvetasks snapshot <VMID>... --name SNAPNAME
                                        snapshot guests and check the snapshots exist
  pvetasks tasks [--running] [--node NODE]
                                        list the cluster's tasks
  pvetasks sim [--tls] [--port 8006]    run the embedded Proxmox VE simulator
  pvetasks <command> --help             the options of a command
  pvetasks --help | --version

Configuration: PROXMOX_VE_ENDPOINT, PROXMOX_VE_API_TOKEN (or PROXMOX_VE_USERNAME and PROXMOX_VE_PASSWORD),
PROXMOX_VE_FINGERPRINT, PROXMOX_VE_INSECURE, PVETASKS_INTERVAL, PVETASKS_STATE_DIR, from the environment or .env.
Exit codes: 0 ok, 1 a task failed or ended unknown, 124 a task timed out, 2 usage or configuration error,
3 cannot connect or authenticate, 130 interrupted.
`;

// Loaded on demand: `--version` and `--help` stay instant, and each command pays only for itself.
const COMMANDS: Record<string, () => Promise<Command>> = {
  board: async () => (await import('./commands/board.js')).boardCommand,
  sim: async () => (await import('./commands/sim.js')).simCommand,
  wait: async () => (await import('./commands/wait.js')).waitCommand,
  tasks: async () => (await import('./commands/tasks.js')).tasksCommand,
  start: async () => (await import('./commands/launch.js')).startCommand,
  backup: async () => (await import('./commands/launch.js')).backupCommand,
  snapshot: async () => (await import('./commands/launch.js')).snapshotCommand,
};

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return ExitCode.ok;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(HELP);
    return ExitCode.ok;
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    // A second Ctrl-C means now: the first one already asked the command to stop waiting.
    if (interrupts > 1 && signal === 'SIGINT') process.exit(ExitCode.interrupted);
    controller.abort(new CliError(`interrupted by ${signal}`, ExitCode.interrupted));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  };
  let name = first;
  let args = rest;
  if (name === undefined || name.startsWith('-')) {
    name = 'board';
    args = argv;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`pvetasks: unknown command '${name}'; see 'pvetasks --help'\n`);
    return ExitCode.usage;
  }
  const command = await load();
  return command(args, io);
}

// No top-level await: the bundle's CommonJS form (the single executable's) cannot hold one.
main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof CliError) {
        process.stderr.write(`pvetasks: ${error.message}\n`);
        process.exitCode = error.exitCode;
      } else {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`pvetasks: internal error: ${message.split('\n', 1)[0]}\n`);
        if (process.env.PVETASKS_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
        process.exitCode = 1;
      }
    },
  )
  .finally(() => {
    // Pending sockets or timers must not keep a finished command alive.
    setImmediate(() => process.exit(process.exitCode ?? 0)).unref();
  });
