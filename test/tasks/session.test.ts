import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createPveClient } from '../../src/api/index.js';
import { startSimulator } from '../../src/sim/index.js';
import { openSession } from '../../src/tasks/session.js';
import { createTaskStore, rowsOf } from '../../src/tasks/store.js';
import { createTaskTracker } from '../../src/tasks/runtime.js';
import { ManualClock } from '../../src/util/clock.js';

const HOUR = 3_600_000;
const childScript = fileURLToPath(new URL('../fixtures/session-child.ts', import.meta.url));

function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; path: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^ready (.+)$/.exec(line);
      if (match) resolve({ child, path: match[1]! });
    });
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('a session survives a SIGKILL', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  before(async () => {
    // Real time here: the watching happens in other processes.
    sim = await startSimulator({ nodes: 3, unauthorizedDelayMs: 0, seed: 3 });
  });
  after(() => sim.close());

  test('a restarted tracker restores every task and resolves those that ended meanwhile; a second process keeps its own file', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-session-'));
    const spawnTasks = (count: number, offset: number) =>
      Array.from({ length: count }, (_, i) =>
        sim.control.spawnTask({ node: `pve${(i % 3) + 1}`, type: 'qmstart', id: String(offset + i), durationMs: HOUR, exitStatus: 'OK' }),
      );
    const first = spawnTasks(6, 500);
    const second = spawnTasks(2, 600);
    const env = { SIM_URL: sim.url, SIM_TOKEN: sim.token, STATE_DIR: stateDir };
    const one = await startChild({ ...env, UPIDS: first.join(',') });
    const two = await startChild({ ...env, UPIDS: second.join(',') });
    assert.notEqual(one.path, two.path, 'the second process takes its own session file');
    assert.match(two.path, /\.2\.json$/);
    assert.equal(statSync(one.path).mode & 0o777, 0o600);
    const savedOne = JSON.parse(readFileSync(one.path, 'utf8'));
    assert.deepEqual(new Set(savedOne.tasks.map((row: { upid: string }) => row.upid)), new Set(first), 'not clobbered by the second');
    assert.doesNotMatch(readFileSync(one.path, 'utf8'), new RegExp(sim.token.split('=')[1]!), 'no secret in the session file');

    await killed(one.child);
    await killed(two.child);
    // Meanwhile, on the cluster: two tasks end.
    sim.control.finishTask(first[0]!, 'OK');
    sim.control.finishTask(first[1]!, 'VM 501 failed to start');

    const client = createPveClient({ endpoint: sim.url, token: sim.token });
    const session = openSession({ stateDir, cluster: 'sim', user: client.userid });
    assert.equal(session.path, one.path, 'a restart takes the lowest-numbered file whose owner is gone');
    const tracker = createTaskTracker({ client, session, intervalMs: 200 });
    const rows = () => rowsOf(tracker.store.getState(), 'cluster');
    assert.deepEqual(new Set(rows().map((row) => row.upid)), new Set(first));
    await tracker.poller.pollOnce();
    const byUpid = new Map(rows().map((row) => [row.upid, row]));
    assert.equal(byUpid.get(first[0])!.state, 'ok');
    assert.equal(byUpid.get(first[1])!.state, 'failed');
    assert.equal(byUpid.get(first[1])!.exitStatus, 'VM 501 failed to start');
    for (const upid of first.slice(2)) assert.equal(byUpid.get(upid)!.state, 'running');
    assert.ok(
      rows().every((row) => row.mine && row.deadline !== undefined),
      'deadlines survive the restart',
    );
    await tracker.close();
    await client.close();
    // Closing released the lock: the file is saved with the outcomes.
    const saved = JSON.parse(readFileSync(one.path, 'utf8'));
    assert.equal(saved.tasks.find((row: { upid: string }) => row.upid === first[0]).state, 'ok');
  });
});

describe('session files', () => {
  test('a corrupt file is kept aside with a warning, never overwritten', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-session-'));
    const path = join(stateDir, 'sim@root@pam.json');
    writeFileSync(path, '{"version":1,"rows":[{"key":');
    const warnings: string[] = [];
    const session = openSession({ stateDir, cluster: 'sim', user: 'root@pam', onWarning: (w) => warnings.push(w) });
    assert.equal(session.restored.length, 0);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /corrupt; kept it as/);
    const aside = readdirSync(stateDir).find((name) => name.includes('.corrupt-'));
    assert.ok(aside, 'the corrupt file is kept');
    assert.equal(readFileSync(join(stateDir, aside!), 'utf8'), '{"version":1,"rows":[{"key":');
    void session.close();
  });

  test('an unreadable file is kept aside too', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-session-'));
    // A directory where the file should be: unreadable even for root, unlike a chmod 000 file.
    mkdirSync(join(stateDir, 'sim@root@pam.json'));
    const warnings: string[] = [];
    openSession({ stateDir, cluster: 'sim', user: 'root@pam', onWarning: (w) => warnings.push(w) });
    assert.match(warnings[0]!, /unreadable/);
  });

  test('history is capped, dropping the oldest finished rows first', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-session-'));
    const clock = new ManualClock();
    const store = createTaskStore();
    const session = openSession({ stateDir, cluster: 'sim', user: 'root@pam', clock, maxRows: 5 });
    session.attach(store);
    store.getState().update((tx) => {
      for (let i = 0; i < 8; i++) {
        const key = tx.add({ mine: true, node: 'pve1', type: 'qmstart', firstSeenAt: clock.now() + i, description: `row ${i}` });
        if (i < 6) tx.finish(key, 'ok', { endedAt: clock.now() + i });
      }
    });
    session.flush();
    const saved = JSON.parse(readFileSync(session.path, 'utf8'));
    assert.deepEqual(saved.tasks.map((row: { description: string }) => row.description).sort(), [
      'row 3',
      'row 4',
      'row 5',
      'row 6',
      'row 7',
    ]);
    await session.close();
  });

  test('changes are written after a short delay, coalesced', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-session-'));
    const clock = new ManualClock();
    const store = createTaskStore();
    const session = openSession({ stateDir, cluster: 'sim', user: 'root@pam', clock, writeDelayMs: 500 });
    session.attach(store);
    const rowsOnDisk = () => JSON.parse(readFileSync(session.path, 'utf8')).tasks.length;
    store.getState().update((tx) => void tx.add({ mine: true, node: 'pve1', type: 'qmstart', firstSeenAt: clock.now() }));
    store.getState().update((tx) => void tx.add({ mine: false, node: 'pve1', type: 'qmstart', firstSeenAt: clock.now() }));
    assert.equal(rowsOnDisk(), 0);
    await clock.advance(500);
    assert.equal(rowsOnDisk(), 1, 'only mine rows are saved');
    await session.close();
  });
});
