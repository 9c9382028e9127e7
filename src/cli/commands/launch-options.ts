/**
 * What every launch command reads from its flags before anything is asked of the cluster (the shared
 * options of launchCommand in the command table), and PVE's shutdown timeout, which shutdown, reboot,
 * migrate and drain hand to PVE.
 */
import { echo } from '../../util/echo.js';
import { parseCountArg, parseDurationArg } from '../args.js';
import { CliError } from '../io.js';

/** The options every launch command shares (launchCommand in the command table), checked before anything is asked of the cluster. */
export interface LaunchOptions {
  timeoutMs: number | undefined;
  parallel: number;
  perNode: number;
  noSkip: boolean;
  json: boolean;
  noColor: boolean;
}

export function launchOptions(text: (name: string) => string | undefined, flags: Record<string, unknown>): LaunchOptions {
  const timeoutText = text('timeout');
  const parallelText = text('parallel');
  const perNodeText = text('per-node');
  return {
    timeoutMs: timeoutText === undefined ? undefined : parseDurationArg('--timeout', timeoutText),
    parallel: parallelText === undefined ? 4 : parseCountArg('--parallel', parallelText, { min: 1, max: 64 }),
    perNode: perNodeText === undefined ? 4 : parseCountArg('--per-node', perNodeText, { min: 1, max: 64 }),
    noSkip: flags['no-skip'] === true,
    json: flags.json === true,
    noColor: flags['no-color'] === true,
  };
}

/** PVE's shutdown timeout in whole seconds: `180`, or a duration (`3m`). */
export function shutdownTimeoutArg(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = /^\d+$/.test(text) ? Number(text) : Math.round(parseDurationArg('--shutdown-timeout', text) / 1000);
  if (seconds > 86_400) throw new CliError(`--shutdown-timeout ${echo(text, { maxLength: 20 })}: at most a day (86400 seconds)`);
  return seconds;
}
