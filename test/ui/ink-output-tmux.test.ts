// The output stage against a real terminal: Ink draws 1,000 random updates of a board-like frame
// (colours, attributes, wide characters, rows that move, appear and vanish) through the stage into
// one tmux pane, and the same frames are drawn from scratch into a second pane. Every ten updates
// both panes are read back with `capture-pane -e` (text and colours, cell by cell, as tmux holds
// them) and must agree: every character, and every cell's colours and attributes as far as they show
// (a blank in a foreground colour looks like any blank). Skipped only where tmux is missing (CI
// installs it).
import './force-colour.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Box, render, renderToString, Text } from 'ink';
import { createElement as h, type ReactElement } from 'react';
import { createOutputStage } from '../../src/ui/ink-output.js';
import { TerminalModel, type Screen } from '../../src/ui/screen.js';
import { BLINK, BOLD, DIM, HIDDEN, INVERSE, ITALIC, styleOf } from '../../src/ui/sgr.js';

const hasTmux = !spawnSync('tmux', ['-V']).error;
const COLUMNS = 72;
const ROWS = 18;
const UPDATES = 1000;
const CHECK_EVERY = 10;

/** A tmux server of our own with one pane per name, each showing what is written to its FIFO. */
class Panes {
  private readonly dir = mkdtempSync(join(tmpdir(), 'pvetasks-stage-'));
  private readonly socket = join(this.dir, 'tmux.sock');
  private readonly env = { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', TMUX: '' };
  readonly fifos = new Map<string, FileHandle>();

  tmux(...args: string[]): string {
    const result = spawnSync('tmux', ['-S', this.socket, '-f', '/dev/null', '-u', ...args], { encoding: 'utf8', env: this.env });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  }

  async open(name: string): Promise<void> {
    const fifo = join(this.dir, name);
    const made = spawnSync('mkfifo', [fifo]);
    if (made.status !== 0) throw new Error(`mkfifo: ${String(made.stderr)}`);
    // The pane's tty turns the stage's bytes into a screen, exactly as the board's own tty would.
    this.tmux('new-session', '-d', '-s', name, '-x', String(COLUMNS), '-y', String(ROWS), `exec cat ${fifo}`);
    this.fifos.set(name, await open(fifo, 'w'));
  }

  async write(name: string, text: string): Promise<void> {
    if (text !== '') await this.fifos.get(name)!.write(text);
  }

  /** Waits until every pane has processed everything written so far (a title set last comes back). */
  async settle(mark: string): Promise<void> {
    for (const name of this.fifos.keys()) await this.write(name, `\u001b]2;${mark}\u0007`);
    const deadline = Date.now() + 10_000;
    const done = () =>
      this.tmux('list-panes', '-a', '-F', '#{pane_title}')
        .trim()
        .split('\n')
        .every((title) => title === mark);
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`the panes never showed ${mark}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /**
   * The pane's cells as tmux holds them: `capture-pane -e` writes each cell with its attributes, and
   * `-N` keeps trailing blanks (an inverse blank at a line's end is a cell like any other).
   */
  cells(name: string): Screen {
    const model = new TerminalModel(COLUMNS, ROWS + 1);
    model.write(this.tmux('capture-pane', '-p', '-e', '-N', '-t', name));
    return model.screen;
  }

  async close(): Promise<void> {
    for (const handle of this.fifos.values()) await handle.close();
    spawnSync('tmux', ['-S', this.socket, 'kill-server'], { env: this.env });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A terminal for the stage: its size, and every byte handed on to the pane. */
class PaneStream extends EventEmitter {
  isTTY = true;
  columns = COLUMNS;
  rows = ROWS;
  pending = '';
  write(chunk: string, callback?: () => void): boolean {
    this.pending += chunk;
    callback?.();
    return true;
  }
}

let seed = 11;
const random = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return Math.floor((seed / 2147483648) * n);
};
const pick = <T>(items: readonly T[]): T => items[random(items.length)]!;

const WORDS = [
  'VM 101 - Start web-01',
  'OK',
  'running',
  'failed: exit code 1',
  '12s',
  '4m05s',
  'pve2',
  'root@pam',
  '漢字テスト',
  '🚀',
  'café',
  '✓',
  '✗',
  '—',
  '45%',
];
const COLOURS = [undefined, 'green', 'red', 'yellow', 'cyan', 'gray', 'magenta', 'blueBright'] as const;
/** Colours Ink passes through as they are written: 256 colours and true colour. */
const RAW = ['\u001b[38;5;208m', '\u001b[48;5;236m', '\u001b[38;2;200;120;40m', '\u001b[4m', '\u001b[3m', '\u001b[9m'];

interface Cell {
  text: string;
  color?: (typeof COLOURS)[number];
  bold?: boolean;
  dim?: boolean;
  raw?: string;
}
type Row = Cell[];

function randomRow(): Row {
  return Array.from({ length: 1 + random(5) }, () => ({
    text: pick(WORDS),
    color: pick(COLOURS),
    bold: random(5) === 0,
    dim: random(7) === 0,
    raw: random(6) === 0 ? pick(RAW) : undefined,
  }));
}

/** One update, as the board sees them: a time ticks, a row changes, rows move, come and go, the cursor moves. */
function update(rows: Row[]): Row[] {
  const next = rows.map((row) => row.map((cell) => ({ ...cell })));
  switch (random(7)) {
    case 6:
      // Times tick: digits change in place, here and there along the rows.
      for (const row of next) for (const cell of row) if (random(3) === 0) cell.text = cell.text.replace(/\d/g, () => String(random(10)));
      break;
    case 0: {
      const row = pick(next);
      if (row) pick(row).text = pick(WORDS);
      break;
    }
    case 1: {
      const row = pick(next);
      if (row) pick(row).color = pick(COLOURS);
      break;
    }
    case 2:
      if (next.length > 1) next.splice(random(next.length), 1);
      break;
    case 3:
      if (next.length < ROWS - 3) next.splice(random(next.length + 1), 0, randomRow());
      break;
    case 4:
      if (next.length > 1) next.push(next.splice(random(next.length), 1)[0]!);
      break;
    default:
      next[random(next.length)] = randomRow();
  }
  return next;
}

function frame(rows: Row[], cursor: number, tick: number): ReactElement {
  return h(
    Box,
    { flexDirection: 'column', width: COLUMNS },
    h(Text, { bold: true, color: 'cyan' }, `⠋ pvetasks · tick ${tick}`),
    ...rows.map((row, i) =>
      h(
        Text,
        { key: i, wrap: 'truncate-end', inverse: i === cursor },
        i === cursor ? '> ' : '  ',
        ...row.map((cell, j) =>
          h(
            Text,
            { key: j, color: cell.color, bold: cell.bold, dimColor: cell.dim },
            `${cell.raw ?? ''}${cell.text}${cell.raw ? '\u001b[0m' : ''} `,
          ),
        ),
      ),
    ),
    h(Text, { color: 'gray' }, `running ${rows.length} · ok ${tick % 7}`),
  );
}

/** What shows of a cell: its character, and of a blank only the background and what draws on a blank. */
function look(screen: Screen, row: number, col: number): string {
  const char = screen.lines[row]!.chars[col]!;
  const style = screen.lines[row]!.styles[col]!;
  if (char !== ' ') return `${char} ${style.key}`;
  const invisible = BOLD | DIM | ITALIC | BLINK | HIDDEN;
  return `  ${styleOf(style.flags & ~invisible, style.flags & INVERSE ? style.fg : '', style.bg).key}`;
}

function assertSameLook(shown: Screen, intended: Screen, update: number): void {
  let cells = 0;
  for (let row = 0; row < ROWS; row++) {
    for (let col = 0; col < COLUMNS; col++) {
      assert.equal(look(shown, row, col), look(intended, row, col), `after update ${update}, row ${row + 1}, column ${col + 1}`);
      if (shown.lines[row]!.styles[col]!.key !== styleOf(0, '', '').key) cells++;
    }
  }
  assert.ok(cells > 20, 'colours were compared, not only plain cells');
}

test(
  `through the stage a real terminal shows exactly the intended frame, colours included, after ${UPDATES} random updates`,
  { skip: !hasTmux && 'tmux is not installed' },
  async () => {
    const panes = new Panes();
    const terminal = new PaneStream();
    const stage = createOutputStage(terminal as unknown as NodeJS.WriteStream);
    let rows: Row[] = Array.from({ length: 8 }, randomRow);
    let cursor = 0;
    const element = (tick: number) => frame(rows, cursor, tick);
    try {
      await panes.open('stage');
      await panes.open('reference');
      const app = render(element(0), {
        stdout: stage.stream,
        incrementalRendering: false,
        maxFps: 1000,
        patchConsole: false,
        exitOnCtrlC: false,
      });
      let compared = 0;
      for (let n = 1; n <= UPDATES; n++) {
        rows = update(rows);
        if (random(4) === 0) cursor = random(rows.length);
        app.rerender(element(n));
        // Past Ink's frame throttle, so that every update is a frame of its own.
        await new Promise((resolve) => setTimeout(resolve, 2));
        await panes.write('stage', terminal.pending);
        terminal.pending = '';
        if (n % CHECK_EVERY !== 0) continue;
        // The intended frame, drawn from scratch on a cleared screen, one line at a time.
        stage.flush();
        await panes.write('stage', terminal.pending);
        terminal.pending = '';
        const lines = renderToString(element(n), { columns: COLUMNS }).split('\n');
        await panes.write('reference', `\u001b[m\u001b[H\u001b[2J${lines.map((line, i) => `\u001b[${i + 1};1H${line}`).join('')}`);
        await panes.settle(`check-${n}`);
        const shown = panes.cells('stage');
        assert.match(shown.text(0), new RegExp(`tick ${n}$`));
        assertSameLook(shown, panes.cells('reference'), n);
        compared++;
      }
      app.unmount();
      assert.equal(compared, UPDATES / CHECK_EVERY);
    } finally {
      stage.close();
      await panes.close();
    }
  },
);
