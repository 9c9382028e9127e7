/**
 * The benchmark's baseline output stage: what Ink's own incremental writer does, rewrite every line
 * that changed, whole, with its colours, and erase the rest of it. The baseline binary is the real
 * one bundled with this module in place of src/ui/ink-output.ts (see `baselineBinary`), so the two
 * differ only in what they write for the same frames.
 */
import { TerminalModel, type Screen } from '../../src/ui/screen.js';
import { DEFAULT_STYLE, sgrTransition } from '../../src/ui/sgr.js';

const CSI = '\u001b[';

function lineText(screen: Screen, row: number): string {
  const { chars, styles } = screen.lines[row]!;
  let end = screen.columns;
  while (end > 0 && chars[end - 1] === ' ' && styles[end - 1] === DEFAULT_STYLE) end--;
  let out = '';
  let style = DEFAULT_STYLE;
  for (let col = 0; col < end; col++) {
    out += sgrTransition(style, styles[col]!) + chars[col]!;
    style = styles[col]!;
  }
  return out + sgrTransition(style, DEFAULT_STYLE);
}

export function createOutputStage<T extends NodeJS.WriteStream>(terminal: T) {
  const model = new TerminalModel(terminal.columns || 80, terminal.rows || 24, (mode) => {
    if (!mode.startsWith(`${CSI}?2026`)) modes += mode;
  });
  let modes = '';
  let shown: string[] = [];
  let scheduled = false;
  const flush = (callback?: () => void) => {
    scheduled = false;
    let frame = '';
    for (let row = 0; row < model.screen.rows; row++) {
      const line = lineText(model.screen, row);
      if (line !== (shown[row] ?? '')) frame += `${CSI}${row + 1}H${line}${CSI}K`;
      shown[row] = line;
    }
    const out = modes + (frame ? `${CSI}?2026h${frame}${CSI}?2026l` : '');
    modes = '';
    if (out || callback) (terminal.write as (chunk: string, callback?: () => void) => boolean)(out, callback);
  };
  const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    if (terminal.columns !== model.screen.columns || terminal.rows !== model.screen.rows) {
      model.resize(terminal.columns, terminal.rows);
      shown = [];
    }
    model.write(String(chunk));
    const done = [encoding, callback].find((item): item is () => void => typeof item === 'function');
    if (done) flush(done);
    else if (!scheduled) {
      scheduled = true;
      queueMicrotask(() => scheduled && flush());
    }
    return true;
  };
  const stream = new Proxy(terminal, {
    get(target, property) {
      if (property === 'write') return write;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { stream, flush: () => flush(), close: () => {} };
}
