import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLaunchCommand } from '../../src/cli/commands/launch.js';
import { startSimulator } from '../../src/sim/index.js';
import { fakeIo } from './fake-io.js';

const diesAfterPost = fileURLToPath(new URL('./fixtures/launch-dies-after-post.ts', import.meta.url));

test('killed between the POST and the recording of the UPID, a rerun finds the task instead of starting the guest twice', async () => {
  // Real time: the first run is another process. Fast tasks keep the test short.
  const sim = await startSimulator({ nodes: 3, seed: 21, speed: 20, unauthorizedDelayMs: 0 });
  try {
    const guest = sim.control.guestWithRole('stoppedQemu');
    const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-crash-'));
    const env = { ...process.env, PROXMOX_VE_ENDPOINT: sim.url, PROXMOX_VE_API_TOKEN: sim.token, PVETASKS_STATE_DIR: stateDir };
    const first = spawn(process.execPath, ['--import', 'tsx', diesAfterPost, String(guest.vmid)], { env, stdio: 'ignore' });
    const [, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      first.once('exit', (...args) => resolve(args)),
    );
    assert.equal(signal, 'SIGKILL');
    const ours = () => sim.control.tasks({ id: String(guest.vmid) }).filter((task) => task.type === 'qmstart');
    assert.equal(ours().length, 1, 'the first run did start the guest');

    const sessionFile = readdirSync(stateDir).find((name) => name.endsWith('.json'))!;
    const saved = JSON.parse(readFileSync(join(stateDir, sessionFile), 'utf8'));
    assert.equal(saved.tasks.length, 1);
    assert.ok(saved.tasks[0].sentAt, 'the intent was saved before the POST');
    assert.equal(saved.tasks[0].upid, undefined, 'the UPID never arrived');

    const io = fakeIo({
      env: { PROXMOX_VE_ENDPOINT: sim.url, PROXMOX_VE_API_TOKEN: sim.token, PVETASKS_STATE_DIR: stateDir, PVETASKS_INTERVAL: '500ms' },
      cwd: stateDir,
    });
    const code = await createLaunchCommand('start')([String(guest.vmid), '--json'], io);
    assert.equal(code, 0, io.stderr.text);
    assert.match(io.stderr.text, /found 1 task\(s\) an earlier run had started/);
    assert.equal(ours().length, 1, 'the guest was started once');
    const finished = io.stdout.json().filter((event) => event.event === 'finished');
    assert.equal(finished.length, 1);
    assert.equal(finished[0]!.upid, ours()[0]!.upid);
    assert.equal(finished[0]!.outcome, 'ok');
  } finally {
    await sim.close();
  }
});
