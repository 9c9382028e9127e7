// End to end: the real `pvetasks` binary (dist/pvetasks.mjs) in tmux, against a simulator running in
// this process in real time, driven by keys (`tmux send-keys`) and read back from the screen
// (`tmux capture-pane`), at 80x24 and at 200x60. Every frame is checked against the rows-1 rule twice:
// on the captured screens, and by replaying everything the board wrote (`tmux pipe-pane`) through a
// small terminal that counts scrolled lines. Without tmux this test fails; it never skips.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import stringWidth from 'string-width';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { BUNDLE, ensureBundle } from '../helpers/bundle.js';
import { boardEnv, cursorLine, requireTmux, Tmux } from '../helpers/tmux.js';
import { VirtualTerminal } from '../helpers/vt.js';

const binary = BUNDLE;

before(() => {
  requireTmux();
  ensureBundle();
});

async function boardSession(columns: number, rows: number): Promise<void> {
  // A fresh cluster for each size, at 5x speed, with other users' tasks already on it.
  const sim: Simulator = await startSimulator({ speed: 5, seed: 21, nodes: 3, guests: 30, unauthorizedDelayMs: 0 });
  const backupJob = sim.control.spawnTask({
    node: 'pve2',
    type: 'vzdump',
    user: 'root@pam',
    durationMs: Infinity,
    log: ['INFO: starting new backup job: vzdump 104 107 --mode snapshot --storage backup-nfs'],
  });
  sim.control.spawnTask({ node: 'pve1', type: 'aptupdate', user: 'root@pam', durationMs: 0, exitStatus: 'OK' });
  sim.control.spawnTask({
    node: 'pve3',
    type: 'vncproxy',
    id: '110',
    user: 'ops@pve',
    durationMs: 0,
    exitStatus: 'Failed to run vncproxy.',
  });
  const plain = sim.control.guests({ status: 'stopped' }).filter((guest) => guest.roles.length === 0 && !guest.hastate && !guest.template);
  const failing = sim.control.guestWithRole('failsToStart');
  const targets = [plain[0]!, plain[1]!, failing];

  const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-e2e-'));
  const pipeFile = join(stateDir, 'pane-output');
  const env = boardEnv({
    PROXMOX_VE_ENDPOINT: sim.url,
    PROXMOX_VE_API_TOKEN: sim.token,
    PVETASKS_STATE_DIR: join(stateDir, 'state'),
  });
  const tmux = new Tmux(env);
  try {
    // The pane waits for a line before it starts the board, so that pipe-pane sees every byte. The
    // screen is cleared first (the replay starts from a blank screen, as the pane does); after the
    // board the exit status is printed and the pane stays for us to read.
    const command = `read go; printf '\\033[H\\033[2J'; env -u CI ${JSON.stringify(process.execPath)} ${JSON.stringify(binary)} --interval 1s; echo "[exit $?]"; sleep 600`;
    tmux.run('new-session', '-d', '-s', tmux.target, '-x', String(columns), '-y', String(rows), `sh -c ${shellQuote(command)}`);
    tmux.run('pipe-pane', '-o', '-t', tmux.target, `cat >> ${shellQuote(pipeFile)}`);
    tmux.keys('Enter');

    // The board shows the cluster's tasks (this session has none yet, so it opens on the cluster).
    let screen = await tmux.waitFor(
      "the board with the cluster's tasks",
      (_, text) => text.includes('[Tasks: cluster]') && text.includes('Backup Job'),
    );
    assert.match(screen[0]!, /root@pam!pvetasks/, 'the header says who we are');
    screen = await tmux.waitFor(
      'the finished tasks',
      (_, text) => /✗ .*Console.*Failed to run vncproxy\./.test(text) && /✓ Update package database/.test(text),
    );

    // Tab to the guests; mark three through the filter.
    tmux.keys('Tab');
    await tmux.waitFor('the guests', (_, text) => text.includes('[Guests]') && text.includes(targets[0]!.name));
    await tmux.markGuests(targets.map((guest) => guest.vmid));

    // s, confirm: the three tasks appear in this session's scope and end.
    tmux.type('s');
    await tmux.waitFor('the start dialog', (_, text) => /Start 3 guests on \d nodes?\?/.test(text) && text.includes('[Y/n]'));
    tmux.type('y');
    await tmux.waitFor(
      'the three launches',
      (_, text) => text.includes('[Tasks: mine]') && targets.every((guest) => text.includes(guest.name)),
    );
    screen = await tmux.waitFor('the three tasks ended', (_, text) => /running 0 · queued 0 · ok 2 · warnings 0 · failed 1/.test(text));
    for (const guest of targets.slice(0, 2)) {
      assert.match(
        screen.find((line) => line.includes(guest.name))!,
        /✓ VM \d+ - Start .* OK\s*$/,
      );
    }
    assert.match(
      screen.find((line) => line.includes(failing.name))!,
      /✗ VM \d+ - Start .*start failed/,
    );

    // Enter on a task shows its log: the failed start, found with the filter.
    tmux.type('/');
    tmux.type('failed');
    tmux.keys('Enter');
    await tmux.waitFor('the failed task alone', (s) => cursorLine(s).includes(failing.name));
    tmux.keys('Enter');
    screen = await tmux.waitFor(
      'the task log',
      (_, text) => text.includes('[Task detail]') && text.includes('TASK ERROR: start failed: QEMU exited with code 1'),
    );
    assert.match(screen.join('\n'), /^kvm: -drive file=\/dev\/pve\/vm-\d+-disk-0/m);
    tmux.keys('Escape');
    await tmux.waitFor('back in the list', (_, text) => text.includes('[Tasks: mine]'));

    // q: nothing started here still runs, so it quits at once, back on the normal screen, with the summary.
    tmux.type('q');
    screen = await tmux.waitFor('the exit', (_, text) => text.includes('[exit 0]'));
    assert.equal(tmux.run('display-message', '-p', '-t', tmux.target, '#{alternate_on}').trim(), '0', 'the normal screen is back');
    const text = screen.join('\n');
    assert.doesNotMatch(text, /\[Tasks: |Tab view/, 'nothing of the board is left');
    // Three tasks fit the screen: the summary is a bordered table (ink-table), a row per task with its
    // state and task, and its UPID where the width allows (at 200 columns, not at 80).
    assert.match(text, /^┌─+┬/m);
    for (const guest of targets) {
      assert.match(text, new RegExp(`^│ . (ok|failed) +│ VM ${guest.vmid} - Start`, 'm'));
      const upid = new RegExp(`│ UPID:pve\\d:[0-9A-F:]+:qmstart:${guest.vmid}:root@pam!pvetasks: +│$`, 'm');
      if (columns >= 160) assert.match(text, upid);
      else assert.doesNotMatch(text, upid);
    }
    assert.ok(
      text.split('\n').every((line) => stringWidth(line) <= columns),
      text,
    );
    assert.match(text, /^3 tasks: 2 ok, 1 failed$/m);
    assert.ok(sim.control.task(backupJob)!.exitStatus === undefined, "other users' tasks keep running");

    // The rows-1 rule on every screen captured while the board was up: the last line stays empty and
    // the header stays on the first (a frame as tall as the terminal would have scrolled it away).
    const boardScreens = tmux.screens.filter((s) =>
      s.some((line) => line.includes('[Tasks: ') || line.includes('[Guests]') || line.includes('[Task detail]')),
    );
    assert.ok(boardScreens.length >= 10, `${boardScreens.length} board screens`);
    for (const s of boardScreens) {
      assert.equal(s.length, rows);
      assert.equal(s[rows - 1]!.trim(), '', `the last line is empty:\n${s.join('\n')}`);
      assert.match(s[0]!, /root@pam!pvetasks/, `the header is on the first line:\n${s.join('\n')}`);
      assert.ok(s.every((line) => line.length <= columns));
    }

    // The same through the bytes: replay everything the board wrote, frame by frame (the output
    // stage ends each with a synchronized-update mark), up to where it left the alternate screen.
    const output = readFileSync(pipeFile, 'utf8');
    const leave = output.indexOf('\u001b[?1049l');
    assert.ok(leave > 0, 'the board left the alternate screen');
    const frames = output.slice(0, leave).split('\u001b[?2026l');
    assert.ok(frames.length > 10, `${frames.length} frames written`);
    const vt = new VirtualTerminal(columns, rows);
    for (const frame of frames) {
      vt.write(frame);
      assert.equal(vt.scrolled, 0, 'no frame scrolled the terminal');
      assert.equal(vt.screen()[rows - 1], '', 'no frame reached the last line');
    }
    assert.match(vt.screen()[0]!, /root@pam!pvetasks/);
  } finally {
    await tmux.kill();
    await sim.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

test('e2e at 80x24: tasks, mark three guests and start them, a log, q leaves a clean screen and the summary', async () => {
  await boardSession(80, 24);
});

test('e2e at 200x60: the same, never taller than the terminal minus one line', async () => {
  await boardSession(200, 60);
});
