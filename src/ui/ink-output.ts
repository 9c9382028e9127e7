/**
 * The board's output stage: the stream handed to Ink in place of the terminal. Ink writes whole
 * frames (its standard, non-incremental writer); the stage replays them on a model of the screen
 * (`TerminalModel`: what Ink meant the terminal to show) and writes the terminal only the cells that
 * changed since the last frame (`ScreenPainter`), each frame inside one synchronized update. We run
 * on the alternate screen, so the stage places everything absolutely from the top left.
 *
 * Bounded: two screens (Ink's and the terminal's) of rows x columns cells, whatever the session.
 * A resize repaints everything: what a terminal keeps of its screen then is its own business.
 * Private modes Ink sets (cursor visibility) pass through; its synchronized-update brackets are
 * replaced by the stage's own, one pair per frame actually written.
 */
import { ScreenPainter } from './screen-diff.js';
import { TerminalModel } from './screen.js';

const SYNC_START = '\u001b[?2026h';
const SYNC_END = '\u001b[?2026l';
const SYNCHRONIZED_UPDATE = /^\u001b\[\?2026[hl]$/;

type WriteCallback = (error?: Error | null) => void;

/** Ink's size defaults when the stream has none (a pipe): 80 columns; rows do not matter then. */
const sizeOf = (stream: NodeJS.WriteStream) => ({ columns: stream.columns || 80, rows: stream.rows || 24 });

export interface OutputStage<T> {
  /** The stream to give Ink. */
  stream: T;
  /** Writes what is still pending now (the stage otherwise writes once per burst of Ink writes). */
  flush(): void;
  /** Stops listening to the terminal's resizes. */
  close(): void;
}

export function createOutputStage<T extends NodeJS.WriteStream>(terminal: T): OutputStage<T> {
  let size = sizeOf(terminal);
  /** Mode switches to pass on, in order, before the next frame. */
  let modes = '';
  const model = new TerminalModel(size.columns, size.rows, (mode) => {
    if (!SYNCHRONIZED_UPDATE.test(mode)) modes += mode;
  });
  const painter = new ScreenPainter();
  let scheduled = false;
  let dirty = false;

  const checkSize = () => {
    const now = sizeOf(terminal);
    if (now.columns === size.columns && now.rows === size.rows) return;
    size = now;
    model.resize(now.columns, now.rows);
    painter.invalidate();
    dirty = true;
  };

  const flush = (callback?: WriteCallback) => {
    scheduled = false;
    checkSize();
    const frame = dirty ? painter.paint(model.screen) : '';
    dirty = false;
    const out = modes + (frame === '' ? '' : SYNC_START + frame + SYNC_END);
    modes = '';
    if (out !== '' || callback) (terminal.write as (chunk: string, callback?: WriteCallback) => boolean)(out, callback);
  };

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    // Ink writes a frame as several synchronous writes (brackets, the frame): one flush after them.
    queueMicrotask(() => {
      if (scheduled) flush();
    });
  };

  const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const done = [encoding, callback].find((item): item is WriteCallback => typeof item === 'function');
    checkSize();
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk ?? '');
    if (text !== '') {
      model.write(text);
      dirty = true;
    }
    // A write with a callback (Ink's last one, on unmount) is answered after what came before it.
    if (done) flush(done);
    else schedule();
    return true;
  };

  const onResize = () => {
    checkSize();
    schedule();
  };
  terminal.on('resize', onResize);

  const stream = new Proxy(terminal, {
    get(target, property) {
      if (property === 'write') return write;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    stream,
    flush: () => flush(),
    close: () => {
      terminal.off('resize', onResize);
    },
  };
}
