// `pvetasks tasks` run in-process with fake streams against the simulator, on a shared ManualClock.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTasksCommand, type TaskListItem } from '../../src/cli/commands/tasks.js';
import { CliError } from '../../src/cli/io.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { fakeIo, type FakeIo } from './fake-io.js';

describe('pvetasks tasks', () => {
  let clock: ManualClock;
  let sim: Simulator;
  let scratch: string;
  let cwd: string;
  let running: string[];
  let finished: string[];
  const tasks = () => createTasksCommand({ clock });

  before(async () => {
    clock = new ManualClock();
    sim = await startSimulator({ clock, seed: 5, unauthorizedDelayMs: 0 });
    scratch = mkdtempSync(join(tmpdir(), 'pvetasks-tasks-'));
    cwd = join(scratch, 'wd');
    mkdirSync(cwd);
    running = [
      sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '101', durationMs: Infinity }),
      sim.control.spawnTask({ node: 'pve2', type: 'vzdump', id: '', durationMs: Infinity, user: 'root@pam!pvetasks' }),
    ];
    finished = [
      sim.control.spawnTask({ node: 'pve2', type: 'qmsnapshot', id: '102', durationMs: 1_000, exitStatus: 'WARNINGS: 1' }),
      sim.control.spawnTask({ node: 'pve3', type: 'vzstart', id: '103', durationMs: 2_000, exitStatus: 'CT 103 already running' }),
    ];
    await clock.runUntil(clock.sleep(5_000));
  });
  after(async () => {
    await sim.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const envFor = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    HOME: scratch,
    PROXMOX_VE_ENDPOINT: sim.url,
    PROXMOX_VE_API_TOKEN: sim.token,
    ...extra,
  });
  async function run(args: string[], options: { env?: NodeJS.ProcessEnv; tty?: boolean; cwd?: string } = {}) {
    const io: FakeIo = fakeIo({ env: options.env ?? envFor(), cwd: options.cwd ?? cwd, tty: options.tty ?? false });
    const code = await clock.runUntil(tasks()(args, io));
    return { code, io, stdout: io.stdout.text, stderr: io.stderr.text };
  }
  const byUpid = (items: TaskListItem[], upid: string) => items.find((item) => item.upid === upid);

  test('--json: one object per task from /cluster/tasks, running first, exit 0', async () => {
    const { code, io, stderr } = await run(['--json']);
    assert.equal(code, 0, stderr);
    const items = io.stdout.json() as unknown as TaskListItem[];
    for (const upid of [...running, ...finished]) assert.ok(byUpid(items, upid), upid);
    assert.deepEqual(Object.keys(items[0]!), [
      'upid',
      'node',
      'type',
      'id',
      'user',
      'tokenid',
      'starttime',
      'endtime',
      'running',
      'exitstatus',
      'outcome',
      'description',
    ]);
    const firstFinished = items.findIndex((item) => !item.running);
    assert.ok(
      items.slice(firstFinished).every((item) => !item.running),
      'running tasks come first',
    );

    const start = byUpid(items, running[0]!)!;
    assert.equal(start.running, true);
    assert.equal(start.outcome, 'running');
    assert.equal(start.exitstatus, null);
    assert.equal(start.endtime, null);
    assert.equal(start.description, 'VM 101 - Start');
    const backup = byUpid(items, running[1]!)!;
    assert.equal(backup.description, 'Backup Job');
    assert.equal(backup.user, 'root@pam');
    assert.equal(backup.tokenid, 'pvetasks');
    const snapshot = byUpid(items, finished[0]!)!;
    assert.equal(snapshot.outcome, 'warnings');
    assert.equal(snapshot.exitstatus, 'WARNINGS: 1');
    assert.equal(typeof snapshot.endtime, 'number');
    const failed = byUpid(items, finished[1]!)!;
    assert.equal(failed.outcome, 'failed');
    assert.equal(failed.description, 'CT 103 - Start');
  });

  test('--running lists only running tasks', async () => {
    const { code, io } = await run(['--running', '--json']);
    assert.equal(code, 0);
    const items = io.stdout.json() as unknown as TaskListItem[];
    assert.ok(items.length >= 2);
    assert.ok(items.every((item) => item.running));
    for (const upid of running) assert.ok(byUpid(items, upid));
    for (const upid of finished) assert.equal(byUpid(items, upid), undefined);
  });

  test('--node asks that node for its own list, with --running its active list', async () => {
    const before = sim.control.counters().byRoute['GET /nodes/{node}/tasks'] ?? 0;
    const all = await run(['--node', 'pve2', '--json']);
    assert.equal(all.code, 0, all.stderr);
    const items = all.io.stdout.json() as unknown as TaskListItem[];
    assert.ok(items.every((item) => item.node === 'pve2'));
    assert.ok(byUpid(items, running[1]!)?.running, 'active tasks are listed (source=all)');
    assert.equal(byUpid(items, finished[0]!)?.outcome, 'warnings');
    assert.equal(byUpid(items, running[1]!)?.tokenid, 'pvetasks', 'active rows split user!token too');

    const active = await run(['--node', 'pve2', '--node', 'pve1', '--running', '--json']);
    const activeItems = active.io.stdout.json() as unknown as TaskListItem[];
    assert.ok(activeItems.every((item) => item.running));
    assert.deepEqual(new Set(activeItems.map((item) => item.node)), new Set(['pve1', 'pve2']));
    assert.ok(byUpid(activeItems, running[0]!) && byUpid(activeItems, running[1]!));
    assert.equal((sim.control.counters().byRoute['GET /nodes/{node}/tasks'] ?? 0) - before, 3);
  });

  test('a plain table: on a TTY with coloured status words, without colour under NO_COLOR or a pipe', async () => {
    const tty = await run([], { tty: true });
    assert.equal(tty.code, 0);
    const lines = tty.stdout.split('\n');
    assert.match(lines[0]!, /^STARTED +NODE +DESCRIPTION +USER +STATUS +UPID$/);
    assert.ok(tty.stdout.includes(running[0]!));
    assert.match(tty.stdout, /VM 101 - Start +root@pam +running \d+s/);
    assert.match(tty.stdout, /\u001b\[33mWARNINGS: 1\u001b\[0m/);
    assert.match(tty.stdout, /\u001b\[31mERROR: CT 103 already running\u001b\[0m/);

    const noColor = await run([], { tty: true, env: envFor({ NO_COLOR: '1' }) });
    assert.ok(!noColor.stdout.includes('\u001b['));
    assert.match(noColor.stdout, /ERROR: CT 103 already running/);
    const piped = await run([]);
    assert.ok(!piped.stdout.includes('\u001b['));
    assert.equal(piped.stdout.split('\n')[0], lines[0]);
  });

  test('--help, and usage errors exit 2 in one line', async () => {
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: pvetasks tasks/);
    const unknown = await run(['--all']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, "pvetasks: unknown option --all; see 'pvetasks tasks --help'\n");
    const badNode = await run(['--node', 'no_such_node!']);
    assert.equal(badNode.code, 2);
    assert.match(badNode.stderr, /^pvetasks: --node: 'no_such_node!' is not a node name/);
  });

  test('no endpoint: exit 2 naming PROXMOX_VE_ENDPOINT, nothing asked', async () => {
    const before = sim.control.counters().total;
    const { code, stdout, stderr } = await run([], { env: { HOME: scratch, PROXMOX_VE_API_TOKEN: sim.token } });
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /^pvetasks: no Proxmox VE endpoint configured: set PROXMOX_VE_ENDPOINT/);
    assert.equal(stderr.split('\n').length, 2, 'one line');
    assert.equal(sim.control.counters().total, before);
  });

  test('exit 3 when it cannot connect or authenticate', async () => {
    const wrongSecret = sim.token.replace(/=.*/, '=00000000-0000-0000-0000-000000000000');
    const refused = await run([], { env: envFor({ PROXMOX_VE_API_TOKEN: wrongSecret }) });
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /^pvetasks: cannot connect to http:\/\/127\.0\.0\.1:\d+: /);

    const closedPort = await freePort();
    const down = await run([], { env: envFor({ PROXMOX_VE_ENDPOINT: `http://127.0.0.1:${closedPort}` }) });
    assert.equal(down.code, 3);
    assert.match(down.stderr, /^pvetasks: cannot connect to /);

    const tlsSim = await startSimulator({ clock, seed: 5, tls: true, nodes: 1, guests: 13, unauthorizedDelayMs: 0 });
    try {
      const untrusted = await run([], { env: envFor({ PROXMOX_VE_ENDPOINT: tlsSim.url, PROXMOX_VE_API_TOKEN: tlsSim.token }) });
      assert.equal(untrusted.code, 3, untrusted.stderr);
      const pinned = await run(['--json'], {
        env: envFor({ PROXMOX_VE_ENDPOINT: tlsSim.url, PROXMOX_VE_API_TOKEN: tlsSim.token, PROXMOX_VE_FINGERPRINT: tlsSim.fingerprint! }),
      });
      assert.equal(pinned.code, 0, pinned.stderr);
    } finally {
      await tlsSim.close();
    }
  });

  test('Ctrl-C while listing ends the command with the signal reason (130)', async () => {
    await sim.control.addFault('latency=5000');
    try {
      const io: FakeIo = fakeIo({ env: envFor(), cwd });
      const listing = tasks()(['--json'], io);
      const interrupt = (async () => {
        await clock.sleep(1_000);
        io.controller.abort(new CliError('interrupted by SIGINT', 130));
      })();
      const code = await clock.runUntil(listing);
      await interrupt;
      assert.equal(code, 130);
      assert.equal(io.stdout.text, '');
      assert.equal(io.stderr.text, 'pvetasks: interrupted by SIGINT\n');
    } finally {
      await sim.control.clearFaults();
    }
  });

  test('a token without Sys.Audit on /, which /cluster/tasks shows none of its own tasks, gets them from each node (issue 13)', async () => {
    const token = sim.control.addToken('noaudit', { audit: false });
    const authid = token.slice(0, token.indexOf('='));
    const own = sim.control.spawnTask({ node: 'pve2', type: 'qmstart', id: '103', user: authid, durationMs: 60_000 });
    const others = sim.control.spawnTask({ node: 'pve2', type: 'qmstart', id: '104', user: 'alice@pve', durationMs: 60_000 });
    const { code, stdout, stderr } = await run(['--json'], { env: envFor({ PROXMOX_VE_API_TOKEN: token }) });
    assert.equal(code, 0, stderr);
    const upids = stdout
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { upid: string }).upid);
    assert.ok(upids.includes(own), 'its own task, started elsewhere');
    assert.ok(!upids.includes(others), "not another user's");
    assert.doesNotMatch(stderr, /note:/);
  });

  test('a .env readable by others: a warning on stderr, and the listing still works', async () => {
    const dir = join(scratch, 'open-dotenv');
    mkdirSync(dir);
    writeFileSync(join(dir, '.env'), `PROXMOX_VE_ENDPOINT=${sim.url}\nPROXMOX_VE_API_TOKEN=${sim.token}\n`);
    chmodSync(join(dir, '.env'), 0o644);
    const { code, stderr } = await run(['--json'], { cwd: dir, env: { HOME: scratch } });
    assert.equal(code, 0);
    assert.match(stderr, /^pvetasks: warning: \.env .*readable by group or others.*chmod 600/m);
  });

  test('--token-file reads the token from a file', async () => {
    const file = join(scratch, 'token');
    writeFileSync(file, `${sim.token}\n`, { mode: 0o600 });
    const { code, stderr } = await run(['--token-file', file, '--json'], { env: { HOME: scratch, PROXMOX_VE_ENDPOINT: sim.url } });
    assert.equal(code, 0, stderr);
    const missing = await run(['--token-file', join(scratch, 'nope')], { env: { HOME: scratch, PROXMOX_VE_ENDPOINT: sim.url } });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read --token-file/);
  });

  test('no secret reaches stdout, stderr or an error message', async () => {
    const tokenSecret = sim.token.slice(sim.token.indexOf('=') + 1);
    const wrongTokenSecret = '0badc0de-1111-2222-3333-444444444444';
    const wrongPassword = 'not-the-password-7f3k2';
    const scenarios: Array<{ args: string[]; env: NodeJS.ProcessEnv }> = [
      { args: [], env: envFor() },
      { args: ['--json'], env: envFor() },
      { args: ['--node', 'pve2'], env: envFor() },
      { args: [], env: envFor({ PROXMOX_VE_API_TOKEN: sim.token.replace(tokenSecret, wrongTokenSecret) }) },
      { args: [], env: envFor({ PROXMOX_VE_API_TOKEN: wrongTokenSecret }) },
      { args: [], env: envFor({ PROXMOX_VE_API_TOKEN: `root@pam:${tokenSecret}` }) },
      { args: [], env: envFor({ PROXMOX_VE_ENDPOINT: `https://${sim.token}` }) },
      { args: [], env: envFor({ PROXMOX_VE_ENDPOINT: `http://root:${wrongPassword}@127.0.0.1:1` }) },
      { args: [], env: envFor({ PROXMOX_VE_API_TOKEN: '', PROXMOX_VE_USERNAME: 'root@pam', PROXMOX_VE_PASSWORD: sim.password }) },
      { args: [], env: envFor({ PROXMOX_VE_API_TOKEN: '', PROXMOX_VE_USERNAME: 'root@pam', PROXMOX_VE_PASSWORD: wrongPassword }) },
      { args: [], env: envFor({ PROXMOX_VE_API_TOKEN: '', PROXMOX_VE_USERNAME: 'root', PROXMOX_VE_PASSWORD: wrongPassword }) },
      { args: [], env: envFor({ PROXMOX_VE_API_TOKEN: '', PROXMOX_VE_PASSWORD: wrongPassword }) },
      { args: [`--token=${sim.token}`], env: envFor() },
      { args: ['--password', wrongPassword], env: envFor() },
      { args: [sim.token], env: envFor() },
      { args: [], env: envFor({ PROXMOX_VE_ENDPOINT: `http://127.0.0.1:${await freePort()}` }) },
    ];
    const secrets = [tokenSecret, wrongTokenSecret, wrongPassword, sim.password];
    const codes: number[] = [];
    for (const { args, env } of scenarios) {
      let thrown = '';
      let result: Awaited<ReturnType<typeof run>> | undefined;
      try {
        result = await run(args, { env });
        codes.push(result.code);
      } catch (error) {
        thrown = error instanceof Error ? `${error.message}\n${error.stack}` : String(error);
      }
      const seen = `${result?.stdout ?? ''}\n${result?.stderr ?? ''}\n${thrown}`;
      for (const secret of secrets) {
        assert.ok(!seen.includes(secret), `a secret leaked with ${JSON.stringify(args)}: ${seen}`);
      }
    }
    // The scenarios cover success, configuration errors and refused credentials.
    assert.deepEqual(new Set(codes), new Set([0, 2, 3]));
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
