// End to end: the real `pvetasks` binary (dist/pvetasks.mjs) in tmux at 80x24, against a simulator
// running in this process in real time. Three guests are marked in the Guests view and migrated with
// `m` (a running VM live, a running container by restart migration, a stopped VM offline): the target
// is chosen in the dialog, PVE's migration check is shown (the running VM refused until its local disk
// is to be mirrored), the migrations run in the Tasks view, and the Guests view shows the three on
// their new node.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { startSimulator } from '../../src/sim/index.js';
import { BUNDLE, ensureBundle } from '../helpers/bundle.js';
import { boardEnv, requireTmux, shellQuote, Tmux } from '../helpers/tmux.js';

const COLUMNS = 80;
const ROWS = 24;
const TARGET = 'pve3';

before(() => {
  requireTmux();
  ensureBundle();
});

test('e2e at 80x24: mark three guests, m, choose the target, see the check, migrate, and watch them land on it', async () => {
  const sim = await startSimulator({ speed: 30, seed: 21, nodes: 3, guests: 30, unauthorizedDelayMs: 0 });
  // Guests that move (no snapshot on local storage, which PVE cannot migrate), none on the target yet.
  const movable = (type: 'qemu' | 'lxc', status: 'running' | 'stopped') =>
    sim.control
      .guests({ type, status })
      .find(
        (g) =>
          g.node !== TARGET &&
          !g.hastate &&
          !g.template &&
          !g.lock &&
          !g.roles.includes('localDevices') &&
          sim.control.snapshots(g.node, type, g.vmid).length === 0,
      )!;
  const guests = [movable('qemu', 'running'), movable('lxc', 'running'), movable('qemu', 'stopped')];
  assert.ok(guests.every(Boolean), 'three guests to move');

  const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-e2e-migrate-'));
  const env = boardEnv({
    PROXMOX_VE_ENDPOINT: sim.url,
    PROXMOX_VE_API_TOKEN: sim.token,
    PVETASKS_STATE_DIR: join(stateDir, 'state'),
  });
  const tmux = new Tmux(env, 30_000);
  try {
    const command = `env -u CI ${JSON.stringify(process.execPath)} ${JSON.stringify(BUNDLE)} --interval 1s; echo "[exit $?]"; sleep 600`;
    tmux.run('new-session', '-d', '-s', tmux.target, '-x', String(COLUMNS), '-y', String(ROWS), `sh -c ${shellQuote(command)}`);
    await tmux.waitFor('the board', (_, text) => text.includes('[Tasks: cluster]'));

    tmux.keys('Tab');
    await tmux.waitFor('the guests', (_, text) => text.includes('[Guests]') && text.includes(guests[0]!.name));
    await tmux.markGuests(guests.map((guest) => guest.vmid));

    // m: the dialog reads the nodes; the target is chosen with the arrows.
    tmux.type('m');
    let screen = await tmux.waitFor(
      'the migrate dialog with its nodes',
      (_, text) => /Migrate 3 guests on \d nodes?\?/.test(text) && /Target: +‹ pve\d ›/.test(text),
    );
    const targetOf = (lines: string[]) => /‹ (pve\d) ›/.exec(lines.find((line) => line.includes('Target:')) ?? '')?.[1];
    for (let turns = 0; targetOf(screen) !== TARGET; turns++) {
      assert.ok(turns < 3, `the target ${TARGET} is offered:\n${screen.join('\n')}`);
      const shown = targetOf(screen);
      tmux.keys('Right');
      screen = await tmux.waitFor('the next node', (lines) => targetOf(lines) !== shown);
    }
    assert.ok(screen.some((line) => line.includes("Enter: PVE's migration check first, nothing is sent yet")));
    assert.equal(sim.control.tasks().filter((task) => /migrate$/.test(task.type)).length, 0, 'nothing sent yet');

    // Enter: PVE's check, in the dialog. The running VM has a local disk: refused until they are mirrored.
    tmux.keys('Enter');
    await tmux.waitFor("PVE's check", (_, text) =>
      new RegExp(`│ +2 to migrate; refused ${guests[0]!.vmid} \\(runs with local disks`).test(text),
    );
    tmux.keys('Down');
    await tmux.waitFor('the local disks field', (s) => s.some((line) => /> Local disks: +‹ no ›/.test(line)));
    tmux.keys('Right');
    await tmux.waitFor(
      'mirror chosen, the check to ask again',
      (_, text) => /Local disks: +‹ mirror to the target/.test(text) && text.includes("PVE's migration check first"),
    );
    tmux.keys('Enter');
    await tmux.waitFor(
      "PVE's check again",
      (_, text) => new RegExp(`│ +3 to migrate; CT ${guests[1]!.vmid} restarts`).test(text) && text.includes('y/Enter: migrate'),
    );
    // Enter again: the migrations.
    tmux.keys('Enter');
    await tmux.waitFor(
      'the three migrations',
      (_, text) => text.includes('[Tasks: mine]') && guests.every((guest) => text.includes(guest.name)),
    );
    screen = await tmux.waitFor('the three landed', (_, text) => /running 0 · queued 0 · ok 3 · warnings 0 · failed 0/.test(text));
    for (const guest of guests)
      assert.match(
        screen.find((line) => line.includes(guest.name))!,
        /✓ (VM|CT) \d+ - Migrate .* OK\s*$/,
      );

    // The Guests view shows them on their new node (the guest list is read again as the board polls).
    tmux.keys('Tab');
    screen = await tmux.waitFor('the guests on the target', (s) =>
      guests.every((guest) => s.some((line) => new RegExp(`^. +${guest.vmid} +${guest.name} +${TARGET} `).test(line))),
    );
    for (const guest of guests) {
      const now = sim.control.guest(guest.vmid)!;
      assert.deepEqual([now.node, now.status], [TARGET, guest.status], `guest ${guest.vmid} on ${TARGET}, ${guest.status} as before`);
    }
    const migrations = sim.control.tasks().filter((task) => /migrate$/.test(task.type));
    assert.deepEqual(migrations.map((task) => task.type).sort(), ['qmigrate', 'qmigrate', 'vzmigrate']);

    // Every board screen kept the rows-1 rule, dialogs included.
    for (const s of tmux.screens.filter((lines) => lines.some((line) => /\[(Tasks: |Guests\])/.test(line)))) {
      assert.equal(s.length, ROWS);
      assert.equal(s[ROWS - 1]!.trim(), '', `the last line is empty:\n${s.join('\n')}`);
    }
    tmux.type('q');
    await tmux.waitFor('the exit', (_, text) => text.includes('[exit 0]'));
  } finally {
    await tmux.kill();
    await sim.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
