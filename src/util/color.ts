/**
 * One colour policy for the board and the commands, decided in this order (first match wins):
 * 1. `--no-color` (`flag === false`): off.
 * 2. NO_COLOR set to anything but '' (no-color.org): off, whatever FORCE_COLOR says.
 * 3. FORCE_COLOR: `0` or `false` off; any other non-empty value on, even without a terminal (as chalk
 *    and Ink read it); '' counts as unset, like an empty NO_COLOR.
 * 4. TERM=dumb: off (such a terminal prints escape codes as text).
 * 5. Otherwise on exactly when the stream is a terminal.
 * Colour never carries meaning on its own: every state is also a word or a glyph.
 */
export interface ColorContext {
  env: NodeJS.ProcessEnv;
  /** The `--color` switch as parsed: `--no-color` gives false; undefined when not given. */
  flag?: boolean | undefined;
  /** Whether the stream written to is a terminal. */
  isTTY?: boolean | undefined;
}

export function colorEnabled({ env, flag, isTTY }: ColorContext): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  if (env.TERM === 'dumb') return false;
  return isTTY === true;
}
