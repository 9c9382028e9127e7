// The board's flags of issue 15: --timeout, --per-node, --no-skip, --watch UPID..., --osc52. Each is
// checked before anything is asked of the cluster: a bad one is a usage error (exit 2), TTY or not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMANDS } from '../../src/cli/command-table.js';
import { boardCommand, boardFlags } from '../../src/cli/commands/board.js';
import { parseCommandArgs } from '../../src/cli/args.js';
import { fakeIo } from './fake-io.js';

const UPID_A = 'UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:';
const UPID_B = 'UPID:pve2:0001A2B4:00C0FFEE:6700AB13:vzdump::backup@pve:';

function flags(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { values, positionals } = parseCommandArgs('board', args, COMMANDS.board.options, { positionals: true });
  return boardFlags(values, positionals, env);
}

test('defaults: 4 at once, 4 per node, deadlines by task type, skipping on, nothing watched, OSC 52 off', () => {
  assert.deepEqual(flags([]), { parallel: 4, perNode: 4, noSkip: false, watch: [], osc52: false });
});

test('--timeout, --per-node, --parallel and --no-skip', () => {
  const parsed = flags(['--timeout', '10m', '--per-node', '2', '--parallel', '8', '--no-skip']);
  assert.equal(parsed.timeoutMs, 600_000);
  assert.equal(parsed.perNode, 2);
  assert.equal(parsed.parallel, 8);
  assert.equal(parsed.noSkip, true);
});

test('--watch takes UPIDs: repeated, or several after it; duplicates once; each checked', () => {
  assert.deepEqual(flags(['--watch', UPID_A, UPID_B]).watch, [UPID_A, UPID_B]);
  assert.deepEqual(flags(['--watch', UPID_A, '--watch', UPID_B, UPID_A]).watch, [UPID_A, UPID_B]);
  assert.throws(() => flags(['--watch', 'UPID:bad']), /--watch: invalid UPID .*UPID:bad/);
  assert.throws(() => flags([UPID_A]), /'pvetasks board' takes no arguments, got 'UPID:pve1:.*' \(UPIDs to watch go after --watch\)/);
});

test('OSC 52 copying is opt-in: --osc52 or PVETASKS_OSC52=1, nothing else', () => {
  assert.equal(flags([]).osc52, false);
  assert.equal(flags([], { PVETASKS_OSC52: '0' }).osc52, false);
  assert.equal(flags([], { TERM: 'xterm-256color' }).osc52, false);
  assert.equal(flags([], { PVETASKS_OSC52: '1' }).osc52, true);
  assert.equal(flags(['--osc52']).osc52, true);
});

test('bad values exit 2 with one line naming the flag, before the terminal is even looked at', async () => {
  for (const [args, message] of [
    [['--timeout', 'soon'], /^pvetasks: --timeout: /],
    [['--per-node', '0'], /^pvetasks: --per-node: '0' must be a whole number from 1 to 64/],
    [['--watch', 'not-a-upid'], /^pvetasks: --watch: invalid UPID/],
  ] as const) {
    const io = fakeIo();
    const code = await boardCommand([...args], io);
    assert.equal(code, 2, args.join(' '));
    assert.match(io.stderr.text, message);
    assert.equal(io.stderr.lines().length, 1, io.stderr.text);
  }
});

test('--help lists the new flags', async () => {
  const io = fakeIo();
  await boardCommand(['--help'], io);
  for (const flag of ['--timeout DURATION', '--per-node N', '--no-skip', '--watch UPID', '--osc52'])
    assert.ok(io.stdout.text.includes(flag), flag);
});
