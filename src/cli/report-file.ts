/**
 * `--report FILE`: where the report of a run's tasks goes (tasks/report.ts builds it). The name is
 * checked before anything starts (the extension says the format, the directory must exist and take
 * files), and the file is written at the end like a session file: a new temp file (mode 0600, never
 * through a link) renamed over the target.
 */
import { accessSync, constants, lstatSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { renderReport, reportFormatOf, type ReportFormat, type ReportInput } from '../tasks/report.js';
import { writeFileAtomically } from '../tasks/session-files.js';
import { echo } from '../util/echo.js';
import { CliError, ExitCode } from './io.js';

export interface ReportTarget {
  /** Absolute. */
  path: string;
  format: ReportFormat;
  /** As the operator typed it, for messages and the summary. */
  typed: string;
}

/** The target of `--report`, checked; undefined without the flag. Throws a one-line usage error. */
export function reportTarget(typed: string | undefined, cwd: string): ReportTarget | undefined {
  if (typed === undefined) return undefined;
  const shown = echo(typed, { maxLength: 120 });
  const format = reportFormatOf(typed);
  if (!format) throw new CliError(`--report ${shown}: the file name must end in .md (Markdown) or .json (JSON)`);
  const path = resolve(cwd, typed);
  const dir = dirname(path);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // said below
  }
  if (!isDir) throw new CliError(`--report ${shown}: there is no directory ${echo(dir, { maxLength: 120 })}`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new CliError(`--report ${shown}: cannot create files in ${echo(dir, { maxLength: 120 })}`);
  }
  try {
    if (lstatSync(path).isDirectory()) throw new CliError(`--report ${shown}: is a directory`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    // not there yet: fine
  }
  return { path, format, typed };
}

/**
 * Writes the report, when one was asked for, and returns the command's exit code: a report that
 * cannot be written is said in one line and fails a run that otherwise succeeded (a script relies on
 * the file); the tasks' own outcomes were reported already.
 */
export function finishWithReport(
  target: ReportTarget | undefined,
  input: () => ReportInput,
  stderr: NodeJS.WritableStream,
  exitCode: number,
): number {
  if (!target) return exitCode;
  try {
    writeFileAtomically(target.path, renderReport(input(), target.format));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    stderr.write(`pvetasks: cannot write the report ${echo(target.typed, { maxLength: 120 })}: ${code}\n`);
    return exitCode === ExitCode.ok ? ExitCode.failed : exitCode;
  }
  return exitCode;
}
