// End to end, the real bundle in tmux at 80x24 against a simulator in this process (real time, 5x):
// - every endpoint stops answering: ONE banner for the connection (not one per node), and once the
//   endpoints are back the banner goes and nothing on the screen says unreachable;
// - two board windows of the same cluster and user on one state dir: what the first launches shows in
//   the second, marked as the first window's, and it takes no action there.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { ensureBundle } from '../helpers/bundle.js';
import { assertTmux, BoardInTmux } from '../reliability/hostile/tmux.js';
import { boardEnv } from '../helpers/tmux.js';

const COLUMNS = 80;
const ROWS = 24;

before(() => {
  assertTmux();
  ensureBundle();
});

function envFor(sim: Simulator, stateDir: string, endpoints: readonly string[]): NodeJS.ProcessEnv {
  return boardEnv({
    PROXMOX_VE_ENDPOINT: endpoints.join(','),
    PROXMOX_VE_API_TOKEN: sim.token,
    PVETASKS_STATE_DIR: stateDir,
  });
}

/** Every screen captured stays within the terminal and keeps its last line empty (the rows-1 rule). */
function assertFits(board: BoardInTmux): void {
  for (const screen of board.screens.filter((lines) => lines.some((line) => line.includes('[Tasks: ')))) {
    assert.equal(screen.length, ROWS);
    assert.equal(screen[ROWS - 1]!.trim(), '', screen.join('\n'));
    assert.ok(screen.every((line) => line.length <= COLUMNS));
  }
}

test('e2e: no endpoint answers, one banner for the connection; back, it goes and nothing says unreachable', async () => {
  const sim = await startSimulator({ speed: 5, seed: 21, nodes: 3, guests: 20, unauthorizedDelayMs: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'pvetasks-e2e-outage-'));
  // A task on each node to watch, as after a launch.
  for (const node of ['pve1', 'pve2', 'pve3']) sim.control.spawnTask({ node, type: 'qmstart', id: '999', durationMs: Infinity });
  const board = new BoardInTmux(envFor(sim, join(dir, 'state'), sim.urls), dir, COLUMNS, ROWS);
  try {
    board.start(['--interval', '1s']);
    const first = await board.waitFor('the board, live', (screen) => /· live ·/.test(screen[0]!) && screen.join('\n').includes('[Tasks: '));
    assert.match(first[0]!, new RegExp(`via ${new URL(sim.urls[0]!).host.replace(/\./g, '\\.')}`), 'the endpoint in use');

    for (const node of ['pve1', 'pve2', 'pve3']) await sim.control.addFault(`listener-down=${node}`);
    const down = await board.waitForText(/! cannot reach the API .*retrying \(since \d\d:\d\d:\d\d\)/, 'the outage banner');
    assert.equal(down.filter((line) => line.includes('cannot reach the API')).length, 1, 'one banner');
    assert.match(down[1]!, /^! cannot reach the API /, 'under the header');
    // It stays one banner while the outage lasts: no node is blamed for our connection.
    await board.spinnerMoves();
    for (const screen of board.screens) assert.ok(!screen.some((line) => /unreachable/.test(line)), screen.join('\n'));

    await sim.control.clearFaults();
    const back = await board.waitFor(
      'the banner gone',
      (screen) => !screen.join('\n').includes('cannot reach') && /· live ·/.test(screen[0]!),
    );
    assert.ok(!back.some((line) => /unreachable/.test(line)), back.join('\n'));
    // The next cycles say nothing of it either.
    await board.spinnerMoves();
    await board.spinnerMoves();
    assert.ok(!board.capture().some((line) => /unreachable|cannot reach/.test(line)));
    assertFits(board);
    board.type('q');
    await board.waitForText(/\[exit 0\]/, 'the board quit');
  } finally {
    await board.kill();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("e2e: a second window shows the first window's launch, marked [w1], read-only", async () => {
  const sim = await startSimulator({ speed: 5, seed: 21, nodes: 3, guests: 30, unauthorizedDelayMs: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'pvetasks-e2e-windows-'));
  const env = envFor(sim, join(dir, 'state'), [sim.url]);
  const first = new BoardInTmux(env, mkdtempSync(join(dir, 'first-')), COLUMNS, ROWS);
  const second = new BoardInTmux(env, mkdtempSync(join(dir, 'second-')), COLUMNS, ROWS);
  const guest = sim.control.guests({ status: 'stopped' }).find((g) => g.roles.length === 0 && !g.hastate && !g.template)!;
  try {
    first.start(['--interval', '1s']);
    await first.waitForText(/\[Tasks: cluster\]/, 'the first window');
    second.start(['--interval', '1s']);
    await second.waitForText(/\[Tasks: cluster\]/, 'the second window');

    // The first window starts the guest (the one under the cursor, found with the filter).
    first.keys('Tab');
    await first.waitFor('the guests', (_, text) => text.includes('[Guests]') && text.includes(guest.name));
    first.type('/');
    first.type(String(guest.vmid));
    first.keys('Enter');
    await first.waitFor(`the cursor on ${guest.vmid}`, (screen) => screen.some((line) => new RegExp(`^> +${guest.vmid} `).test(line)));
    first.type('s');
    await first.waitForText(new RegExp(`Start guest ${guest.vmid} `), 'the start dialog');
    first.type('y');
    await first.waitFor('the launch in the first window', (_, text) => text.includes('[Tasks: mine]') && text.includes(guest.name));

    // The second window shows it, marked as the first window's, to its end.
    const mark = new RegExp(`\\[w1\\] VM ${guest.vmid} - Start ${guest.name}`);
    await second.waitForText(mark, 'the first window’s task in the second');
    const ended = await second.waitFor('it ended OK there too', (screen) =>
      screen.some((line) => mark.test(line) && /^. ✓ /.test(line) && / OK\s*$/.test(line)),
    );
    assert.ok(!ended.some((line) => new RegExp(`^. . VM ${guest.vmid} - Start`).test(line)), 'one row for the task, the marked one');

    // Its detail says whose it is; x does nothing to it.
    second.type('/');
    second.type(String(guest.vmid));
    second.keys('Enter');
    await second.waitFor('the cursor on it', (screen) => screen.some((line) => line.startsWith('> ') && mark.test(line)));
    second.keys('Enter');
    await second.waitForText(new RegExp(`\\[window w1, read-only\\] VM ${guest.vmid} - Start`), 'the detail view');
    second.keys('Escape');
    await second.waitForText(/\[Tasks: cluster\]/);
    second.type('x');
    await second.waitForText(/belongs to pvetasks window w1: read-only/, 'x refused');

    // The first window quits (once its own poll saw the end too: else it rightly asks first); the second keeps the row.
    const own = new RegExp(`VM ${guest.vmid} - Start ${guest.name}`);
    await first.waitFor('the end in the first window', (screen) => screen.some((line) => own.test(line) && / OK\s*$/.test(line)));
    first.type('q');
    await first.waitForText(/\[exit 0\]/, 'the first window quit');
    await second.spinnerMoves();
    await second.spinnerMoves();
    assert.ok(
      second.capture().some((line) => mark.test(line)),
      'the row stays after the first window quit',
    );
    assertFits(first);
    assertFits(second);
    // Nothing of this session was the second window's own: it quits at once, and writes nothing more.
    second.type('q');
    await second.waitForText(/\[exit 0\]/, 'the second window quit');
  } finally {
    await first.kill();
    await second.kill();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
