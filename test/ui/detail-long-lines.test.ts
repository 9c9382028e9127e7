// The detail view at 80x24 (issue 15): a long status or log line is never cut without a way to read
// it: w wraps, ←/→ scroll sideways; s saves the whole log to a file; y copies the UPID (OSC 52, opt-in).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { logFileName } from '../../src/tasks/log-file.js';
import { createTaskStore, type TaskStore } from '../../src/tasks/store.js';
import { osc52 } from '../../src/ui/clipboard.js';
import { cutColumns, wrapColumns } from '../../src/ui/format.js';
import { FakeActions, KEY, addTask, cleanup, lineWith, linesOf, mountBoard, rowOf, settle } from './helpers.js';

afterEach(() => cleanup());

const ERROR =
  "command '/usr/bin/kvm -id 900 -name vm900 -chardev socket,id=qmp,path=/var/run/qemu-server/900.qmp,server=on,wait=off' failed: exit code 1";
const LONG_LINE = `kvm: -drive file=/dev/pve/vm-900-disk-0,if=none,id=drive-scsi0,format=raw,cache=none,aio=io_uring: Could not open '/dev/pve/vm-900-disk-0': No such file or directory (END)`;

function failedTask(): { store: TaskStore; key: string } {
  const store = createTaskStore();
  const key = addTask(store, { vmid: 900, state: 'failed', exitStatus: ERROR, endedAfter: 4000 });
  const lines = ['INFO: starting', LONG_LINE, ...Array.from({ length: 20 }, (_, i) => `INFO: short line ${i + 1}`)];
  store.getState().update((tx) => tx.setFocusLog({ key, lines, read: lines.length }));
  return { store, key };
}

test('wrapColumns and cutColumns: by display width, marking each cut', () => {
  assert.deepEqual(wrapColumns('the quick brown fox jumps', 10), ['the quick ', 'brown fox ', 'jumps']);
  assert.deepEqual(wrapColumns('abcdefghijklmnop', 6), ['abcdef', 'ghijkl', 'mnop'], 'a long word is cut, never lost');
  assert.equal(cutColumns('0123456789abcdef', 0, 10, '…'), '012345678…');
  assert.equal(cutColumns('0123456789abcdef', 4, 10, '…'), '…56789abc…');
  assert.equal(cutColumns('0123456789abcdef', 8, 10, '~'), '~9abcdef');
  assert.equal(cutColumns('short', 0, 10, '…'), 'short');
});

test('at 80x24, a long status line and a long log line end in … and → scrolls them until their ends show', async () => {
  const { store } = failedTask();
  const board = await mountBoard({ store });
  await board.press(KEY.enter, 'g');
  let frame = board.frame();
  assert.match(lineWith(frame, 'Status')!, /…$/, 'cut at first');
  assert.match(frame, /Log · not following .* · cols 1\+ \(←\/→, w wraps\)/);
  const logLine = () => linesOf(board.frame()).find((line) => line.includes('vm-900-disk-0') || line.includes('(END)'))!;
  assert.match(logLine(), /…$/);
  for (let i = 0; i < 12 && !/\(END\)$/.test(logLine()); i++) await board.press(KEY.right);
  assert.match(logLine(), /^….*\(END\)$/, 'the end of the log line reached');
  frame = board.frame();
  assert.match(lineWith(frame, 'Status')!, /^Status +….*exit code 1$/, 'the status line scrolled to its end too');
  assert.match(lineWith(frame, 'UPID')!, /^UPID +UPID:pve1:/, 'a field that fits does not move');
  for (const line of linesOf(frame)) assert.ok([...line].length <= 80);
  await board.press(KEY.right, KEY.right);
  assert.match(logLine(), /\(END\)$/, 'it stops at the end');
  await board.press('h', 'h', 'h', 'h', 'h', 'h', 'h', 'h', 'h', 'h', 'h', 'h');
  assert.match(logLine(), /^kvm: -drive/, 'h (and ←) scrolls back to the start');
  assert.equal(linesOf(board.frame()).length, 23);
});

test('at 80x24, w wraps: the whole status and log line show on several lines; w again cuts them', async () => {
  const { store } = failedTask();
  const board = await mountBoard({ store });
  await board.press(KEY.enter, 'g', 'w');
  const frame = board.frame();
  const lines = linesOf(frame);
  assert.equal(lines.length, 23, 'the frame keeps rows - 1');
  const text = lines.join('\n');
  assert.ok(!lines.some((line) => line.endsWith('…')), `nothing cut:\n${text}`);
  assert.match(text, /Status +✗ failed {2}command '\/usr\/bin\/kvm/);
  assert.match(text, /failed: exit code 1$/m);
  assert.match(text, /^kvm: -drive file=/m);
  assert.match(text, /\(END\)$/m);
  assert.match(text, /Log · not following.* · screen lines 1-\d+ of \d+ · wrapped \(w cuts\)/);
  await board.press(KEY.right);
  assert.match(linesOf(board.frame()).at(-1)!, /nothing to scroll sideways \(w cuts them\)/);
  await board.press('w');
  assert.match(lineWith(board.frame(), 'Status')!, /…$/);
  assert.match(board.frame(), /^INFO: starting$/m, 'the same log line stays at the top');
});

test('--ascii: the cut marks are ASCII too', async () => {
  const { store } = failedTask();
  const board = await mountBoard({ store, ascii: true });
  await board.press(KEY.enter, 'g', KEY.right);
  const odd = [...board.frame()].filter((char) => char.charCodeAt(0) > 0x7e);
  assert.deepEqual(odd, []);
  assert.match(lineWith(board.frame(), 'Status')!, /^Status +~/);
});

test('s saves the whole log to a private file in the state dir and says where', async () => {
  const { store, key } = failedTask();
  const actions = new FakeActions(store);
  const dir = mkdtempSync(join(tmpdir(), 'pvetasks-save-'));
  try {
    actions.logDirs.push(join(dir, 'state'));
    actions.logLines = [
      'INFO: starting',
      'evil \u001b[2J\u001b]0;title\u0007 line',
      ...Array.from({ length: 1500 }, (_, i) => `line ${i}`),
    ];
    const board = await mountBoard({ store, actions });
    await board.press(KEY.enter, 's');
    assert.deepEqual(actions.callsOf('saveTaskLog'), [[key]]);
    for (let i = 0; i < 10 && !/saved/.test(board.frame()); i++) await settle();
    const path = join(dir, 'state', logFileName(rowOf(store, key).upid!));
    // The message is longer than 80 columns: it takes the tally's line too rather than end in an ellipsis.
    const footer = linesOf(board.frame()).slice(-2).join('');
    assert.equal(footer, `saved 1502 lines of the log to ${path}`);
    const text = readFileSync(path, 'utf8');
    assert.equal(text.split('\n').length, 1503);
    assert.doesNotMatch(text, /\u001b|\u0007/, 'sanitized: no escape reaches the file');
    assert.equal(statSync(path).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('y copies the UPID only when OSC 52 was turned on; off by default, and it says how to turn it on', async () => {
  const { store, key } = failedTask();
  const off = await mountBoard({ store });
  await off.press('y');
  assert.equal(linesOf(off.frame()).at(-1), '! copying is off: --osc52 or PVETASKS_OSC52=1 turns it on (OSC 52)');
  off.unmount();
  cleanup();

  const copied: string[] = [];
  const on = await mountBoard({ store, copyText: (text) => copied.push(text) });
  await on.press('y');
  assert.deepEqual(copied, [rowOf(store, key).upid]);
  assert.match(on.frame(), /copied the UPID of Start VM 900 \(OSC 52\)/);
  await on.press(KEY.enter, 'y');
  assert.equal(copied.length, 2, 'in the detail view too');
  // The sequence: base64, so nothing in the text can end it early.
  assert.equal(osc52('UPID:a:b:'), `\u001b]52;c;${Buffer.from('UPID:a:b:').toString('base64')}\u0007`);
  assert.doesNotMatch(osc52('x\u0007\u001b\\y'), /x\u0007/);
});
