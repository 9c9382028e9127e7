/**
 * Glyphs and colours of the board. Colour is decided by us (colorEnabled), not by Ink: Ink and chalk
 * ignore NO_COLOR, so with colour off the theme hands out no colour and no attribute at all, and every
 * status is also said by a glyph or a word. ASCII mode swaps every non-ASCII character for a twin.
 */
import type { TaskState } from '../tasks/store.js';

export type Tone = TaskState | 'accent' | 'muted' | 'error' | 'warn' | 'heading' | 'marked';

export interface Theme {
  readonly color: boolean;
  readonly ascii: boolean;
  readonly glyph: Readonly<Record<TaskState, string>>;
  readonly spinner: readonly string[];
  readonly bar: { readonly full: string; readonly empty: string };
  readonly ellipsis: string;
  /** Between items of a line: ` · ` or ` | `. */
  readonly separator: string;
  readonly border: 'round' | 'classic';
  readonly cursor: string;
  readonly mark: string;
  /** Ink colour name for a tone, or undefined with colour off. */
  colorOf(tone: Tone): string | undefined;
}

const UNICODE_GLYPHS: Record<TaskState, string> = {
  queued: '…',
  running: '●',
  ok: '✓',
  warnings: '!',
  failed: '✗',
  timeout: '◷',
  unknown: '?',
  skipped: '-',
};

const ASCII_GLYPHS: Record<TaskState, string> = {
  queued: '.',
  running: '*',
  ok: '+',
  warnings: '!',
  failed: 'x',
  timeout: 'T',
  unknown: '?',
  skipped: '-',
};

const TONE_COLORS: Record<Tone, string> = {
  queued: 'gray',
  running: 'cyan',
  ok: 'green',
  warnings: 'yellow',
  failed: 'red',
  timeout: 'magenta',
  unknown: 'yellow',
  skipped: 'gray',
  accent: 'cyan',
  muted: 'gray',
  error: 'red',
  warn: 'yellow',
  heading: 'blue',
  marked: 'yellow',
};

export function createTheme({ color, ascii }: { color: boolean; ascii: boolean }): Theme {
  return {
    color,
    ascii,
    glyph: ascii ? ASCII_GLYPHS : UNICODE_GLYPHS,
    spinner: ascii ? ['|', '/', '-', '\\'] : ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'],
    bar: ascii ? { full: '#', empty: '-' } : { full: '█', empty: '░' },
    ellipsis: ascii ? '~' : '…',
    separator: ascii ? ' | ' : ' · ',
    border: ascii ? 'classic' : 'round',
    cursor: '>',
    mark: '*',
    colorOf: (tone) => (color ? TONE_COLORS[tone] : undefined),
  };
}

/** True when the locale does not promise UTF-8 (LC_ALL wins over LC_CTYPE, which wins over LANG). */
export function shouldUseAscii(env: NodeJS.ProcessEnv): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return !/utf-?8/i.test(locale);
}

// The one colour policy, shared with the commands' output (src/util/color.ts).
export { colorEnabled } from '../util/color.js';
