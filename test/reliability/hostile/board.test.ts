// The board against the hostile server (server.ts): the real bundle in tmux, every byte it writes to
// the terminal captured with pipe-pane. It visits every view (Tasks mine and cluster, Guests, a task's
// detail with its log, the help), opens the dialogs (start with a hostile guest name, backup with
// hostile storage ids, snapshot, stop), launches so that the hostile POST answers come back, goes
// through the hostility modes one after the other, and quits to the exit summary. After each phase the
// board still answers keys, the header spinner moves and the malformed items are named. Then the bytes:
// nothing but the board's own escape sequences, and nothing from the server a terminal would act on.
// The rows-1 rule holds on every screen captured and on every frame replayed.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import stringWidth from 'string-width';
import { ensureBundle } from '../../helpers/bundle.js';
import { VirtualTerminal } from '../../helpers/vt.js';
import { unsafeCharacters } from './attacks.js';
import { assertTmux, BoardInTmux, PANE_PREFIX } from './tmux.js';
import { startHostileServer, TOKEN, type HostileServer, type Mode } from './server.js';
import { boardEnv } from '../../helpers/tmux.js';

/**
 * Every escape sequence the board itself writes (its output stage, src/ui/screen-diff.ts and
 * line-moves.ts, and our theme), and nothing else:
 * - cursor moves: CSI n A/B/C/D (up, down, right, left), CSI n E/F (to the next/previous line),
 *   CSI n G (to a column), CSI row;col H (to a cell); CSI K (erase to the end of the line); CSI 2 J
 *   (clear the screen, a full repaint); CSI top;bottom r (a scrolling region) with CSI n L/M (insert and
 *   delete lines in it): only the changed cells of a frame are written, rows that moved are moved;
 * - CSI ... m: SGR, the theme's colours, bold, dim and inverse;
 * - CSI ? 25 l/h: hide and show the cursor; CSI ? 1049 h/l: enter and leave the alternate screen;
 *   CSI ? 2026 h/l: synchronized update, so that a frame appears at once.
 * No OSC (titles, links, the clipboard), no DCS, SOS, PM or APC, no other CSI (no cursor position
 * report, no mode the board does not set): any such sequence came from somewhere else.
 */
const BOARD_SEQUENCE = /^\u001b\[(?:\d*[ABCDEFGKLM]|\d*(?:;\d+)?[Hr]|2J|[\d;]*m|\?(?:25|1049|2026)[hl])/;
const COLUMNS = 80;
const ROWS = 24;

before(() => {
  assertTmux();
  ensureBundle();
});

interface Session {
  server: HostileServer;
  board: BoardInTmux;
  dir: string;
}

async function withBoard(mode: Mode, body: (session: Session) => Promise<void>): Promise<void> {
  const server = await startHostileServer(mode);
  const dir = mkdtempSync(join(tmpdir(), 'pvetasks-hostile-board-'));
  const env = boardEnv({
    // Plain http is allowed for loopback only; the token is the hostile server's (it takes any).
    PROXMOX_VE_ENDPOINT: server.url,
    PROXMOX_VE_API_TOKEN: TOKEN,
    PVETASKS_STATE_DIR: join(dir, 'state'),
    FORCE_COLOR: '1',
  });
  const board = new BoardInTmux(env, dir, COLUMNS, ROWS);
  try {
    board.start(['--interval', '1s']);
    await body({ server, board, dir });
    auditBytes(readFileSync(board.pipeFile, 'utf8'));
    assertRowsMinusOne(board);
  } finally {
    await board.kill();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The captured bytes: the board's own sequences only, and no character a terminal acts on. */
function auditBytes(output: string): void {
  // Before it: the newline that started the pane (echoed by the terminal).
  const start = output.indexOf(PANE_PREFIX);
  assert.ok(
    start >= 0 && /^[\r\n]*$/.test(output.slice(0, start)),
    `the capture starts with the pane clearing its screen: ${JSON.stringify(output.slice(0, 40))}`,
  );
  const bytes = output.slice(start + PANE_PREFIX.length);
  assert.ok(bytes.includes('\u001b[?1049h') && bytes.includes('\u001b[?1049l'), 'the board came and went');
  const foreign: string[] = [];
  let text = '';
  let from = 0;
  for (let at = bytes.indexOf('\u001b'); at >= 0; at = bytes.indexOf('\u001b', from)) {
    text += bytes.slice(from, at);
    const own = BOARD_SEQUENCE.exec(bytes.slice(at, at + 24));
    if (!own) foreign.push(JSON.stringify(bytes.slice(Math.max(0, at - 40), at + 24)));
    from = at + (own ? own[0].length : 1);
  }
  text += bytes.slice(from);
  assert.deepEqual(foreign.slice(0, 10), [], 'escape sequences the board does not write');
  // What is left is text: no C0 control but CR, LF and tab, no DEL, C1, bidi control, NUL or lone surrogate.
  assert.deepEqual(unsafeCharacters(text, { allowCr: true }), [], 'characters a terminal acts on');
  assert.ok(text.includes('^['), 'the placeholders of removed sequences were drawn');
}

/** No frame as tall as the terminal: the last line stays empty, the header stays on the first. */
function assertRowsMinusOne(board: BoardInTmux): void {
  const boardScreens = board.screens.filter((s) => s.some((line) => /\[(Tasks: \w+|Guests|Task detail)\]/.test(line)));
  assert.ok(boardScreens.length >= 10, `${boardScreens.length} board screens`);
  for (const screen of boardScreens) {
    assert.equal(screen.length, ROWS);
    assert.equal(screen[ROWS - 1]!.trim(), '', `the last line is empty:\n${screen.join('\n')}`);
    assert.match(screen[0]!, /root@pam!hostile/, `the header is on the first line:\n${screen.join('\n')}`);
  }
  // The same through the bytes, frame by frame (Ink ends each with the end of a synchronized update).
  const output = readFileSync(board.pipeFile, 'utf8');
  const frames = output.slice(0, output.indexOf('\u001b[?1049l')).split('\u001b[?2026l');
  assert.ok(frames.length > 10, `${frames.length} frames written`);
  const vt = new VirtualTerminal(COLUMNS, ROWS);
  for (const frame of frames) {
    vt.write(frame);
    assert.equal(vt.scrolled, 0, 'no frame scrolled the terminal');
    assert.equal(vt.screen()[ROWS - 1], '', 'no frame reached the last line');
  }
}

/** Keys still work: the help opens and closes. */
async function keysWork(board: BoardInTmux, back: RegExp): Promise<void> {
  board.type('?');
  await board.waitForText(/Keys: /, 'the help');
  board.keys('Escape');
  await board.waitForText(back, 'back from the help');
}

const cursorLine = (screen: string[]) => screen.find((line) => line.startsWith('> ')) ?? '';

describe('the board against a hostile server (real binary in tmux, every byte captured)', () => {
  test('hostile strings, then wrong types, then strings where lists belong: every view, the dialogs, launches, the summary', async () => {
    await withBoard('strings', async ({ server, board }) => {
      // Tasks (cluster: nothing started here yet), the cluster's name and other users' tasks, cleaned.
      let screen = await board.waitForText(/\[Tasks: cluster\][\s\S]*VM 102 - Migrate/, 'the cluster tasks');
      // The cluster's name (1 MiB, with every attack) is not a cluster name: the header names the host.
      assert.match(screen[0]!, /^. 127\.0\.0\.1 · root@pam!hostile /, 'the header names the host');
      await board.waitForText(/! 2 malformed items in \/cluster\/(tasks|resources) ignored/, 'the malformed items named');
      await board.spinnerMoves();
      // The detail view of the running task: its log, the 10 MB line cut, the hostile lines cleaned.
      board.keys('Enter');
      screen = await board.waitForText(/\[Task detail\][\s\S]*TASK ERROR: +\^\[/, 'the task detail with its log');
      assert.match(screen.join('\n'), /^starting \^\[ \^\[ \^\[click/m);
      assert.match(screen.join('\n'), /^huge 0123456789/m);
      board.keys('Escape');
      await board.waitForText(/\[Tasks: cluster\]/, 'back in the list');
      await keysWork(board, /\[Tasks: cluster\]/);

      // Guests: a start of guest 100, whose name is hostile, through the confirm dialog.
      board.keys('Tab');
      await board.waitFor('the guests', (s, text) => text.includes('[Guests]') && /^> +100 +web \^\[/.test(cursorLine(s)));
      board.type('s');
      await board.waitForText(/Start guest 100 \(web \^\[ \^\[ \^\[click/, 'the start dialog');
      board.type('y');
      await board.waitForText(
        /\[Tasks: mine\][\s\S]*✗ VM 100 - Start web \^\[.*start failed \^\[/,
        'the start, failed with its hostile status',
      );

      // Backup: only the storage whose id is one is offered; vzdump answers no task id.
      board.keys('Tab');
      await board.waitForText(/\[Guests\]/);
      board.type('b');
      screen = await board.waitForText(/Storage: +‹ backup-nfs ›/, 'the backup dialog with its storage');
      assert.doesNotMatch(screen.join('\n'), /\.\.\/\.\.\/etc|local \^\[/, 'no storage id that is not one');
      board.type('y');
      await board.waitForText(/Backup web \^\[.*PVE answered/, "vzdump's answer that is no task id");
      await board.waitForText(/\[Tasks: mine\]/);

      // Snapshot, with the default name.
      board.keys('Tab');
      await board.waitForText(/\[Guests\]/);
      board.type('n');
      await board.waitForText(/Snapshot guest 100 \(web \^\[/, 'the snapshot dialog');
      board.keys('Enter');
      await board.waitForText(/✗ VM 100 - Snapshot web \^\[.*start failed \^\[/, 'the snapshot, failed with its hostile status');

      // The cluster scope, and a stop of the other user's running task (DELETE answered with hostile text).
      board.type('c');
      await board.waitFor(
        'the running task under the cursor',
        (s, text) => text.includes('[Tasks: cluster]') && /VM 102 - Migrate/.test(cursorLine(s)),
      );
      board.type('x');
      await board.waitForText(/Stop this task on pve1\?/, 'the stop dialog');
      board.type('y');
      await board.waitForText(/stop requested: VM 102 - Migrate/, 'the stop requested');

      // Wrong types everywhere: skipped and counted, the board goes on.
      server.mode = 'types';
      await board.waitForText(/! \d+ malformed items in \/cluster\/tasks ignored/, 'the malformed items of the types mode');
      await board.spinnerMoves();
      await keysWork(board, /\[Tasks: cluster\]/);

      // A string where every list and object belongs.
      server.mode = 'scalar';
      await board.waitForText(/! 1 malformed item in \/cluster\/(tasks|resources) ignored/, 'the answers that are not lists');
      await board.spinnerMoves();
      await keysWork(board, /\[Tasks: cluster\]/);

      // Quit: nothing started here still runs, so it quits at once; the summary, cleaned.
      server.mode = 'strings';
      board.type('q');
      screen = await board.waitForText(/\[exit 0\]/, 'the exit');
      const summary = screen.join('\n');
      // Three tasks fit the screen: a bordered table, a row per task, the hostile names cleaned and cut
      // by display width so that every border stays in line within 80 columns.
      assert.match(summary, /^│ ✗ failed +│ VM 100 - Start web \^\[.*│ start failed \^\[/m);
      assert.match(summary, /^│ \? unknown +│ VM\/CT 100 - Backup web .*│ PVE answered /m);
      const table = screen.filter((line) => /^[┌│├└]/.test(line));
      assert.equal(table.length, 3 + 2 * 3, summary);
      assert.ok(
        table.every((line) => stringWidth(line) === stringWidth(table[0]!) && stringWidth(line) <= COLUMNS),
        summary,
      );
      assert.match(summary, /^3 tasks: 2 failed, 1 unknown$/m);
    });
  });

  test("HTTP errors with hostile reason phrases and bodies, deep, huge and endless answers (the client's limits and error sanitizing, files-limits)", async () => {
    await withBoard('clean', async ({ server, board }) => {
      await board.waitForText(/\[Tasks: cluster\][\s\S]*VM 102 - Migrate/, 'the cluster tasks');
      // Errors: the node of the running task is named unreachable with the reason phrase, cleaned.
      server.mode = 'errors';
      board.type('r');
      await board.waitForText(/! unreachable: pve1 since .*595 Internal Server Error +\^\[ \^\[/, 'the node error, cleaned');
      await board.spinnerMoves();
      board.type('x');
      await board.waitForText(/Stop this task on pve1\?/, 'the stop dialog');
      board.type('y');
      await board.waitForText(/! cannot stop VM 102 - Migrate/, 'the refused stop');
      await keysWork(board, /\[Tasks: cluster\]/);

      // The header names what the client refused: too deep, too large (an endless body meets the same cap).
      const refusal = { deep: /nested deeper than 64 levels/, huge: /larger than 32 MiB/, endless: /larger than 32 MiB/ };
      for (const mode of ['deep', 'huge', 'endless'] as const) {
        server.mode = mode;
        board.type('r');
        await board.waitFor(`the node error of ${mode} answers`, (screen) => {
          const header = screen.find((line) => line.startsWith('! unreachable: pve1 since')) ?? '';
          return refusal[mode].test(header) || /an answer (larger|nested)/.test(header);
        });
        await board.spinnerMoves();
        await keysWork(board, /\[Tasks: cluster\]/);
      }
      // The client hung up on every body too big, long before the server would have stopped.
      assert.ok(server.streamed.length > 0);
      for (const bytes of server.streamed) assert.ok(bytes < 40 * 1024 * 1024, `${bytes} bytes were read`);

      // The server mends: the outage leaves the header.
      server.mode = 'clean';
      board.type('r');
      await board.waitFor('the outage over', (s) => s[0]!.includes('live') && !s.join('\n').includes('unreachable'));
      board.type('q');
      await board.waitForText(/\[exit 0\]/, 'the exit');
    });
  });
});
