/**
 * The `pvetasks` executable: picks the subcommand from the command table, gives it the process's
 * streams and a signal that SIGINT/SIGTERM/SIGHUP abort, and turns anything unexpected into one line
 * instead of a stack trace. `--version` and `--help` are answered here, before any command is loaded.
 */
import { echo } from '../util/echo.js';
import { VERSION } from '../util/version.js';
import { commandSpec } from './command-table.js';
import { commandHelp, mainHelp } from './help.js';
import { CliError, ExitCode, type CliIo } from './io.js';

function unknownCommand(name: string): CliError {
  return new CliError(`unknown command ${echo(name, { maxLength: 40 })}; see 'pvetasks --help'`, ExitCode.usage);
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return ExitCode.ok;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic !== undefined && !commandSpec(topic)) throw unknownCommand(topic);
    process.stdout.write(topic === undefined ? mainHelp() : commandHelp(topic));
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
  // No command, or options first: the board.
  const [name, args] = first === undefined || first.startsWith('-') ? ['board', argv] : [first, rest];
  const spec = commandSpec(name);
  if (!spec) throw unknownCommand(name);
  // A command's help comes from the table too: its module (and what it imports) is not even loaded.
  const options = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (options.includes('--help') || options.includes('-h')) {
    process.stdout.write(commandHelp(name));
    return ExitCode.ok;
  }
  const command = await spec.load();
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
