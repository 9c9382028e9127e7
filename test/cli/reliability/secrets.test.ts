// Secrets: every command but `sim` (whose demo credentials are printed on purpose), the board
// included, runs with a known token and, separately, a known password, on the happy path and on
// forced failures (wrong password, 401, 500, a TLS mismatch); then all output, the session files,
// the error messages and the real executable's argv are searched for them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createBoardCommand } from '../../../src/cli/commands/board.js';
import { createLaunchCommand } from '../../../src/cli/commands/launch.js';
import { createTasksCommand } from '../../../src/cli/commands/tasks.js';
import { createWaitCommand } from '../../../src/cli/commands/wait.js';
import type { CliIo } from '../../../src/cli/io.js';
import { startSimulator } from '../../../src/sim/index.js';
import { ManualClock } from '../../../src/util/clock.js';
import type { FakeIo } from '../fake-io.js';
import { at, ioFor, scratchDir, SECOND, spawnBatch, type Simulator } from '../../reliability/helpers.js';
import { FakeStdin, FakeStdout } from '../../helpers/fake-tty.js';

const TOKEN_SECRET = '7f3e9c1a-52b4-4d6e-9a8f-0c1b2d3e4f5a';
const TOKEN = `root@pam!reliability=${TOKEN_SECRET}`;
const PASSWORD = 'Correct-Horse-7-Battery';

/** Everything a run left behind that a person or a log could read. */
interface Trace {
  label: string;
  text: string;
}

/** Every file under `dir` (session files, locks, files kept aside), read as text. */
function filesUnder(dir: string): Trace[] {
  if (!existsSync(dir)) return [];
  const out: Trace[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push({ label: path, text: readFileSync(path, 'utf8') });
  }
  return out;
}

function assertNoSecret(traces: Trace[], secrets: string[]): void {
  assert.ok(traces.length > 0);
  for (const { label, text } of traces) {
    for (const secret of secrets) {
      assert.ok(!text.includes(secret), `${label} contains a secret:\n${text.slice(0, 2000)}`);
    }
    // Nor a PVE ticket or CSRF token (a password login's session).
    assert.doesNotMatch(text, /PVE:[^:\s]+:[0-9A-F]{8}::/, `${label} contains a ticket`);
  }
}

type Auth = 'token' | 'password';

describe('secrets never show', () => {
  let sim: Simulator;
  let clock: ManualClock;
  before(async () => {
    clock = new ManualClock();
    sim = await startSimulator({ clock, nodes: 3, guests: 60, seed: 7, unauthorizedDelayMs: 0, token: TOKEN, password: PASSWORD });
  });
  after(() => sim.close());

  const secrets = [TOKEN, TOKEN_SECRET, PASSWORD, encodeURIComponent(PASSWORD)];
  const fresh = () =>
    sim.control
      .guests({ status: 'stopped' })
      .filter(
        (guest) =>
          guest.roles.length === 0 && !guest.template && !guest.hastate && sim.control.tasks({ id: String(guest.vmid) }).length === 0,
      );

  function envFor(auth: Auth, overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return auth === 'token'
      ? { PROXMOX_VE_API_TOKEN: TOKEN, ...overrides }
      : { PROXMOX_VE_API_TOKEN: '', PROXMOX_VE_USERNAME: 'root@pam', PROXMOX_VE_PASSWORD: PASSWORD, ...overrides };
  }

  /** Runs the commands a maintenance window uses, with one kind of credentials, in one working dir. */
  async function everyCommand(auth: Auth): Promise<Trace[]> {
    const dir = scratchDir();
    const ios: Array<{ label: string; io: FakeIo }> = [];
    const run = async (
      label: string,
      command: (args: string[], io: CliIo) => Promise<number>,
      args: string[],
      env: NodeJS.ProcessEnv = {},
    ) => {
      const io = ioFor(sim, { cwd: dir, env: envFor(auth, env) });
      ios.push({ label, io });
      return clock.runUntil(command(args, io));
    };
    const tasks = spawnBatch(sim, 3, { firstVmid: auth === 'token' ? 9100 : 9200 });
    const [a, b, c] = fresh();
    assert.equal(await run('wait', createWaitCommand({ clock }), [...tasks.map((task) => task.upid), '--json']), 1);
    assert.equal(await run('wait (human)', createWaitCommand({ clock }), [tasks[0]!.upid]), 0);
    assert.equal(await run('tasks --json', createTasksCommand({ clock }), ['--json']), 0);
    assert.equal(await run('tasks', createTasksCommand({ clock }), ['--node', 'pve1']), 0);
    assert.equal(await run('start', createLaunchCommand('start', { clock }), [String(a!.vmid), '--json']), 0);
    assert.equal(await run('backup', createLaunchCommand('backup', { clock }), [String(b!.vmid), '--storage', 'local']), 0);
    assert.equal(
      await run('snapshot', createLaunchCommand('snapshot', { clock }), [String(c!.vmid), '--name', `rel-${auth}`, '--json']),
      0,
    );
    // Forced failures: refused credentials, 500s, a node that is down.
    const wrong =
      auth === 'token'
        ? { PROXMOX_VE_API_TOKEN: `root@pam!reliability=${TOKEN_SECRET.replace(/^7/, '8')}` }
        : { PROXMOX_VE_PASSWORD: `${PASSWORD}x` };
    assert.equal(await run('401', createTasksCommand({ clock }), [], wrong), 3);
    await sim.control.addFault('error500=1');
    const failing = await run('500s', createTasksCommand({ clock }), []);
    assert.ok(failing === 1 || failing === 3, String(failing));
    await sim.control.clearFaults();
    const [d] = fresh();
    await sim.control.addFault('offline=pve1:refuse');
    await sim.control.addFault('offline=pve2:refuse');
    await sim.control.addFault('offline=pve3:refuse');
    const unreachable = await run('595', createLaunchCommand('start', { clock }), [String(d!.vmid), '--json']);
    assert.ok(unreachable === 1 || unreachable === 3);
    await sim.control.clearFaults();

    // The board, in-process on a fake terminal: start a guest from it, then quit.
    const stdout = new FakeStdout(100, 30);
    const stdin = new FakeStdin();
    const boardIo = {
      ...ioFor(sim, { cwd: dir, env: envFor(auth) }),
      stdout: stdout as unknown as FakeIo['stdout'],
      stdin: stdin as unknown as FakeIo['stdin'],
    };
    const [e] = fresh();
    const board = createBoardCommand({ clock })(['--interval', '1s'], boardIo);
    at(clock, 5 * SECOND, () => stdin.type('\t'));
    at(clock, 6 * SECOND, () => stdin.type('/'));
    at(clock, 7 * SECOND, () => stdin.type(String(e!.vmid)));
    at(clock, 8 * SECOND, () => stdin.type('\r'));
    at(clock, 9 * SECOND, () => stdin.type(' '));
    at(clock, 10 * SECOND, () => stdin.type('s'));
    at(clock, 11 * SECOND, () => stdin.type('y'));
    at(clock, 40 * SECOND, () => stdin.type('q'));
    at(clock, 41 * SECOND, () => stdin.type('y'));
    assert.equal(await clock.runUntil(board), 0, boardIo.stderr.text);
    assert.ok(sim.control.tasks({ id: String(e!.vmid) }).length === 1, 'the board started the guest');
    assert.match(stdout.text, new RegExp(`Start`));

    return [
      ...ios.flatMap(({ label, io }) => [
        { label: `${label} stdout`, text: io.stdout.text },
        { label: `${label} stderr`, text: io.stderr.text },
      ]),
      { label: 'board stdout', text: stdout.text },
      { label: 'board stderr', text: boardIo.stderr.text },
      ...filesUnder(dir),
    ];
  }

  for (const auth of ['token', 'password'] as const) {
    test(`with a ${auth}: wait, tasks, start, backup, snapshot, the board, and their failures`, async () => {
      const traces = await everyCommand(auth);
      // The runs did say things, and kept session files.
      assert.ok(
        traces.some((trace) => trace.label.endsWith('.json') && trace.text.includes('"tasks"')),
        'a session file was searched',
      );
      assert.ok(
        traces.some((trace) => /401/.test(trace.text)),
        'the refused login was reported',
      );
      assert.ok(
        traces.some((trace) => /500 ipcc_send_rec/.test(trace.text)),
        'the 500 was reported',
      );
      assertNoSecret(traces, secrets);
    });
  }

  test('a TLS mismatch, and a certificate not trusted: the messages name the fingerprint, never the credentials', async () => {
    const tlsClock = new ManualClock();
    const tls = await startSimulator({
      clock: tlsClock,
      tls: true,
      nodes: 1,
      guests: 13,
      unauthorizedDelayMs: 0,
      token: TOKEN,
      password: PASSWORD,
    });
    try {
      const traces: Trace[] = [];
      for (const auth of ['token', 'password'] as const) {
        for (const fingerprint of ['00'.repeat(32), undefined]) {
          const io = ioFor(tls, { env: envFor(auth, fingerprint ? { PROXMOX_VE_FINGERPRINT: fingerprint } : {}) });
          const code = await tlsClock.runUntil(createTasksCommand({ clock: tlsClock })([], io));
          assert.equal(code, 3);
          assert.match(
            io.stderr.text,
            fingerprint ? /not the pinned one; refused/ : /is not trusted: it is signed by an untrusted CA|is not trusted/,
          );
          assert.ok(io.stderr.text.includes(tls.fingerprint!));
          traces.push({ label: `tls ${auth} ${fingerprint ? 'pin' : 'ca'}`, text: io.stderr.text + io.stdout.text });
        }
      }
      assertNoSecret(traces, secrets);
    } finally {
      await tls.close();
    }
  });
});

describe('a password that is an ordinary word', () => {
  test('is masked wherever it stands as a word, even in our own wording; messages stay readable around it', async () => {
    const wordClock = new ManualClock();
    const sim = await startSimulator({ clock: wordClock, nodes: 3, guests: 13, unauthorizedDelayMs: 0, password: 'node' });
    try {
      const io = ioFor(sim, { env: { PROXMOX_VE_API_TOKEN: '', PROXMOX_VE_USERNAME: 'root@pam', PROXMOX_VE_PASSWORD: 'node' } });
      const code = await wordClock.runUntil(createTasksCommand({ clock: wordClock })(['--node', 'pve9'], io));
      assert.equal(code, 1);
      // `/nodes/` is not the password: it stays as it is.
      assert.match(io.stderr.text, /^pvetasks: cannot list tasks: GET \/nodes\/pve9\/tasks: 500 hostname lookup 'pve9' failed/);
      assert.doesNotMatch(io.stderr.text, /(^|[^A-Za-z0-9])node([^A-Za-z0-9]|$)/, 'the word itself never shows');
      const { redact } = await import('../../../src/api/errors.js');
      assert.equal(redact('no such node; /nodes/pve1 (node pve1)', ['node']), 'no such ***; /nodes/pve1 (*** pve1)');
    } finally {
      await sim.close();
    }
  });
});

describe('the real executable', () => {
  test('argv never holds the token (it is read from the environment or --token-file), nor does any output', async () => {
    // Real time: the executable is another process.
    const sim = await startSimulator({ nodes: 3, guests: 13, unauthorizedDelayMs: 0, token: TOKEN, password: PASSWORD });
    try {
      const dir = scratchDir();
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
      const main = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
      const runs: Array<{ args: string[]; env: NodeJS.ProcessEnv }> = [
        { args: [], env: { PROXMOX_VE_API_TOKEN: TOKEN } },
        { args: ['--token-file', tokenFile], env: {} },
        { args: [], env: { PROXMOX_VE_USERNAME: 'root@pam', PROXMOX_VE_PASSWORD: PASSWORD } },
      ];
      for (const [index, run] of runs.entries()) {
        const upid = sim.control.spawnTask({ node: 'pve2', type: 'qmstart', id: String(9300 + index), durationMs: Infinity });
        const args = ['wait', upid, '--json', '--interval', '500ms', ...run.args];
        const env = run.env;
        const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), main, ...args], {
          cwd: dir,
          env: { PATH: process.env.PATH, HOME: dir, PROXMOX_VE_ENDPOINT: sim.url, PVETASKS_STATE_DIR: join(dir, 'state'), ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stderr.on('data', (chunk) => (stderr += chunk));
        // Once the task is being watched (its `started` line), read the process's argv, then end the task.
        const cmdline = await new Promise<string>((resolve, reject) => {
          child.on('error', reject);
          child.on('exit', () => reject(new Error(`exited early: ${stderr}`)));
          child.stdout.on('data', (chunk) => {
            stdout += chunk;
            if (stdout.includes('"event":"started"')) resolve(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8'));
          });
        });
        child.removeAllListeners('exit');
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        sim.control.finishTask(upid, 'OK');
        assert.equal(await exited, 0, stderr);
        assert.ok(cmdline.includes('wait') && cmdline.includes(upid), cmdline);
        assertNoSecret(
          [
            { label: 'argv', text: cmdline.split('\0').join(' ') },
            { label: 'stdout', text: stdout },
            { label: 'stderr', text: stderr },
          ],
          [TOKEN, TOKEN_SECRET, PASSWORD],
        );
      }
    } finally {
      await sim.close();
    }
  });
});
