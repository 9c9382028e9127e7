/**
 * `pvetasks completion bash|zsh|fish`: prints the shell's completion script, generated from the command
 * table (src/cli/completion-scripts.ts). It reads no configuration and asks no cluster.
 */
import { parseCommandArgs } from '../args.js';
import { COMMANDS } from '../command-table.js';
import { completionScript, SHELLS, type Shell } from '../completion-scripts.js';
import { commandHelp } from '../help.js';
import { CliError, ExitCode, type Command } from '../io.js';

const OPTIONS = COMMANDS.completion.options;

export const completionCommand: Command = async (args, io) => {
  try {
    const { values, positionals } = parseCommandArgs('completion', args, OPTIONS, { positionals: true });
    if (values.help) {
      io.stdout.write(commandHelp('completion'));
      return ExitCode.ok;
    }
    const [shell, extra] = positionals;
    if (shell === undefined || extra !== undefined || !(SHELLS as readonly string[]).includes(shell)) {
      throw new CliError(`'pvetasks completion' takes one shell: ${SHELLS.join(', ')}; see 'pvetasks completion --help'`);
    }
    io.stdout.write(completionScript(shell as Shell));
    return ExitCode.ok;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.stderr.write(`pvetasks: ${error.message}\n`);
    return error.exitCode;
  }
};
