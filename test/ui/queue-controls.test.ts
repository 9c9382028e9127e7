// The launch queue steered from the board (issue 15): P pauses and resumes it, X cancels everything
// queued after a y/N question, L changes both limits live; the view bar shows the queue while there is
// one; `a` watches a UPID started elsewhere.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore } from '../../src/tasks/store.js';
import { bindingsFor, keysLabel } from '../../src/ui/keymap.js';
import { FakeActions, KEY, T0, addTask, cleanup, lineWith, linesOf, mountBoard, upid } from './helpers.js';

afterEach(() => cleanup());

function withQueue(count: number) {
  const store = createTaskStore();
  for (let i = 0; i < count; i++) {
    store.getState().update((tx) =>
      tx.add({
        mine: true,
        firstSeenAt: T0 - 1000 * i,
        node: 'pve1',
        type: 'qmstart',
        vmids: [100 + i],
        description: `Start VM ${100 + i}`,
        launch: { action: 'start', node: 'pve1', guests: [{ vmid: 100 + i, type: 'qemu' }], params: {} },
      }),
    );
  }
  addTask(store, { vmid: 300, state: 'running' });
  return { store, actions: new FakeActions(store) };
}

const viewBar = (frame: string) => linesOf(frame)[1]!;

test('the view bar shows the queue while there is one: waiting launches and the limits', async () => {
  const { store, actions } = withQueue(3);
  const board = await mountBoard({ store, actions });
  assert.match(viewBar(board.frame()), /queue: 3 waiting, 4 at once, 4 per node {2}4 tasks$/);
  const empty = await mountBoard({ store: createTaskStore() });
  assert.doesNotMatch(viewBar(empty.frame()), /queue/, 'no queue, no word about it');
});

test('P pauses the launch queue and resumes it; the view bar says PAUSED', async () => {
  const { store, actions } = withQueue(2);
  const board = await mountBoard({ store, actions });
  await board.press('P');
  assert.deepEqual(actions.callsOf('setQueuePaused'), [[true]]);
  assert.match(viewBar(board.frame()), /queue PAUSED: 2 waiting/);
  assert.match(board.frame(), /launch queue paused: queued launches wait/);
  await board.press('P');
  assert.deepEqual(actions.callsOf('setQueuePaused'), [[true], [false]]);
  assert.doesNotMatch(viewBar(board.frame()), /PAUSED/);
  // The Guests view has the same keys.
  await board.press(KEY.tab, 'P');
  assert.match(viewBar(board.frame()), /^\[Guests\].*queue PAUSED: 2 waiting/);
});

test('X asks before cancelling every queued launch; No is the default; y cancels them all', async () => {
  const { store, actions } = withQueue(3);
  const board = await mountBoard({ store, actions });
  await board.press('X');
  assert.match(board.frame(), /Cancel 3 queued launches\?/);
  assert.match(board.frame(), /Launches already sent go on/);
  assert.match(board.frame(), /\[y\/N\]/);
  await board.press(KEY.enter);
  assert.deepEqual(actions.callsOf('cancelQueued'), [], 'Enter is No');
  assert.equal(store.getState().tallies.mine.queued, 3);
  await board.press('X', 'y');
  assert.deepEqual(actions.callsOf('cancelQueued'), [[]]);
  assert.equal(store.getState().tallies.mine.queued, 0);
  assert.match(board.frame(), /cancelled 3 queued launches$/m);
  await board.press('X');
  assert.match(linesOf(board.frame()).at(-1)!, /^no queued launch to cancel$/);
  assert.doesNotMatch(board.frame(), /Cancel \d/);
});

test('L changes both limits live: arrows step, digits are typed, a bad value is refused in the dialog', async () => {
  const { store, actions } = withQueue(2);
  const board = await mountBoard({ store, actions });
  await board.press('L');
  assert.match(board.frame(), /Launch limits/);
  assert.match(board.frame(), /1 to \d+ each; launches already sent go on/, 'one cluster: no word of clusters');
  assert.match(lineWith(board.frame(), 'At once')!, /> At once: +4_/);
  assert.match(lineWith(board.frame(), 'Per node')!, /Per node: +4 +│$/);
  await board.press(KEY.right, KEY.right, KEY.tab, KEY.backspace, '1', '2');
  assert.match(lineWith(board.frame(), 'At once')!, /At once: +6 +│$/);
  assert.match(lineWith(board.frame(), 'Per node')!, /> Per node: +12_/);
  await board.press(KEY.enter);
  assert.deepEqual(actions.callsOf('setLaunchLimits'), [[{ parallel: 6, perNode: 12 }]]);
  assert.match(board.frame(), /launch limits: 6 at once, 12 per node/);
  assert.match(viewBar(board.frame()), /6 at once, 12 per node/);

  await board.press('L', KEY.backspace, KEY.enter);
  assert.match(board.frame(), /each limit is a whole number from 1 to 64/);
  await board.press('9', '9', KEY.enter);
  assert.match(board.frame(), /each limit is a whole number from 1 to 64/, '99 is too many');
  await board.press(KEY.esc);
  assert.deepEqual(actions.callsOf('setLaunchLimits').length, 1, 'Esc changed nothing');
});

test('under --read-only P, X and L are off and say so', async () => {
  const { store, actions } = withQueue(2);
  const board = await mountBoard({ store, actions, readOnly: true });
  for (const key of ['P', 'X', 'L']) {
    await board.press(key);
    assert.match(linesOf(board.frame()).at(-1)!, /^! read-only: \w+ is off \(--read-only\)$/, key);
  }
  assert.deepEqual(
    actions.methods().filter((method) => method !== 'focusTask'),
    [],
  );
});

test('a watches a UPID started elsewhere: typed or pasted, checked, then a row of this session with the cursor on it', async () => {
  const store = createTaskStore();
  addTask(store, { vmid: 100, state: 'ok', exitStatus: 'OK', endedAfter: 1000 });
  const actions = new FakeActions(store);
  const board = await mountBoard({ store, actions, initialScope: 'cluster' });
  await board.press('a');
  assert.match(board.frame(), /Watch a task started elsewhere/);
  await board.press('UPID:nonsense', KEY.enter);
  assert.match(board.frame(), /! invalid UPID/);
  assert.deepEqual(actions.callsOf('watchTask'), []);
  // Backspace over the bad text, then a paste (one read) of a real UPID: every key is text, y and n too.
  await board.press(...Array.from({ length: 13 }, () => KEY.backspace));
  const elsewhere = upid('pve2', 555, T0 - 30_000, 'vzdump', 'backup@pve');
  await board.press(elsewhere, KEY.enter);
  assert.deepEqual(actions.callsOf('watchTask'), [[elsewhere]]);
  const frame = board.frame();
  assert.doesNotMatch(frame, /Watch a task/);
  assert.match(frame, /\[Tasks: mine\]/);
  assert.match(
    linesOf(frame).find((line) => line.startsWith('> '))!,
    /Backup/,
  );
  assert.match(frame, /watching /);
});

test('the new keys come from the keymap: the help lists them where they apply', async () => {
  const board = await mountBoard({ store: createTaskStore(), size: { columns: 120, rows: 60 } });
  await board.press('?');
  const frame = board.frame();
  for (const command of ['sortNext', 'problems', 'copyUpid', 'watchUpid', 'pauseQueue', 'cancelQueued', 'limits']) {
    const binding = bindingsFor('tasks').find((b) => b.command === command)!;
    assert.ok(frame.includes(`${keysLabel(binding, false)}`) && frame.includes(binding.description), command);
  }
  assert.match(frame, /OSC 52: only with --osc52 or PVETASKS_OSC52=1/, 'the help says copying is opt-in');
});
