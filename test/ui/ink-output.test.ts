import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Box, render, Text } from 'ink';
import { createElement as h } from 'react';
import { createOutputStage } from '../../src/ui/ink-output.js';
import { TerminalModel } from '../../src/ui/screen.js';
import { FakeStdout } from '../helpers/fake-tty.js';

const ESC = '\u001b[';
const SYNC = (body: string) => `${ESC}?2026h${body}${ESC}?2026l`;

/** Ink's standard writer: erase the previous frame's lines, then the frame and a newline. */
function inkFrame(lines: string[], previous: number): string {
  let erase = '';
  for (let i = 0; i < previous; i++) erase += `${ESC}2K${i < previous - 1 ? `${ESC}1A` : ''}`;
  if (previous > 0) erase += `${ESC}G`;
  return `${erase}${lines.join('\n')}\n`;
}

/** A stage over a fake terminal; `frame(lines)` writes one frame as Ink would and returns what reached the terminal. */
function stageOn(columns: number, rows: number) {
  const terminal = new FakeStdout(columns, rows);
  const stage = createOutputStage(terminal as unknown as NodeJS.WriteStream);
  let previous = 0;
  return {
    terminal,
    stage,
    frame(lines: string[]): string {
      const before = terminal.chunks.length;
      stage.stream.write(inkFrame(lines, previous));
      previous = lines.length + 1;
      stage.flush();
      return terminal.chunks.slice(before).join('');
    },
  };
}

const cyan = (text: string) => `${ESC}36m${text}${ESC}39m`;

test('the first frame repaints the screen from the top left, inside one synchronized update', () => {
  const { frame } = stageOn(20, 5);
  assert.equal(frame(['top', `a ${cyan('12s')} OK`]), SYNC(`${ESC}m${ESC}H${ESC}2Jtop${ESC}Ea ${ESC}36m12s${ESC}m OK`));
});

test('a changed digit is written alone: one move, its colour, the digit, back to plain', () => {
  const { frame } = stageOn(20, 5);
  frame(['top', `a ${cyan('12s')} OK`]);
  assert.equal(frame(['top', `a ${cyan('13s')} OK`]), SYNC(`${ESC}2;4H${ESC}36m3${ESC}m`));
});

test('an unchanged frame writes nothing at all', () => {
  const { frame } = stageOn(20, 5);
  frame(['top', 'same']);
  assert.equal(frame(['top', 'same']), '');
});

test('changes far apart on one line are two runs; the second is reached by a relative move', () => {
  const { frame } = stageOn(40, 5);
  frame(['x', 'VM 101  running   00:12   node1']);
  assert.equal(frame(['x', 'VM 101  finished  00:12   node2']), SYNC(`${ESC}2;9Hfinished${ESC}14C2`));
});

test('changes a cell apart are joined: rewriting the cell between costs less than a move', () => {
  const { frame } = stageOn(20, 5);
  frame(['x', 'abcdef']);
  assert.equal(frame(['x', 'aXcYef']), SYNC(`${ESC}2;2HXcY`));
});

test('a line that gets shorter is cut with an erase to its end, not spaces', () => {
  const { frame } = stageOn(40, 5);
  frame(['x', 'failed: could not connect to node']);
  assert.equal(frame(['x', 'failed']), SYNC(`${ESC}2;7H${ESC}K`));
  // Two blanks are cheaper than an erase.
  frame(['x', 'abcd']);
  assert.equal(frame(['x', 'ab']), SYNC(`${ESC}2;3H  `));
});

test('rows that did not change are skipped; each changed row gets its own move, the shortest there is', () => {
  const { frame } = stageOn(20, 6);
  frame(['one', 'two', 'three', 'four']);
  assert.equal(frame(['one', 'twX', 'three', 'fouX']), SYNC(`${ESC}2;3HX${ESC}2BX`));
});

test('wide characters are written whole: a changed half rewrites the character, and the column count stays right', () => {
  const { frame } = stageOn(20, 4);
  frame(['x', 'ab漢字cd']);
  // The second half of 字 changes to a narrow pair: both cells are written.
  assert.equal(frame(['x', 'ab漢XYcd']), SYNC(`${ESC}2;5HXY`));
  // And back: the wide character covers both cells again.
  assert.equal(frame(['x', 'ab漢字cd']), SYNC(`${ESC}2;5H字`));
  // After a wide character the cursor is two cells on: the next change needs no move of its own.
  assert.equal(frame(['x', 'ab漢字Xd']), SYNC(`${ESC}2;7HX`));
  assert.equal(frame(['x', 'ab🚀字Xd']), SYNC(`${ESC}2;3H🚀`));
});

test('attributes change by the shortest sequence: only what differs, or a reset when that is shorter', () => {
  const { frame } = stageOn(20, 4);
  frame(['x', `${ESC}1;36mab${ESC}22;39m`]);
  // Bold stays, colour changes: one parameter.
  assert.equal(frame(['x', `${ESC}1;36ma${ESC}33mb${ESC}22;39m`]), SYNC(`${ESC}2;2H${ESC}1;33mb${ESC}m`));
  // Inverse on a new cell: the cursor-row highlight.
  assert.equal(frame(['x', `${ESC}1;36ma${ESC}33mb${ESC}22;39m${ESC}7mc${ESC}27m`]), SYNC(`${ESC}2;3H${ESC}7mc${ESC}m`));
});

test('padding in a colour is a blank like any other; a blank that shows its style (inverse, underline, background) is not', () => {
  const { frame } = stageOn(20, 4);
  frame(['x', `ab${cyan('    ')}cd`]);
  assert.equal(frame(['x', `ab${ESC}32m    ${ESC}39mcd`]), '');
  assert.equal(frame(['x', 'ab    cd']), '');
  assert.equal(frame(['x', `ab${ESC}7m    ${ESC}27mcd`]), SYNC(`${ESC}2;3H${ESC}7m    ${ESC}m`));
  assert.equal(frame(['x', `ab${ESC}44m    ${ESC}49mcd`]), SYNC(`${ESC}2;3H${ESC}44m    ${ESC}m`));
});

test('a row that leaves the list: the terminal deletes it in a region and the rows under it close up, not rewritten', () => {
  const { frame } = stageOn(40, 10);
  const rows = [
    'header',
    'VM 101 - Start web-01   12s',
    'VM 102 - Start db-01    14s',
    'VM 103 - Start app-01   15s',
    'VM 104 - Start mq-01    17s',
  ];
  frame([...rows, 'footer']);
  // VM 102 ends and leaves the view; VM 105 comes in at the bottom of the list.
  const after = [rows[0]!, rows[1]!, rows[3]!, rows[4]!, 'VM 105 - Start ci-01    19s', 'footer'];
  // Region rows 3-5, delete row 3, insert a blank row 5, reset the region (the cursor goes home), then the new row.
  assert.equal(frame(after), SYNC(`${ESC}3;5r${ESC}3H${ESC}M${ESC}5H${ESC}L${ESC}r${ESC}5HVM 105 - Start ci-01    19s`));
});

test('a launch entering at the top pushes the rows down with one insert; the row that falls off the list goes', () => {
  const { frame } = stageOn(60, 10);
  const rows = [
    '… VM 565 - Start k8s-cp-19   pve2   queued',
    '… CT 562 - Start proxy-15    pve4   queued',
    '… CT 561 - Start ldap-16     pve2   queued',
  ];
  frame(['header', ...rows, 'footer']);
  const after = ['header', '● VM 164 - Start vpn-06      pve1   0s', rows[0]!, rows[1]!, 'footer'];
  assert.equal(frame(after), SYNC(`${ESC}2;4r${ESC}4H${ESC}M${ESC}2H${ESC}L${ESC}r${ESC}B● VM 164 - Start vpn-06${ESC}6Cpve1   0s`));
});

test('moves are used only when they cost less: one changed row is written, not moved', () => {
  const { frame } = stageOn(40, 6);
  frame(['a', 'bb', 'cc']);
  assert.equal(frame(['a', 'cc', 'bb']), SYNC(`${ESC}2Hcc${ESC}Ebb`));
});

test('a frame as tall as the terminal, which Ink draws by clearing the screen, still writes only what changed and never scrolls', () => {
  const { terminal, stage } = stageOn(20, 4);
  const full = (lines: string[]) => {
    const before = terminal.chunks.length;
    stage.stream.write(`${ESC}2J${ESC}3J${ESC}H${lines.join('\n')}`);
    stage.flush();
    return terminal.chunks.slice(before).join('');
  };
  full(['one', 'two', 'three', 'four']);
  assert.equal(full(['one', 'two', 'three', 'fouR']), SYNC(`${ESC}4;4HR`));
  const screen = new TerminalModel(20, 4);
  screen.write(terminal.text);
  assert.deepEqual(
    [0, 1, 2, 3].map((row) => screen.screen.text(row)),
    ['one', 'two', 'three', 'fouR'],
  );
});

test('a resize repaints everything at the new size', () => {
  const { frame, terminal, stage } = stageOn(20, 5);
  frame(['top', 'body']);
  terminal.columns = 30;
  terminal.emit('resize');
  const before = terminal.chunks.length;
  stage.flush();
  assert.equal(terminal.chunks.slice(before).join(''), SYNC(`${ESC}m${ESC}H${ESC}2Jtop${ESC}Ebody`));
});

test('mode switches pass through; Ink’s own synchronized-update brackets are replaced by the stage’s', () => {
  const { terminal, stage } = stageOn(20, 5);
  stage.stream.write(`${ESC}?25l`);
  stage.stream.write(`${ESC}?2026h`);
  stage.stream.write('hi\n');
  stage.stream.write(`${ESC}?2026l`);
  stage.flush();
  assert.equal(terminal.text, `${ESC}?25l${SYNC(`${ESC}m${ESC}H${ESC}2Jhi`)}`);
});

test('a write with a callback is answered after the frame before it reached the terminal', async () => {
  const { terminal, stage } = stageOn(20, 5);
  const order: string[] = [];
  (terminal as unknown as { write: (chunk: string, callback?: () => void) => boolean }).write = (chunk, callback) => {
    order.push(chunk === '' ? 'barrier' : 'frame');
    callback?.();
    return true;
  };
  stage.stream.write('hello\n');
  await new Promise<void>((resolve) => stage.stream.write('', () => resolve()));
  assert.deepEqual(order, ['frame']);
});

/** Random frames of words, colours and wide characters; each diff replayed on a model of the terminal. */
test('replayed on a terminal, every diff leaves exactly the intended screen (2,000 random frames)', () => {
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const words = ['OK', 'running', 'VM 101', '漢字', '🚀', 'é', 'x', '  ', 'failed: exit code 1', '12s', '—'];
  const styles = ['', '1', '2', '3', '4', '7', '31', '36', '90', '1;32', '38;5;208', '48;5;17', '38;2;1;2;3', '7;33'];
  const columns = 30;
  const rows = 8;
  const terminal = new FakeStdout(columns, rows);
  const stage = createOutputStage(terminal as unknown as NodeJS.WriteStream);
  const replay = new TerminalModel(columns, rows);
  const intended = new TerminalModel(columns, rows);
  let previous = 0;
  let lines: string[] = [];
  for (let n = 0; n < 2000; n++) {
    const height = 1 + random(rows - 1);
    lines = Array.from({ length: height }, (_, i) => {
      if (i < lines.length && random(3) > 0) return lines[i]!;
      let line = '';
      let width = 0;
      while (width < columns - 8 && random(5) > 0) {
        const word = words[random(words.length)]!;
        const style = styles[random(styles.length)]!;
        line += style ? `${ESC}${style}m${word}${ESC}0m ` : `${word} `;
        width += word.length * 2 + 1;
      }
      return line;
    });
    const written = inkFrame(lines, previous);
    previous = lines.length + 1;
    intended.write(written);
    const before = terminal.chunks.length;
    stage.stream.write(written);
    stage.flush();
    replay.write(terminal.chunks.slice(before).join(''));
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < columns; col++) {
        assert.ok(
          replay.screen.sameCell(row, col, intended.screen),
          `frame ${n}, row ${row}, column ${col}: ${replay.screen.text(row)} vs ${intended.screen.text(row)}`,
        );
      }
    }
  }
});

test('the board path: Ink frames through the stage land where the first one did, and nothing scrolls', async () => {
  const terminal = new FakeStdout(40, 10);
  const stage = createOutputStage(terminal as unknown as NodeJS.WriteStream);
  const frame = (n: number) =>
    h(Box, { flexDirection: 'column' }, h(Text, null, 'header'), h(Text, null, `count ${n}`), h(Text, null, 'footer'));
  const app = render(frame(0), { stdout: stage.stream, incrementalRendering: false, maxFps: 1000, patchConsole: false });
  for (let n = 1; n <= 5; n++) {
    app.rerender(frame(n));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  app.unmount();
  stage.flush();
  const screen = new TerminalModel(40, 10);
  screen.write(terminal.text);
  assert.deepEqual(
    [0, 1, 2, 3].map((row) => screen.screen.text(row)),
    ['header', 'count 5', 'footer', ''],
  );
  // After the first frame, each update wrote only the digit that changed.
  const digits = terminal.chunks.filter((chunk) => chunk.includes('2026h')).slice(1);
  assert.ok(digits.length >= 5);
  for (const chunk of digits) assert.match(chunk, /^\u001b\[\?2026h\u001b\[2;7H\d\u001b\[\?2026l$/);
});
