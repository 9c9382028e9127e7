// `--report FILE` on the commands: a bad name or place is one line and exit 2 before any request; the
// file is written at the end, atomically, mode 0600, never through a link, Markdown or JSON by its
// extension, with the run's tasks.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createBoardCommand } from '../../src/cli/commands/board.js';
import { createLaunchCommand } from '../../src/cli/commands/launch.js';
import { createWaitCommand } from '../../src/cli/commands/wait.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { fakeIo } from './fake-io.js';

describe('--report', () => {
  let sim: Simulator;
  let clock: ManualClock;
  before(async () => {
    clock = new ManualClock();
    sim = await startSimulator({ clock, nodes: 3, guests: 30, seed: 9, unauthorizedDelayMs: 0 });
  });
  after(() => sim.close());

  const ioIn = (dir: string, tty = false) =>
    fakeIo({
      env: { PROXMOX_VE_ENDPOINT: sim.url, PROXMOX_VE_API_TOKEN: sim.token, PVETASKS_STATE_DIR: join(dir, 'state') },
      cwd: dir,
      tty,
    });
  const plainGuest = (skip: number) =>
    sim.control.guests({ status: 'stopped' }).filter((guest) => guest.roles.length === 0 && !guest.hastate && !guest.template)[skip]!;

  test('a bad extension, a missing directory, a directory: one line, exit 2, no request, for every command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvetasks-report-'));
    mkdirSync(join(dir, 'a-dir.md'));
    const upid = sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '100', durationMs: 1000, exitStatus: 'OK' });
    const run = (name: string, path: string, io: ReturnType<typeof ioIn>) =>
      name === 'start'
        ? createLaunchCommand('start', { clock })([String(plainGuest(0).vmid), '--report', path], io)
        : name === 'wait'
          ? createWaitCommand({ clock })([upid, '--report', path], io)
          : createBoardCommand({ clock })(['--report', path], io);
    const cases: Array<[string, RegExp]> = [
      ['change.txt', /^pvetasks: --report 'change\.txt': the file name must end in \.md \(Markdown\) or \.json \(JSON\)\n$/],
      ['no/such/dir/change.md', /^pvetasks: --report 'no\/such\/dir\/change\.md': there is no directory '.*no\/such\/dir'\n$/],
      ['a-dir.md', /^pvetasks: --report 'a-dir\.md': is a directory\n$/],
    ];
    sim.control.resetCounters();
    for (const name of ['start', 'wait', 'board']) {
      for (const [path, message] of cases) {
        // No terminal here: the board checks the report before it asks for one.
        const io = ioIn(dir);
        assert.equal(await clock.runUntil(run(name, path, io)), 2, `${name} --report ${path}`);
        assert.match(io.stderr.text, message);
      }
    }
    assert.equal(sim.control.counters().total, 0, 'nothing was asked of the cluster');
  });

  test('start --report change.md: the run written as Markdown at the end, mode 0600, atomically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvetasks-report-'));
    const guest = plainGuest(1);
    // An older report is replaced whole.
    writeFileSync(join(dir, 'change.md'), 'old text', { mode: 0o644 });
    const io = ioIn(dir);
    const code = await clock.runUntil(createLaunchCommand('start', { clock })([String(guest.vmid), '--report', 'change.md'], io));
    assert.equal(code, 0, io.stderr.text);
    const path = join(dir, 'change.md');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const text = readFileSync(path, 'utf8');
    const task = sim.control.tasks({ type: 'qmstart' }).find((entry) => entry.id === String(guest.vmid))!;
    assert.match(text, /^# Tasks run with pvetasks on /);
    assert.match(text, /^- User: root@pam\\!pvetasks$/m);
    assert.match(text, /^- Command: pvetasks start$/m);
    assert.ok(text.includes(`| ok | ${guest.vmid} ${guest.name} | VM ${guest.vmid} - Start | ${guest.node} | qmstart | OK | - |`), text);
    assert.ok(text.includes(`\`${task.upid}\``));
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.includes('.tmp')),
      [],
      'no temp file left',
    );
  });

  test('wait --report r.json: the tasks waited for, in JSON; a link at the target is replaced, not followed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvetasks-report-'));
    const elsewhere = join(dir, 'precious.txt');
    writeFileSync(elsewhere, 'keep me');
    symlinkSync(elsewhere, join(dir, 'r.json'));
    const upids = [
      sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '120', durationMs: 3000, exitStatus: 'OK' }),
      sim.control.spawnTask({ node: 'pve2', type: 'qmstop', id: '121', durationMs: 5000, exitStatus: 'unable to stop' }),
    ];
    const io = ioIn(dir);
    const code = await clock.runUntil(createWaitCommand({ clock })([...upids, '--report', 'r.json'], io));
    assert.equal(code, 1);
    assert.equal(readFileSync(elsewhere, 'utf8'), 'keep me');
    assert.equal(statSync(join(dir, 'r.json')).mode & 0o777, 0o600);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    assert.equal(report.command, 'wait');
    assert.equal(report.user, 'root@pam!pvetasks');
    assert.ok(report.cluster.length > 0);
    assert.deepEqual(
      report.tasks.map((task: { upid: string; outcome: string; exitstatus: string }) => [task.upid, task.outcome, task.exitstatus]),
      [
        [upids[1], 'failed', 'unable to stop'],
        [upids[0], 'ok', 'OK'],
      ],
    );
  });

  test('a report that cannot be written at the end: one line, and the run fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvetasks-report-'));
    const upid = sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '122', durationMs: 1000, exitStatus: 'OK' });
    const io = ioIn(dir);
    // The directory goes away while the task runs.
    mkdirSync(join(dir, 'gone'));
    void clock.sleep(500).then(() => rmSync(join(dir, 'gone'), { recursive: true }));
    const code = await clock.runUntil(createWaitCommand({ clock })([upid, '--report', 'gone/r.md'], io));
    assert.equal(code, 1);
    assert.match(io.stderr.text, /^pvetasks: cannot write the report 'gone\/r\.md': ENOENT$/m);
  });
});
