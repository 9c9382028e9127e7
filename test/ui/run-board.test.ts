import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTaskStore, type TaskStore } from '../../src/tasks/store.js';
import { runBoard, type BoardOptions } from '../../src/ui/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { FakeActions, addTask, settle } from './helpers.js';
import { FakeStdin, FakeStdout } from '../helpers/fake-tty.js';
import { VirtualTerminal } from '../helpers/vt.js';

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

test('with `ready`, the board draws the connecting content at once, then what is ready; q while connecting just leaves', async () => {
  const connecting = createTaskStore();
  let resolveReady!: (content: { store: TaskStore; actions: FakeActions }) => void;
  let asked = 0;
  const { stdout, stdin, done } = start({
    store: connecting,
    actions: new FakeActions(connecting),
    ready: () => {
      asked++;
      return new Promise((resolve) => (resolveReady = resolve));
    },
  });
  await settle();
  assert.equal(asked, 1, 'asked once, after the first frame');
  assert.match(stdout.text, /No task in the cluster yet/);
  assert.doesNotMatch(stdout.text, /Start VM 100/);

  const live = createTaskStore();
  addTask(live, { vmid: 100, state: 'ok', exitStatus: 'OK' });
  resolveReady({ store: live, actions: new FakeActions(live) });
  await settle();
  await settle();
  stdin.type('q');
  assert.deepEqual(await done, { reason: 'quit' });
  assert.match(stdout.text, /Start VM 100/, 'the ready content replaced the connecting one');

  // A key typed while connecting is not lost: the Guests view opened then is the view the tasks arrive in.
  const connecting2 = createTaskStore();
  let ready2!: (content: { store: TaskStore; actions: FakeActions }) => void;
  const second = start({
    store: connecting2,
    actions: new FakeActions(connecting2),
    ready: () => new Promise((resolve) => (ready2 = resolve)),
  });
  await settle();
  second.stdin.type('\t');
  await settle();
  ready2({ store: live, actions: new FakeActions(live) });
  await settle();
  await settle();
  second.stdin.type('q');
  await second.done;
  // (Frames come at most 8 a second: the last one, drawn as the board ends, is the one to read.)
  const screen = new VirtualTerminal(80, 24);
  screen.write(second.stdout.text);
  const shown = screen.screen().join('\n');
  assert.match(shown, /\[Guests\]/, shown);
  assert.match(shown, /Tasks: mine .*\n[^]*ok 1 · /, 'the ready content, in its own default scope');

  // Leaving before it is ready: the board ends; what is ready later is not drawn.
  const early = start({ ready: () => new Promise(() => {}) });
  await settle();
  early.stdin.type('q');
  assert.deepEqual(await early.done, { reason: 'quit' });
});

test('when `ready` fails, the board ends, the screen is restored, and the error is thrown', async () => {
  const { stdout, stdin, done } = start({ ready: () => Promise.reject(new Error('cannot connect to https://pve1:8006: refused')) });
  await assert.rejects(done, /cannot connect to https:\/\/pve1:8006: refused/);
  assert.equal(stdout.chunks.at(-1), LEAVE);
  assert.equal(stdin.rawMode, false);
});
