/**
 * The terminal stream handed to Ink, with one correction. Ink 6.8's incremental writer starts each
 * frame by moving the cursor up `lines - 1` rows, assuming it sits on the frame's last line; but a
 * frame shorter than the terminal (ours is at most rows - 1) ends with a newline, so the cursor sits
 * one row lower, and every frame lands one line low and scrolls the screen. The frame write is the
 * only one that begins with a bare cursor-up, so that sequence is bumped by one here. (Ink 7 needs
 * Node 22; revisit when moving on.) Everything else passes through untouched.
 */
const LEADING_CURSOR_UP = /^\u001b\[(\d*)A/;

export function correctedInkOutput<T extends NodeJS.WriteStream>(stream: T): T {
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    let data = chunk;
    if (typeof chunk === 'string') {
      data = chunk.replace(LEADING_CURSOR_UP, (_, count: string) => `\u001b[${(count === '' ? 1 : Number(count)) + 1}A`);
    }
    return (stream.write as (...args: unknown[]) => boolean)(data, ...rest);
  };
  return new Proxy(stream, {
    get(target, property) {
      if (property === 'write') return write;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
