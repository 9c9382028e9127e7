// `--help` is generated from the command table: every page fits 80 columns (a jump host's terminal),
// every command shows an example, and every example is a command line the command accepts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, test } from 'node:test';
import { parseCommandArgs } from '../../src/cli/args.js';
import { COMMANDS, visibleCommands, type CommandSpec } from '../../src/cli/command-table.js';
import { HELP_WIDTH, commandHelp, mainHelp, wrapLine } from '../../src/cli/help.js';
import { BUNDLE, ensureBundle } from '../helpers/bundle.js';
import { fakeIo } from './fake-io.js';

/** Each visible command's help as the command itself prints it for `--help`. */
const pages = new Map<string, string>();

before(async () => {
  for (const [name, spec] of visibleCommands()) {
    const io = fakeIo();
    const command = await spec.load();
    assert.equal(await command(['--help'], io), 0, `${name} --help`);
    pages.set(name, io.stdout.text);
  }
});

function assertFits(what: string, text: string): void {
  assert.ok(text.endsWith('\n'), `${what} ends with a newline`);
  for (const line of text.split('\n')) {
    assert.ok(line.length <= HELP_WIDTH, `${what}: ${line.length} columns: '${line}'`);
    assert.match(line, /^[\x20-\x7e]*$/, `${what}: only printable ASCII, so one character is one column: '${line}'`);
  }
}

test('the overview and every command page fit 80 columns', () => {
  assertFits('pvetasks --help', mainHelp());
  assert.deepEqual(
    [...pages.keys()],
    [
      'board',
      'wait',
      'start',
      'backup',
      'snapshot',
      'shutdown',
      'stop',
      'reboot',
      'migrate',
      'drain',
      'tasks',
      'clusters',
      'sim',
      'completion',
    ],
  );
  for (const [name, page] of pages) {
    assertFits(`pvetasks ${name} --help`, page);
    assert.equal(page, commandHelp(name), `${name} prints the table's page`);
  }
});

/** Splits a shell line into words: whitespace, and double or single quotes around a word. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3]!);
}

test('every command page has an example, and every example parses as that command', () => {
  for (const [name, page] of pages) {
    const section = /\n(Examples?):\n((?: {2}.*\n)+)/.exec(page);
    assert.ok(section, `${name} --help has an Example section`);
    const lines = section[2]!.split('\n').filter(Boolean);
    const commands = lines.filter((line) => line.startsWith('  pvetasks'));
    assert.ok(commands.length > 0, `${name}: an example runs pvetasks`);
    assert.ok(lines[0]!.startsWith('  # '), `${name}: each example says what it does`);
    const spec = COMMANDS[name as keyof typeof COMMANDS] as CommandSpec;
    for (const line of commands) {
      // What the shell does after the command (a redirection) is not pvetasks' business.
      const words = shellWords(line.split(' > ')[0]!).slice(1);
      const args = name === 'board' ? words : (assert.equal(words[0], name, line), words.slice(1));
      parseCommandArgs(name, args, spec.options, { positionals: spec.operands !== undefined });
    }
  }
});

test('the overview lists every visible command with its summary, and hides the completion helper', () => {
  const help = mainHelp();
  for (const [name, spec] of visibleCommands())
    assert.match(help, new RegExp(`^  ${name} +${spec.summary.replace(/[()]/g, '\\$&')}$`, 'm'));
  assert.ok(!help.includes('__complete'));
  assert.match(help, /^ {2}pvetasks start 101 102 --json$/m);
});

test('a long line wraps under its text column, and a word longer than the line stays whole', () => {
  const line = `  --timeout DURATION  ${'word '.repeat(20)}end`;
  const wrapped = wrapLine(line, 40);
  assert.ok(wrapped.length > 1);
  for (const [index, part] of wrapped.entries()) {
    assert.ok(part.length <= 40, part);
    if (index > 0) assert.match(part, /^ {22}\S/);
  }
  assert.equal(wrapped.join(' ').replace(/ +/g, ' '), line.replace(/ +/g, ' ').trimEnd());
  assert.deepEqual(wrapLine(`x ${'y'.repeat(50)}`, 40), ['x', 'y'.repeat(50)]);
});

test('the table is complete: each option has help, each value option names its value, fixed values belong to value options', () => {
  for (const [name, spec] of Object.entries(COMMANDS as Record<string, CommandSpec>)) {
    assert.ok(spec.summary && spec.description && spec.examples.length > 0, name);
    for (const [option, value] of Object.entries(spec.options)) {
      assert.ok(value.help.length > 0, `${name} --${option}`);
      assert.equal(value.type === 'string', value.arg !== undefined, `${name} --${option}: a value name exactly when it takes a value`);
      if (value.choices || value.complete) assert.equal(value.type, 'string', `${name} --${option}`);
    }
  }
});

test('the executable answers --help, help COMMAND and COMMAND --help from the table', () => {
  ensureBundle();
  const run = (args: string[]) => spawnSync(process.execPath, [BUNDLE, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  const overview = run(['--help']);
  assert.equal(overview.status, 0);
  assert.equal(overview.stdout, mainHelp());
  assert.equal(run(['help', 'backup']).stdout, commandHelp('backup'));
  assert.equal(run(['backup', '--help']).stdout, commandHelp('backup'));
  const unknown = run(['help', 'frobnicate']);
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stderr, "pvetasks: unknown command 'frobnicate'; see 'pvetasks --help'\n");
});

test("sim's help states the fewest guests the simulator accepts (one per demo role)", async () => {
  const { GUEST_ROLES } = await import('../../src/sim/index.js');
  assert.match(commandHelp('sim'), new RegExp(`at least ${GUEST_ROLES.length}\\)`));
  const io = fakeIo();
  const sim = await COMMANDS.sim.load();
  assert.equal(await sim(['--guests', String(GUEST_ROLES.length - 1)], io), 2);
  assert.match(io.stderr.text, new RegExp(`from ${GUEST_ROLES.length} to`));
});
