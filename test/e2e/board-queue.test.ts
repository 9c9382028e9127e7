// End to end (issue 15): the real `pvetasks` bundle in tmux at 80x24 against a simulator in this
// process, driven by keys and read back from the screen. The launch queue paused (nothing reaches the
// cluster), a second launch of a guest whose start is in flight skipped with the reason, the per-node
// limit held (counted on the simulator), everything queued cancelled; in the detail view a long status
// and log line read by scrolling sideways, then wrapped. Every screen keeps the rows-1 rule.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { ensureBundle } from '../helpers/bundle.js';
import { assertTmux, BoardInTmux } from '../reliability/hostile/tmux.js';
import { boardEnv, cursorLine } from '../helpers/tmux.js';

const COLUMNS = 80;
const ROWS = 24;

before(() => {
  assertTmux();
  ensureBundle();
});

interface Setup {
  sim: Simulator;
  tmux: BoardInTmux;
  /** The auth id the board acts as (the simulator's token). */
  authid: string;
  close(): Promise<void>;
}

async function boardOn(simOptions: Parameters<typeof startSimulator>[0], args: string[]): Promise<Setup> {
  const sim = await startSimulator({ unauthorizedDelayMs: 0, ...simOptions });
  const dir = mkdtempSync(join(tmpdir(), 'pvetasks-e2e-queue-'));
  const env = boardEnv({
    PROXMOX_VE_ENDPOINT: sim.url,
    PROXMOX_VE_API_TOKEN: sim.token,
    PVETASKS_STATE_DIR: join(dir, 'state'),
  });
  const tmux = new BoardInTmux(env, dir, COLUMNS, ROWS);
  tmux.start(['--interval', '1s', ...args]);
  return {
    sim,
    tmux,
    authid: sim.token.slice(0, sim.token.indexOf('=')),
    async close() {
      await tmux.kill();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The rows-1 rule on every screen captured while the board was up: the last line empty, the header on top. */
function assertFrames(tmux: BoardInTmux): void {
  const boardScreens = tmux.screens.filter((s) => s.some((line) => /\[Tasks: |\[Guests\]|\[Task detail\]/.test(line)));
  assert.ok(boardScreens.length >= 5, `${boardScreens.length} board screens`);
  for (const screen of boardScreens) {
    assert.equal(screen.length, ROWS);
    assert.equal(screen[ROWS - 1]!.trim(), '', `the last line is empty:\n${screen.join('\n')}`);
    assert.match(screen[0]!, /root@pam!pvetasks/, `the header is on the first line:\n${screen.join('\n')}`);
  }
}

/** Highest number of tasks running at one instant. */
function maxConcurrent(tasks: ReadonlyArray<{ startedAt: number; endedAt?: number }>): number {
  const edges = tasks.flatMap((task) => [
    { at: task.startedAt, delta: 1 },
    { at: task.endedAt ?? Infinity, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let max = 0;
  for (const edge of edges) max = Math.max(max, (running += edge.delta));
  return max;
}

test('e2e at 80x24: the queue paused, a second launch skipped with why, the per-node limit held, everything queued cancelled', async () => {
  const setup = await boardOn({ speed: 1, seed: 21, nodes: 2, guests: 50 }, ['--parallel', '8', '--per-node', '2']);
  const { sim, tmux, authid } = setup;
  try {
    const plain = sim.control.guests({ status: 'stopped' }).filter((g) => g.roles.length === 0 && !g.hastate && !g.template && !g.lock);
    const onFirst = plain.filter((g) => g.node === 'pve1').slice(0, 6);
    const onSecond = plain.filter((g) => g.node === 'pve2').slice(0, 3);
    assert.equal(onFirst.length, 6);
    assert.equal(onSecond.length, 3);
    const ours = () => sim.control.tasks({ user: authid });

    await tmux.waitForText(/\[Tasks: cluster\]/, 'the board');
    tmux.keys('Tab');
    await tmux.waitFor('the guests', (_, text) => text.includes('[Guests]') && text.includes(onFirst[0]!.name));

    // P pauses the launch queue; six starts on pve1 wait in it, and nothing reaches the cluster.
    tmux.type('P');
    await tmux.waitForText(/launch queue paused/);
    await tmux.markGuests(onFirst.map((g) => g.vmid));
    tmux.type('s');
    await tmux.waitForText(/Start 6 guests on 1 node\?[\s\S]*\[Y\/n\]/, 'the start dialog');
    tmux.type('y');
    await tmux.waitForText(/\[Tasks: mine\].*queue PAUSED: 6 waiting/, 'six launches waiting in the paused queue');
    // Two poll cycles later still nothing was sent.
    await tmux.spinnerMoves();
    await tmux.spinnerMoves();
    assert.deepEqual(ours(), [], 'a paused queue sends nothing');

    // A second start of the first guest: its start is in flight (queued), so the dialog skips it, saying why.
    const first = onFirst[0]!;
    tmux.keys('Tab');
    await tmux.waitForText(/\[Guests\]/);
    tmux.type('/');
    tmux.type(String(first.vmid));
    tmux.keys('Enter');
    let screen = await tmux.waitFor(`the cursor on ${first.vmid}`, (s) => new RegExp(`^> +${first.vmid} `).test(cursorLine(s)));
    assert.match(cursorLine(screen), /stopped +… (VM|CT) \d+ - Start/, 'the Guests view shows the start in flight');
    tmux.type('s');
    screen = await tmux.waitForText(/0 go, 1 skipped/, 'the verdicts in the dialog');
    const dialog = screen.join('\n');
    assert.match(dialog, new RegExp(`- ${first.vmid} ${first.name}: task in flight: (VM|CT) ${first.vmid} - Start`));
    assert.match(dialog, /\[ \] send to the 1 skipped guest too \(--no-skip\)/);
    tmux.keys('Enter');
    screen = await tmux.waitForText(/\[Tasks: mine\][\s\S]*skipped \(task in flight/, 'the skipped row');
    assert.match(screen.join('\n'), new RegExp(`^. - (VM|CT) ${first.vmid} - Start .* skipped \\(task in flight`, 'm'));
    assert.match(screen.join('\n'), /skipped 1/, 'the tally counts it apart');

    // P again: the queue resumes, at most two starts at once on pve1 (counted on the simulator).
    tmux.type('P');
    await tmux.waitForText(/launch queue resumed/);
    await tmux.waitFor('the six starts ended', () => ours().length === 6 && ours().every((task) => task.endedAt !== undefined));
    screen = await tmux.waitForText(/running 0 · queued 0 · ok 6/, 'the six starts ended on the board');
    assert.equal(maxConcurrent(ours().filter((task) => task.node === 'pve1')), 2, 'two at once on pve1: the limit, reached and held');
    assert.equal(ours().filter((task) => task.id === String(first.vmid)).length, 1, 'the first guest was started once');

    // X cancels every queued launch after a y/N question.
    tmux.keys('Tab');
    await tmux.waitForText(/\[Guests\]/);
    tmux.type('P');
    await tmux.waitForText(/launch queue paused/);
    await tmux.markGuests(onSecond.map((g) => g.vmid));
    tmux.type('s');
    await tmux.waitForText(/Start 3 guests on 1 node\?/);
    tmux.type('y');
    await tmux.waitForText(/queue PAUSED: 3 waiting/);
    tmux.type('X');
    screen = await tmux.waitForText(/Cancel 3 queued launches\?/, 'the cancel-all question');
    assert.match(screen.join('\n'), /\[y\/N\]/, 'No is the default');
    tmux.type('y');
    screen = await tmux.waitForText(/cancelled 3 queued launches/);
    assert.match(screen.join('\n'), /queue PAUSED: 0 waiting/, 'nothing waits any more');
    tmux.type('P');
    await tmux.waitForText(/launch queue resumed/);
    await tmux.spinnerMoves();
    await tmux.spinnerMoves();
    assert.equal(ours().length, 6, 'none of the cancelled launches reached the cluster');

    tmux.type('q');
    await tmux.waitForText(/\[exit 0\]/, 'the exit');
    assertFrames(tmux);
  } finally {
    await setup.close();
  }
});

test('e2e at 80x24: a long status and log line in the detail view read by scrolling sideways, then wrapped', async () => {
  const setup = await boardOn({ speed: 1, seed: 5, nodes: 2, guests: 20 }, []);
  const { sim, tmux } = setup;
  try {
    const error =
      "command '/usr/bin/kvm -id 777 -name vm777 -chardev socket,id=qmp,path=/var/run/qemu-server/777.qmp,server=on,wait=off' failed: exit code 1";
    sim.control.spawnTask({
      node: 'pve1',
      type: 'qmstart',
      id: '777',
      durationMs: 0,
      exitStatus: error,
      log: [
        'starting VM 777',
        "kvm: -drive file=/dev/pve/vm-777-disk-0,if=none,id=drive-scsi0,format=raw,cache=none,aio=io_uring: Could not open '/dev/pve/vm-777-disk-0': No such file or directory (END)",
      ],
    });
    await tmux.waitForText(/\[Tasks: cluster\][\s\S]*VM 777/, 'the failed task');
    tmux.type('/');
    tmux.type('777');
    tmux.keys('Enter');
    await tmux.waitFor('the task alone', (s) => /VM 777/.test(cursorLine(s)));
    tmux.keys('Enter');
    let screen = await tmux.waitForText(/\[Task detail\][\s\S]*kvm: -drive/, 'the log');
    const status = () => tmux.capture().find((line) => line.startsWith('Status'))!;
    // The log's second line: the one with the long kvm error.
    const logLine = () => {
      const lines = tmux.capture();
      return lines[lines.findIndex((line) => line.startsWith('Log ·')) + 2]!;
    };
    assert.match(status(), /…$/, 'the status line is cut at first');
    assert.match(logLine(), /…$/, 'the log line too');
    assert.match(screen.join('\n'), /cols 1\+/, 'the heading says they scroll');

    // → until the end of the log line shows; the status line reaches its end on the way.
    for (let i = 0; i < 12 && !/\(END\)$/.test(logLine()); i++) {
      const before = logLine();
      tmux.keys('Right');
      await tmux.waitFor('the line to move', () => logLine() !== before);
    }
    assert.match(logLine(), /^….*\(END\)$/);
    assert.match(status(), /^Status +….*exit code 1$/);

    // w wraps: every line whole, over several lines, and still rows - 1.
    tmux.type('w');
    screen = await tmux.waitForText(/wrapped/, 'the wrapped view');
    const text = screen.join('\n');
    assert.ok(!screen.some((line) => line.endsWith('…')), `nothing cut:\n${text}`);
    assert.match(text, /^kvm: -drive file=/m);
    assert.match(text, /\(END\)$/m);
    assert.match(text, /failed: exit code 1$/m);
    tmux.keys('Escape');
    await tmux.waitForText(/\[Tasks: cluster\]/);
    tmux.type('q');
    await tmux.waitForText(/\[exit 0\]/, 'the exit');
    assertFrames(tmux);
  } finally {
    await setup.close();
  }
});
