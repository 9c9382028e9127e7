// Bad input everywhere it enters, as a table: each case runs the command in-process against the
// simulator (the real executable where the entry point matters) and expects one line on stderr that
// names the fix, exit 2 (3 when authentication fails), no stack trace, and nothing started.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createBoardCommand } from '../../../src/cli/commands/board.js';
import { createLaunchCommand } from '../../../src/cli/commands/launch.js';
import { createTasksCommand } from '../../../src/cli/commands/tasks.js';
import { createWaitCommand } from '../../../src/cli/commands/wait.js';
import type { Command } from '../../../src/cli/io.js';
import type { ManualClock } from '../../../src/util/clock.js';
import { startSimulator } from '../../../src/sim/index.js';
import { assertCleanStderr, ioFor, scratchDir, spawnBatch, startCluster, type Simulator } from '../../reliability/helpers.js';

import { CASES, SECRET, type Name } from './bad-input-cases.js';

function commandFor(name: Name, clock: ManualClock): Command {
  switch (name) {
    case 'wait':
      return createWaitCommand({ clock });
    case 'tasks':
      return createTasksCommand({ clock });
    case 'board':
      return createBoardCommand({ clock });
    default:
      return createLaunchCommand(name, { clock });
  }
}

/** Routes that change something. A login (which the simulator counts as `POST (unknown)`) changes nothing. */
function writes(sim: Simulator): string[] {
  return Object.keys(sim.control.counters().byRoute).filter((route) => /^(POST|PUT|DELETE) /.test(route) && route !== 'POST (unknown)');
}

describe('bad input, in-process', () => {
  let sim: Simulator;
  let clock: ManualClock;
  before(async () => {
    ({ sim, clock } = await startCluster());
  });
  after(() => sim.close());

  for (const entry of CASES) {
    test(`${entry.command}: ${entry.what}`, async () => {
      const env = typeof entry.env === 'function' ? entry.env(sim) : entry.env;
      const io = ioFor(sim, { env });
      // The board's checks come after its terminal check: give it one, except where that is the point.
      if (entry.command === 'board' && !/without a terminal/.test(entry.what)) {
        Object.assign(io.stdin, { isTTY: true });
        io.stdout.isTTY = true;
      }
      sim.control.resetCounters();
      const tasksBefore = sim.control.tasks().length;
      const args = typeof entry.args === 'function' ? entry.args(sim) : entry.args;
      const code = await clock.runUntil(commandFor(entry.command, clock)(args, io));
      const lines = io.stderr.lines();
      assert.equal(lines.length, 1, `one line on stderr, got:\n${io.stderr.text}`);
      assert.match(lines[0]!, /^pvetasks: /);
      assert.match(lines[0]!, entry.fix);
      assertCleanStderr(io.stderr.text);
      assert.equal(io.stdout.text, '', 'nothing on stdout');
      for (const secret of [SECRET, SECRET.toLowerCase(), 'hunter22', 'not-the-password', sim.control.tfaUser.password, '0b5c 1a52']) {
        assert.ok(!io.stderr.text.includes(secret), `a secret in: ${lines[0]}`);
      }
      assert.equal(code, entry.code ?? 2, lines[0]);
      assert.deepEqual(writes(sim), [], 'nothing was started');
      assert.equal(sim.control.tasks().length, tasksBefore, 'no task on the cluster');
    });
  }
});

describe('session files and .env, on the command path', () => {
  let sim: Simulator;
  let clock: ManualClock;
  before(async () => {
    ({ sim, clock } = await startCluster({ guests: 60 }));
  });
  after(() => sim.close());

  const stopped = () =>
    sim.control.guests({ status: 'stopped' }).filter((guest) => guest.roles.length === 0 && !guest.template && !guest.hastate);

  /** Runs `start` for one guest in `dir` (its state in dir/state); returns the session file's path. */
  async function startOne(dir: string | undefined, vmid: number) {
    const io = ioFor(sim, dir ? { cwd: dir } : {});
    const code = await clock.runUntil(createLaunchCommand('start', { clock })([String(vmid), '--json'], io));
    const files = existsSync(io.stateDir) ? readdirSync(io.stateDir).filter((name) => name.endsWith('.json')) : [];
    return { code, io, dir: join(io.stateDir, '..'), session: files.length === 1 ? join(io.stateDir, files[0]!) : undefined };
  }

  for (const damage of ['corrupt', 'unreadable'] as const) {
    test(`a ${damage} session file is kept aside with a warning, never overwritten, and the command goes on`, async () => {
      const [first, second] = stopped().filter((guest) => sim.control.tasks({ id: String(guest.vmid) }).length === 0);
      const one = await startOne(undefined, first!.vmid);
      assert.equal(one.code, 0, one.io.stderr.text);
      assert.ok(one.session, 'the first run kept a session');
      const path = one.session!;
      const broken = '{"version":1,"cluster":"sim","rows":[{"key":"t1","state":"runn';
      if (damage === 'corrupt') writeFileSync(path, broken);
      else {
        // Root reads any file whatever its mode: a directory in its place cannot be read either.
        rmSync(path);
        mkdirSync(path);
      }
      const two = await startOne(one.dir, second!.vmid);
      assert.equal(two.code, 0, two.io.stderr.text);
      const warnings = two.io.stderr.lines().filter((line) => line.startsWith('pvetasks: warning: '));
      assert.equal(warnings.length, 1, two.io.stderr.text);
      const aside = new RegExp(
        `session file ${escape(path)} is ${damage}${damage === 'unreadable' ? ' \\(EISDIR\\)' : ''}; kept it as (${escape(path)}\\.${damage}-\\S+) and started a new one$`,
      );
      const match = aside.exec(warnings[0]!);
      assert.ok(match, warnings[0]);
      if (damage === 'corrupt') assert.equal(readFileSync(match[1]!, 'utf8'), broken, 'the damaged file is kept as it was');
      else assert.ok(existsSync(match[1]!));
      const saved = JSON.parse(readFileSync(path, 'utf8'));
      assert.deepEqual(
        saved.tasks.map((row: { vmids: number[] }) => row.vmids[0]),
        [second!.vmid],
        'a new session file',
      );
    });
  }

  test('a .env readable by others gets a warning naming chmod 600; the command still works; at 0600 no warning', async () => {
    const [task] = spawnBatch(sim, 1, { firstVmid: 9500 });
    const dir = scratchDir();
    const dotenv = join(dir, '.env');
    writeFileSync(dotenv, `PROXMOX_VE_ENDPOINT=${sim.url}\nPROXMOX_VE_API_TOKEN=${sim.token}\n`);
    for (const mode of [0o644, 0o600]) {
      chmodSync(dotenv, mode);
      const io = ioFor(sim, { cwd: dir, env: { PROXMOX_VE_ENDPOINT: '', PROXMOX_VE_API_TOKEN: '' } });
      const code = await clock.runUntil(createWaitCommand({ clock })([task!.upid, '--json'], io));
      assert.equal(code, 0, io.stderr.text);
      const warnings = io.stderr.lines().filter((line) => line.startsWith('pvetasks: warning: '));
      if (mode === 0o600) assert.deepEqual(warnings, []);
      else {
        assert.equal(warnings.length, 1);
        assert.match(
          warnings[0]!,
          new RegExp(
            `\\.env ${escape(dotenv)} is readable by group or others \\(mode 644\\) and may hold secrets: chmod 600 ${escape(dotenv)}$`,
          ),
        );
      }
      assert.ok(!io.stderr.text.includes(sim.token.split('=')[1]!));
    }
  });
});

describe('bad input through the real executable', () => {
  const main = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

  function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      // tsx by its full URL: the working directory is an empty one (no .env of the developer's).
      const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), main, ...args], {
        cwd: scratchDir(),
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  test('an unknown command, a secret flag before any command, a bad UPID, a wrong token: one line each, exit 2 or 3', async () => {
    // Real time: the executable is another process.
    const sim = await startSimulator({ nodes: 3, unauthorizedDelayMs: 0 });
    try {
      const wrongToken = `${sim.token.split('=')[0]}=${SECRET}`;
      const results = await Promise.all([
        cli(['frobnicate']),
        cli(['--token', SECRET]),
        cli(['wait', 'UPID:nope']),
        cli(['tasks'], { PROXMOX_VE_ENDPOINT: sim.url, PROXMOX_VE_API_TOKEN: wrongToken }),
      ]);
      const expected: Array<[number, RegExp]> = [
        [2, /^pvetasks: unknown command 'frobnicate'; see 'pvetasks --help'$/],
        [2, /^pvetasks: --token is not accepted: secrets never go on the command line/],
        [2, /^pvetasks: invalid UPID 'UPID:nope'/],
        [3, /^pvetasks: cannot connect to .*401 .*the API token was refused/],
      ];
      for (const [index, result] of results.entries()) {
        const [code, line] = expected[index]!;
        const lines = result.stderr.split('\n').filter(Boolean);
        assert.equal(lines.length, 1, result.stderr);
        assert.match(lines[0]!, line);
        assert.equal(result.code, code, result.stderr);
        assert.equal(result.stdout, '');
        assert.ok(!result.stderr.includes(SECRET));
      }
    } finally {
      await sim.close();
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
