import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTaskStore } from '../../src/tasks/store.js';
import { runBoard, type BoardOptions } from '../../src/ui/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { FakeActions, addTask, settle } from './helpers.js';
import { FakeStdin, FakeStdout } from '../helpers/fake-tty.js';

function start(overrides: Partial<BoardOptions> = {}) {
  const store = createTaskStore();
  addTask(store, { vmid: 100, state: 'ok', exitStatus: 'OK' });
  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  const done = runBoard({
    store,
    actions: new FakeActions(store),
    clock: new ManualClock(),
    stdin: stdin as unknown as NodeJS.ReadStream,
    stdout: stdout as unknown as NodeJS.WriteStream,
    ascii: false,
    color: false,
    readOnly: false,
    ...overrides,
  });
  return { stdout, stdin, done };
}

const ENTER = '\u001b[?1049h';
const LEAVE = '\u001b[?1049l';

test('runBoard switches to the alternate screen, resolves on q and restores the screen', async () => {
  const { stdout, stdin, done } = start();
  await settle();
  assert.equal(stdout.chunks[0], ENTER);
  assert.equal(stdin.rawMode, true);
  stdin.type('q');
  assert.deepEqual(await done, { reason: 'quit' });
  // (Under a CI variable Ink draws only the last frame, at the end: so look once it is over.)
  assert.ok(stdout.chunks.join('').includes('Start VM 100'), 'the board was drawn');
  assert.equal(stdout.chunks.at(-1), LEAVE);
  assert.equal(stdout.chunks.filter((chunk) => chunk === LEAVE).length, 1);
  assert.equal(stdin.rawMode, false, 'raw mode is switched off again');
});

test('Ctrl-C resolves as interrupt and restores the screen', async () => {
  const { stdout, stdin, done } = start();
  await settle();
  stdin.type('\u0003');
  assert.deepEqual(await done, { reason: 'interrupt' });
  assert.equal(stdout.chunks.at(-1), LEAVE);
});

test('an abort signal ends the board as interrupt; without a TTY there is no raw-mode crash', async () => {
  const stop = new AbortController();
  const { stdout, stdin, done } = start({ signal: stop.signal });
  stdin.isTTY = undefined;
  await settle();
  stop.abort();
  assert.deepEqual(await done, { reason: 'interrupt' });
  assert.equal(stdout.chunks.at(-1), LEAVE);

  const piped = new FakeStdin();
  piped.isTTY = undefined;
  const again = new AbortController();
  const run = start({ stdin: piped as unknown as NodeJS.ReadStream, signal: again.signal });
  await settle();
  again.abort();
  assert.deepEqual(await run.done, { reason: 'interrupt' });
  assert.equal(piped.rawMode, false);
});
