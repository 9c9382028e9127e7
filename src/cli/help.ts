/**
 * `--help` from the command table: the overview (`pvetasks --help`) and each command's page, at most
 * 80 columns wide (a jump host's terminal may be no wider), each with an example.
 */
import { VERSION } from '../util/version.js';
import { CONFIGURATION, commandSpec, visibleCommands, type CommandSpec, type OptionSpec } from './command-table.js';

export const HELP_WIDTH = 80;
/** A term longer than this puts its text on the next line. */
const MAX_TERM = 22;

/** Where a line's text continues when wrapped: after its first gap of two spaces or more, else its indentation. */
function hangingIndent(line: string): number {
  const definition = /^ *\S+(?: \S+)*? {2,}(?=\S)/.exec(line);
  return definition ? definition[0].length : line.length - line.trimStart().length;
}

/**
 * Wraps one line at `width`, continuation lines hanging under the line's text: under the description
 * in a definition list (`  --timeout DURATION  give up ...`), else under its indentation.
 */
export function wrapLine(line: string, width = HELP_WIDTH): string[] {
  if (line.length <= width) return [line];
  const indent = hangingIndent(line);
  const lines: string[] = [];
  let rest = line;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    // A word longer than the room left stays whole.
    if (cut <= indent) cut = rest.indexOf(' ', width);
    if (cut < 0) break;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = ' '.repeat(indent) + rest.slice(cut + 1).trimStart();
  }
  lines.push(rest);
  return lines;
}

/**
 * Wraps every line at `width`. A line indented 4 or more under the previous line's text continues it
 * (text written for a wider screen, like the simulator's fault list) and is reflowed with it.
 */
export function wrapText(text: string, width = HELP_WIDTH): string {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const indent = line.length - line.trimStart().length;
    const previous = lines.at(-1);
    if (previous !== undefined && indent >= 4 && line.trim() !== '' && hangingIndent(previous) === indent) {
      lines[lines.length - 1] = `${previous} ${line.trim()}`;
    } else {
      lines.push(line);
    }
  }
  return lines.flatMap((line) => wrapLine(line, width)).join('\n');
}

/** Two columns: `  term  text`, the texts aligned; a long term puts its text under the column. */
function definitionList(rows: Array<[string, string]>): string[] {
  const column = Math.min(MAX_TERM, Math.max(...rows.map(([term]) => term.length))) + 4;
  return rows.flatMap(([term, text]) =>
    term.length + 4 <= column ? [`  ${term.padEnd(column - 2)}${text}`] : [`  ${term}`, `${' '.repeat(column)}${text}`],
  );
}

function optionTerm(name: string, option: OptionSpec): string {
  const long = option.arg ? `--${name} ${option.arg}` : `--${name}`;
  return option.short ? `-${option.short}, ${long}` : long;
}

function usageOf(name: string, spec: CommandSpec): string {
  const words = name === 'board' ? ['pvetasks'] : ['pvetasks', name];
  if (spec.operands) words.push(spec.operands.usage);
  for (const [option, value] of Object.entries(spec.options)) {
    if (value.required) words.push(`--${option} ${value.arg ?? ''}`.trimEnd());
  }
  if (Object.keys(spec.options).length > 0) words.push('[options]');
  return words.join(' ');
}

function examplesOf(spec: CommandSpec): string[] {
  const lines = spec.examples.flatMap(([comment, ...commands]) => [`  # ${comment}`, ...commands.map((command) => `  ${command}`)]);
  return [spec.examples.length > 1 ? 'Examples:' : 'Example:', ...lines];
}

/** The `--help` page of one command. */
export function commandHelp(name: string): string {
  const spec = commandSpec(name);
  if (!spec) throw new Error(`no command ${name} in the command table`);
  const sections = [[`Usage: ${usageOf(name, spec)}`], [spec.description]];
  const options = Object.entries(spec.options);
  if (options.length > 0) {
    sections.push(['Options:', ...definitionList(options.map(([option, value]) => [optionTerm(option, value), value.help]))]);
  }
  sections.push(examplesOf(spec));
  if (spec.notes) sections.push([spec.notes]);
  return `${wrapText(sections.map((lines) => lines.join('\n')).join('\n\n'))}\n`;
}

/** `pvetasks --help`: every command in one line, and where to read more. */
export function mainHelp(): string {
  const commands = visibleCommands().map(([name, spec]): [string, string] => [name, spec.summary]);
  const text = [
    `pvetasks ${VERSION}: watch Proxmox VE tasks to their end`,
    '',
    'Usage: pvetasks [COMMAND] [options]',
    '',
    'Commands:',
    ...definitionList(commands),
    '',
    'Examples:',
    '  # the board: the cluster of PROXMOX_VE_ENDPOINT, or the demo cluster',
    '  pvetasks',
    '  # start guests and wait for them from a script',
    '  pvetasks start 101 102 --json',
    '',
    "'pvetasks COMMAND --help' (or 'pvetasks help COMMAND') shows a command's options and an example.",
    CONFIGURATION,
    'Exit codes: 0 ok, 1 a task failed or ended unknown, 124 a task timed out, 2 usage or configuration error, ' +
      '3 cannot connect or authenticate, 130 interrupted.',
  ];
  return `${wrapText(text.join('\n'))}\n`;
}
