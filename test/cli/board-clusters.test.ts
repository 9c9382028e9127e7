// The board's choice of clusters: the same as every command's. When none of the chosen clusters can be
// reached, the board (drawn at once, connecting) ends: one line, exit 3, nothing left on the normal
// screen (one reachable is enough: see the e2e test).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { loadYamlParser } from '../../src/cli/cluster-file.js';
import { createBoardCommand } from '../../src/cli/commands/board.js';
import { ManualClock } from '../../src/util/clock.js';
import { writeConfig } from './clusters-rig.js';
import { FakeStdin } from '../helpers/fake-tty.js';
import { fakeIo } from './fake-io.js';

// The YAML parser is imported on first use, in event-loop turns a ManualClock's runUntil would take for a stuck command.
before(() => loadYamlParser());

function boardIo(dir: string) {
  const io = fakeIo({
    env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), PVETASKS_STATE_DIR: join(dir, 'state') },
    cwd: dir,
    tty: true,
  });
  // A terminal's stdin: the board takes it in raw mode while it connects.
  return { ...io, stdin: new FakeStdin() as unknown as NodeJS.ReadableStream };
}

test('several clusters, none reachable: one line naming the first, exit 3, nothing left on the screen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pvetasks-board-clusters-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'root@pam!pvetasks=01234567-89ab-cdef-0123-456789abcdef\n', { mode: 0o600 });
  const entry = (name: string) => `  - name: ${name}\n    endpoints: [https://127.0.0.1:1]\n    token_file: ${tokenFile}\n`;
  writeConfig(join(dir, 'config', 'pvetasks'), `clusters:\n${entry('east')}${entry('west')}`);
  const io = boardIo(dir);
  const clock = new ManualClock();
  const code = await clock.runUntil(createBoardCommand({ clock })([], io));
  assert.equal(code, 3, io.stderr.text);
  assert.match(io.stderr.text, /^pvetasks: cluster east: cannot connect to https:\/\/127\.0\.0\.1:1/);
  assert.equal(io.stderr.lines().length, 1);
  // The board was drawn on the alternate screen while it connected; the normal screen got nothing (no summary).
  const ENTER = '\u001b[?1049h';
  const LEAVE = '\u001b[?1049l';
  assert.ok(io.stdout.text.startsWith(ENTER), JSON.stringify(io.stdout.text.slice(0, 40)));
  assert.ok(io.stdout.text.endsWith(LEAVE), JSON.stringify(io.stdout.text.slice(-40)));
  assert.equal(io.stdout.text.split(LEAVE).length, 2, 'left once, nothing after');
  assert.doesNotMatch(io.stderr.text, /01234567-89ab/);
});

test('--cluster names one that is not configured: the same one-line error as every command, exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pvetasks-board-clusters-'));
  writeConfig(
    join(dir, 'config', 'pvetasks'),
    'clusters:\n  - name: east\n    endpoints: [https://127.0.0.1:1]\n    token_env: EAST_TOKEN\n',
  );
  const io = boardIo(dir);
  const clock = new ManualClock();
  const code = await clock.runUntil(createBoardCommand({ clock })(['--cluster', 'north'], io));
  assert.equal(code, 2);
  assert.match(io.stderr.text, /--cluster 'north' is not a configured cluster/);
});
