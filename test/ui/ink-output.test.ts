import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Box, render, Text } from 'ink';
import { createElement as h } from 'react';
import { correctedInkOutput } from '../../src/ui/ink-output.js';
import { VirtualTerminal } from '../helpers/vt.js';

/** A TTY-like stream that feeds a virtual terminal. */
function ttyInto(terminal: VirtualTerminal): NodeJS.WriteStream {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      terminal.write(String(chunk));
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: true, columns: terminal.columns, rows: terminal.rows });
  return stream;
}

const frame = (n: number) =>
  h(Box, { flexDirection: 'column' }, h(Text, null, 'header'), h(Text, null, `count ${n}`), h(Text, null, 'footer'));

async function renderUpdates(corrected: boolean): Promise<VirtualTerminal> {
  const terminal = new VirtualTerminal(40, 10);
  const tty = ttyInto(terminal);
  const stdout = corrected ? correctedInkOutput(tty) : tty;
  const app = render(frame(0), { stdout, incrementalRendering: true, maxFps: 1000, patchConsole: false });
  for (let n = 1; n <= 5; n++) {
    app.rerender(frame(n));
    // Let Ink's throttled writer flush this frame before the next one.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  app.unmount();
  return terminal;
}

test('incremental frames land where the first one did: the screen shows the last frame, nothing scrolled', async () => {
  const terminal = await renderUpdates(true);
  assert.deepEqual(terminal.screen().slice(0, 3), ['header', 'count 5', 'footer']);
  assert.equal(terminal.scrolled, 0);
});

test('without the correction Ink 6.8 draws each frame one line lower (the bug this works around)', async () => {
  const terminal = await renderUpdates(false);
  assert.notDeepEqual(terminal.screen().slice(0, 3), ['header', 'count 5', 'footer']);
});
