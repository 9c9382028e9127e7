// A drain killed (SIGKILL) in the middle, then run again: the real command line in a child process
// sends its first migrations and dies; the rerun follows what is under way, looks up any request whose
// answer never arrived, and migrates the rest. Counted on the simulator: not one guest gets a second
// migration request.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDrainCommand } from '../../src/cli/commands/drain.js';
import { startSimulator } from '../../src/sim/index.js';
import { fakeIo } from './fake-io.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const NODE = 'pve2';

test('kill -9 mid-drain, then the same drain again: every guest migrated once, no second request for any', async () => {
  // Real time: the first run is another process. Fast tasks keep the test short.
  const sim = await startSimulator({ nodes: 3, guests: 40, seed: 23, speed: 50, unauthorizedDelayMs: 0 });
  try {
    const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-drain-crash-'));
    const env = { PROXMOX_VE_ENDPOINT: sim.url, PROXMOX_VE_API_TOKEN: sim.token, PVETASKS_STATE_DIR: stateDir, PVETASKS_INTERVAL: '500ms' };
    const onNode = sim.control.guests({ node: NODE });
    const migrationPosts = () => {
      const routes = sim.control.counters().byRoute;
      return (routes['POST /nodes/{node}/qemu/{vmid}/migrate'] ?? 0) + (routes['POST /nodes/{node}/lxc/{vmid}/migrate'] ?? 0);
    };
    sim.control.resetCounters();

    const first = spawn(process.execPath, ['--import', 'tsx', MAIN, 'drain', NODE, '--yes', '--with-local-disks', '--parallel', '2'], {
      env: { ...process.env, ...env },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => first.once('exit', (_code, signal) => resolve(signal)));
    // Killed once the simulator has received its second migration request (its answer may or may not
    // have reached the process: both must be handled by the rerun).
    for (let waited = 0; migrationPosts() < 2; waited += 20) {
      assert.ok(waited < 60_000, 'the first run sends its migrations');
      await sleep(20);
    }
    first.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const sentByFirst = migrationPosts();
    assert.ok(sentByFirst >= 2 && sentByFirst < onNode.filter((g) => !g.template).length, `the drain was cut short (${sentByFirst} sent)`);

    const io = fakeIo({ env, cwd: stateDir });
    const code = await createDrainCommand()([NODE, '--yes', '--with-local-disks', '--json'], io);
    assert.ok(code === 0 || code === 1, io.stderr.text);

    const ours = sim.control.tasks().filter((task) => /migrate$/.test(task.type) && task.user === sim.token.split('=')[0]);
    const perGuest = new Map<string, number>();
    for (const task of ours) perGuest.set(task.id, (perGuest.get(task.id) ?? 0) + 1);
    assert.deepEqual(
      [...perGuest].filter(([, count]) => count > 1),
      [],
      'no guest got a second migration',
    );
    assert.equal(migrationPosts(), ours.length, 'every migration request made exactly one task: none was sent twice');
    // The rerun reported every guest still on the node when it began, those under way included.
    for (const event of io.stdout.json().filter((e) => e.event === 'finished')) {
      if (event.outcome === 'ok') assert.equal(sim.control.guest(event.vmid as number)!.node, event.target_node);
    }
    const left = sim.control.guests({ node: NODE });
    for (const guest of left) {
      const why = io.stdout.json().find((e) => e.event === 'finished' && e.vmid === guest.vmid);
      assert.ok(guest.template || why?.outcome !== 'ok', `guest ${guest.vmid} stayed only for a reason: ${JSON.stringify(why)}`);
    }
    assert.ok(left.length < onNode.length, 'the node was drained');
  } finally {
    await sim.close();
  }
});
