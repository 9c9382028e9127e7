/**
 * What a subcommand gets from the outside world. Commands never touch `process` directly, so tests run
 * them in-process with their own streams and environment, and the same code runs from the bundle.
 */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM: commands stop waiting, say so, and return 130. */
  signal: AbortSignal;
}

/** A subcommand: its arguments (after the subcommand name) in, an exit code out. */
export type Command = (args: string[], io: CliIo) => Promise<number>;

/** Exit codes of DESIGN.md, first match wins: usage 2, connect/auth 3, failed 1, timeout 124, ok 0. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  connect: 3,
  timeout: 124,
  interrupted: 130,
} as const;

/**
 * A one-line, user-facing error: the command prints `pvetasks: <message>` and exits with `exitCode`.
 * Anything else that escapes a command is a bug, reported in one line too, never as a stack trace.
 */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.usage,
  ) {
    super(message);
  }
}
