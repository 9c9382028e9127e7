/**
 * Argument parsing for the subcommands: node's `util.parseArgs` in strict mode, with its errors turned
 * into one-line usage errors (exit 2) that name the bad flag and point at `--help`, and parsers for the
 * values operators type (durations, VMIDs, node names, intervals).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidDurationError, parseDuration } from '../util/duration.js';
import { echo } from '../util/echo.js';
import { CliError, ExitCode } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs<O extends Options> {
  values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values'];
  positionals: string[];
}

/** Flags that would put a secret on the command line, which DESIGN.md forbids. */
const SECRET_FLAGS = new Set(['--token', '--api-token', '--password', '--secret']);

function usageError(command: string, problem: string): CliError {
  return new CliError(`${problem}; see 'pvetasks ${command} --help'`, ExitCode.usage);
}

/**
 * Parses `args` (what follows the subcommand's name) against `options`. `command` names the subcommand
 * in messages; `positionals` says whether it takes operands (a UPID, a VMID).
 */
export function parseCommandArgs<O extends Options>(
  command: string,
  args: string[],
  options: O,
  { positionals = false }: { positionals?: boolean } = {},
): ParsedArgs<O> {
  for (const arg of args) {
    if (arg === '--') break;
    const flag = arg.split('=', 1)[0]!;
    if (SECRET_FLAGS.has(flag)) {
      // Never echo the value: it is a secret typed where it does not belong.
      throw usageError(
        command,
        `${flag} is not accepted: secrets never go on the command line (use PROXMOX_VE_API_TOKEN, .env or --token-file)`,
      );
    }
  }
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    if (!positionals && parsed.positionals.length > 0) {
      throw usageError(command, `'pvetasks ${command}' takes no arguments, got ${clip(parsed.positionals[0]!)}`);
    }
    return parsed as unknown as ParsedArgs<O>;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw usageError(command, describeParseError(error));
  }
}

function describeParseError(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const flag = /'(-[^' ]*)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag ?? ''}`.trimEnd();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(message) ? `option ${flag ?? ''} needs a value` : `option ${flag ?? ''} does not take a value`;
    default:
      return message.split('\n', 1)[0]!;
  }
}

/** What the operator typed, quoted and cut for a message, or NOT_REPEATED when it looks like a secret. */
function clip(text: string): string {
  return echo(text, { maxLength: 40 });
}

/** The last value of a string option given several times (`--timeout 1m --timeout 2m` means 2m). */
export function lastValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** A duration flag (`--timeout 2m`) in milliseconds. */
export function parseDurationArg(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    if (error instanceof InvalidDurationError) throw new CliError(`${flag}: ${error.message}`, ExitCode.usage);
    throw error;
  }
}

export const MIN_INTERVAL_MS = 500;
export const MAX_INTERVAL_MS = 3_600_000;

/**
 * A poll interval, from a flag or a setting (`flag` names it: `--interval`, `PVETASKS_INTERVAL in .env`):
 * the one check of intervals, which the configuration uses too. Below half a second a cluster's three
 * pvedaemon workers per node would spend their time answering us, so that is refused.
 */
export function parseIntervalArg(flag: string, text: string): number {
  const ms = parseDurationArg(flag, text);
  if (ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
    throw new CliError(`${flag}: interval ${echo(text)} must be between 500ms and 1h`, ExitCode.usage);
  }
  return ms;
}

export const MIN_VMID = 100;
export const MAX_VMID = 999_999_999;
const NODE_RE = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

/** True for a valid PVE node name (a DNS label, as in the `pve-node` format). */
export function isNodeName(text: string): boolean {
  return text.length <= 63 && NODE_RE.test(text);
}

export function parseNodeArg(flag: string, text: string): string {
  if (!isNodeName(text)) {
    throw new CliError(`${flag}: ${clip(text)} is not a node name (letters, digits and inner dashes, e.g. pve1)`, ExitCode.usage);
  }
  return text;
}

export interface GuestRef {
  vmid: number;
  /** Given as `NODE:VMID`; otherwise the command resolves it through /cluster/resources. */
  node?: string;
}

/** A guest operand: `VMID` or `NODE:VMID`, VMIDs 100..999999999 as PVE allows. */
export function parseGuestArg(text: string): GuestRef {
  const colon = text.lastIndexOf(':');
  const node = colon >= 0 ? text.slice(0, colon) : undefined;
  const vmidText = colon >= 0 ? text.slice(colon + 1) : text;
  if (node !== undefined && !isNodeName(node)) {
    throw new CliError(`${clip(text)}: ${clip(node)} is not a node name; use VMID or NODE:VMID`, ExitCode.usage);
  }
  if (!/^\d+$/.test(vmidText)) {
    throw new CliError(`${clip(text)} is not a guest: use a VMID (e.g. 100) or NODE:VMID (e.g. pve1:100)`, ExitCode.usage);
  }
  const vmid = Number(vmidText);
  if (vmid < MIN_VMID || vmid > MAX_VMID || vmidText.startsWith('0')) {
    throw new CliError(`${clip(text)}: a VMID is a number from 100 to 999999999`, ExitCode.usage);
  }
  return node === undefined ? { vmid } : { vmid, node };
}

/** A positive whole number flag (`--parallel 4`) within bounds. */
export function parseCountArg(flag: string, text: string, { min = 1, max = 1000 } = {}): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new CliError(`${flag}: ${clip(text)} must be a whole number from ${min} to ${max}`, ExitCode.usage);
  }
  return Number(text);
}
