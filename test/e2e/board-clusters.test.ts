// End to end over several clusters: the real `pvetasks` binary in tmux, three simulated clusters (real
// time, 5x) named in a configuration file with a token file each, and a fourth that cannot be reached,
// none chosen: the board watches all four. Then one cluster goes offline (every listener refuses): the header names it, the others keep
// updating. Without tmux this test fails; it never skips.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, test } from 'node:test';
import { systemClock } from '../../src/util/clock.js';
import { startTestClusters, writeConfig } from '../cli/clusters-rig.js';
import { BUNDLE, ensureBundle } from '../helpers/bundle.js';
import { Tmux, boardEnv, requireTmux, shellQuote } from '../helpers/tmux.js';

const WAIT_MS = 20_000;

before(() => {
  requireTmux();
  ensureBundle();
});

test('three clusters from a configuration file: all three live with a CLUSTER column; one offline is named while the others update', async () => {
  const rig = await startTestClusters({ clock: systemClock, speed: 5, nodes: 2, guests: 20, seed: 31 });
  // A fourth cluster that cannot be reached at start (nothing listens on port 1): the board starts anyway.
  const reachable = readFileSync(rig.configPath, 'utf8');
  writeConfig(
    dirname(rig.configPath),
    `${reachable}  - name: delta\n    endpoints: [https://127.0.0.1:1]\n    token_file: ${join(rig.dir, 'alpha.token')}\n`,
  );
  const [alpha, bravo, charlie] = rig.sims as [(typeof rig.sims)[number], (typeof rig.sims)[number], (typeof rig.sims)[number]];
  for (const sim of rig.sims) {
    sim.control.spawnTask({
      node: sim.nodes[0]!,
      type: 'vncproxy',
      id: String(sim.control.guests()[0]!.vmid),
      user: 'admin@pve',
      durationMs: Infinity,
    });
  }
  const env = boardEnv({
    HOME: rig.dir,
    XDG_CONFIG_HOME: join(rig.dir, 'config'),
    PVETASKS_STATE_DIR: join(rig.dir, 'state'),
  });
  const tmux = new Tmux(env, WAIT_MS, rig.dir);
  const waitFor = (what: string, ready: (screen: string[]) => boolean) => tmux.waitFor(what, ready);
  try {
    const command = `env -u CI ${JSON.stringify(process.execPath)} ${JSON.stringify(BUNDLE)} --interval 1s; echo "[exit $?]"; sleep 600`;
    tmux.run('new-session', '-d', '-s', 'board', '-x', '120', '-y', '30', `sh -c ${shellQuote(command)}`);

    let screen = await waitFor(
      'the three clusters live, with a console task of each, and delta offline',
      (lines) =>
        /alpha live · bravo live · charlie live · delta offline \d+s/.test(lines[0]!) &&
        ['alpha', 'bravo', 'charlie'].every((name) => lines.some((line) => new RegExp(`^[> ] ● ${name} +VM/CT`).test(line))),
    );
    assert.match(screen.join('\n'), /CLUSTER TASK/);

    for (const node of bravo.nodes) await bravo.control.addFault({ kind: 'listener-down', node });
    screen = await waitFor('bravo offline in the header', (lines) =>
      /alpha live · bravo offline \d+s · charlie live · delta offline \d+s/.test(lines[0]!),
    );
    assert.match(screen[1]!, /! bravo: cannot reach the API at /);
    // bravo's rows stay listed, marked as not current.
    assert.ok(screen.some((line) => /^[> ] ● !bravo /.test(line)));

    // charlie and alpha keep updating: a new task on each shows up while bravo is down.
    for (const sim of [alpha, charlie]) {
      sim.control.spawnTask({ node: sim.nodes[1]!, type: 'aptupdate', user: 'root@pam', durationMs: Infinity });
    }
    await waitFor('new tasks of alpha and charlie', (lines) =>
      ['alpha', 'charlie'].every((name) => lines.some((line) => new RegExp(`^[> ] ● ${name} +Update package database`).test(line))),
    );

    tmux.keys('q');
    await waitFor('the board to exit', (lines) => lines.some((line) => line.includes('[exit 0]')));
  } finally {
    await tmux.kill();
    await rig.close();
    rmSync(rig.dir, { recursive: true, force: true });
  }
});
