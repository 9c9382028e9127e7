import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  lastValue,
  parseCommandArgs,
  parseCountArg,
  parseDurationArg,
  parseGuestArg,
  parseIntervalArg,
  parseNodeArg,
} from '../../src/cli/args.js';
import { CliError } from '../../src/cli/io.js';

const OPTIONS = {
  json: { type: 'boolean' },
  node: { type: 'string' },
  timeout: { type: 'string', multiple: true },
} as const;

function usage(fn: () => unknown, pattern: RegExp, secret?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CliError, String(error));
    assert.equal(error.exitCode, 2);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'));
    if (secret) assert.ok(!error.message.includes(secret), error.message);
    return true;
  });
}

test('flags and positionals parse strictly', () => {
  const parsed = parseCommandArgs('wait', ['--json', 'UPID:x', '--node', 'pve1', '--timeout', '1m', '--timeout=2m'], OPTIONS, {
    positionals: true,
  });
  assert.equal(parsed.values.json, true);
  assert.equal(parsed.values.node, 'pve1');
  assert.deepEqual(parsed.values.timeout, ['1m', '2m']);
  assert.equal(lastValue(parsed.values.timeout), '2m');
  assert.deepEqual(parsed.positionals, ['UPID:x']);
});

test('parse errors become one-line usage errors naming the flag and pointing at --help', () => {
  usage(() => parseCommandArgs('tasks', ['--jsn'], OPTIONS), /^unknown option --jsn; see 'pvetasks tasks --help'$/);
  usage(() => parseCommandArgs('tasks', ['-x'], OPTIONS), /^unknown option -x; see/);
  usage(() => parseCommandArgs('tasks', ['--node'], OPTIONS), /^option --node needs a value; see 'pvetasks tasks --help'$/);
  usage(() => parseCommandArgs('tasks', ['--json=yes'], OPTIONS), /^option --json does not take a value; see/);
  usage(() => parseCommandArgs('tasks', ['extra'], OPTIONS), /^'pvetasks tasks' takes no arguments, got 'extra'; see/);
});

test('secret flags are refused without echoing their value', () => {
  const secret = '0b4e5b1c-6a0b-4f3e-9d1e-2a9c5c7e8f01';
  usage(
    () => parseCommandArgs('tasks', [`--token=root@pam!x=${secret}`], OPTIONS),
    /--token is not accepted: secrets never go on the command line/,
    secret,
  );
  usage(() => parseCommandArgs('tasks', ['--password', secret], OPTIONS), /--password is not accepted/, secret);
  // After '--' everything is an operand.
  assert.deepEqual(parseCommandArgs('wait', ['--', '--token'], OPTIONS, { positionals: true }).positionals, ['--token']);
});

test('durations and intervals', () => {
  assert.equal(parseDurationArg('--timeout', '500ms'), 500);
  assert.equal(parseDurationArg('--timeout', '30s'), 30_000);
  assert.equal(parseDurationArg('--timeout', '2m'), 120_000);
  assert.equal(parseDurationArg('--timeout', '1h'), 3_600_000);
  assert.equal(parseDurationArg('--timeout', '1h30m'), 5_400_000);
  usage(() => parseDurationArg('--timeout', '90'), /^--timeout: invalid duration '90' \(add a unit\)/);
  usage(() => parseDurationArg('--timeout', '0s'), /^--timeout: invalid duration '0s': it must be more than zero/);
  usage(() => parseDurationArg('--timeout', '-1m'), /^--timeout: invalid duration/);
  assert.equal(parseIntervalArg('--interval', '2s'), 2000);
  assert.equal(parseIntervalArg('--interval', '500ms'), 500);
  usage(() => parseIntervalArg('--interval', '100ms'), /^--interval: interval '100ms' must be between 500ms and 1h/);
  usage(() => parseIntervalArg('--interval', '2h'), /between 500ms and 1h/);
});

test('guests: VMID or NODE:VMID, 100 to 999999999', () => {
  assert.deepEqual(parseGuestArg('100'), { vmid: 100 });
  assert.deepEqual(parseGuestArg('999999999'), { vmid: 999_999_999 });
  assert.deepEqual(parseGuestArg('pve1:101'), { vmid: 101, node: 'pve1' });
  assert.deepEqual(parseGuestArg('pve-nd03:802'), { vmid: 802, node: 'pve-nd03' });
  usage(() => parseGuestArg('99'), /a VMID is a number from 100 to 999999999/);
  usage(() => parseGuestArg('1000000000'), /from 100 to 999999999/);
  usage(() => parseGuestArg('0100'), /from 100 to 999999999/);
  usage(() => parseGuestArg('vm100'), /is not a guest: use a VMID/);
  usage(() => parseGuestArg('pve1:'), /is not a guest/);
  usage(() => parseGuestArg(':100'), /is not a node name/);
  usage(() => parseGuestArg('bad_node:100'), /'bad_node' is not a node name/);
  usage(() => parseGuestArg('100.5'), /is not a guest/);
});

test('node names and counts', () => {
  assert.equal(parseNodeArg('--node', 'pve1'), 'pve1');
  assert.equal(parseNodeArg('--node', 'a'), 'a');
  usage(() => parseNodeArg('--node', 'pve1.example.com'), /^--node: 'pve1.example.com' is not a node name/);
  usage(() => parseNodeArg('--node', '-pve'), /is not a node name/);
  usage(() => parseNodeArg('--node', 'x'.repeat(64)), /is not a node name/);
  assert.equal(parseCountArg('--parallel', '4'), 4);
  usage(() => parseCountArg('--parallel', '0'), /^--parallel: '0' must be a whole number from 1 to 1000/);
  usage(() => parseCountArg('--parallel', 'four'), /whole number/);
});
