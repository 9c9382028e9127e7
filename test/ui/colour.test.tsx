// Ink renders no styling under node --test unless colour is forced; this must come before Ink loads.
import './force-colour.js';
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore } from '../../src/tasks/store.js';
import { renderSummary } from '../../src/ui/summary.js';
import { colorEnabled } from '../../src/ui/theme.js';
import { KEY, addTask, cleanup, guest, mountBoard, setGuests } from './helpers.js';

afterEach(() => cleanup());

const ESCAPE = /\u001b\[\d+(;\d+)*m/;

function store() {
  const s = createTaskStore();
  addTask(s, { vmid: 100 });
  addTask(s, { vmid: 101, state: 'failed', exitStatus: 'boom', endedAfter: 10 });
  setGuests(s, [guest(100, { status: 'running' })]);
  return s;
}

test('with colour on, the frame carries colour codes (this test can fail)', async () => {
  const board = await mountBoard({ store: store(), color: true });
  assert.match(board.frame(), ESCAPE);
  await board.press(KEY.tab, 's');
  assert.match(board.frame(), ESCAPE);
});

test('NO_COLOR switches colour off although Ink would colour: no escape codes at all', async () => {
  const color = colorEnabled({ env: { NO_COLOR: '1', FORCE_COLOR: '1' }, isTTY: true });
  assert.equal(color, false);
  const board = await mountBoard({ store: store(), color });
  assert.doesNotMatch(board.frame(), /\u001b\[/);
  await board.press(KEY.enter);
  assert.doesNotMatch(board.frame(), /\u001b\[/);
  await board.press(KEY.esc, KEY.tab, 'b');
  assert.doesNotMatch(board.frame(), /\u001b\[/);
});

test('the summary is coloured only with colour on', () => {
  const s = store();
  const rows = s.getState().order.mine.map((key) => s.getState().row(key)!);
  assert.match(renderSummary(rows, { ascii: false, color: true, columns: 80 }), ESCAPE);
  assert.doesNotMatch(renderSummary(rows, { ascii: false, color: false, columns: 80 }), /\u001b\[/);
});
