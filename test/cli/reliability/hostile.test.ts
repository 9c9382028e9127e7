// Every script command against the hostile server of test/reliability/hostile/server.ts, in-process on
// a ManualClock, in every hostility mode, with an API token and with a ticket login. Each run must end
// with its normal output or a one-line error and a sensible exit code, never a stack trace or a
// JavaScript error's words, and the bytes it writes hold nothing a terminal acts on: no ESC, C1, bidi
// control or NUL from the server. `--json` lines parse, and every string in them is safe too.
//
// The limits (huge, endless and deeply nested answers: the 32 MiB answer cap with its streaming abort
// and the 64-level nesting refusal) and the sanitizing of server text in API errors (the `errors`
// mode) are the client's, from the `files-limits` branch; their tests say so in their names.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLaunchCommand } from '../../../src/cli/commands/launch.js';
import { createTasksCommand } from '../../../src/cli/commands/tasks.js';
import { createWaitCommand } from '../../../src/cli/commands/wait.js';
import { CliError, type Command } from '../../../src/cli/io.js';
import { ManualClock } from '../../../src/util/clock.js';
import { isSafeText } from '../../../src/util/sanitize.js';
import { fakeIo } from '../fake-io.js';
import { assertCleanStderr } from '../../reliability/helpers.js';
import { assertSafeOutput } from '../../reliability/hostile/attacks.js';
import {
  BACKUP_STORAGE,
  FOREIGN_TASKS,
  PASSWORD,
  STREAM_SAFETY_BYTES,
  TOKEN,
  USERNAME,
  startHostileServer,
  type HostileServer,
  type Mode,
} from '../../reliability/hostile/server.js';

const WAIT_UPIDS = [FOREIGN_TASKS[1]!.upid, FOREIGN_TASKS[2]!.upid];
const TIMEOUT = ['--timeout', '1m'];

const CASES = {
  tasks: ['tasks'],
  'tasks --json': ['tasks', '--json'],
  'tasks --node': ['tasks', '--node', 'pve1', '--node', 'pve2'],
  'wait --json': ['wait', ...WAIT_UPIDS, '--json', ...TIMEOUT],
  // --no-skip: the launches are sent whatever the hostile guest list says, so every answer path is met.
  'start --json': ['start', '100', '101', '--json', '--no-skip', ...TIMEOUT],
  backup: ['backup', '100', '--storage', BACKUP_STORAGE, '--no-skip', ...TIMEOUT],
  'snapshot --json': ['snapshot', '100', '101', '--name', 'pretest', '--json', '--no-skip', ...TIMEOUT],
} as const;
type CaseName = keyof typeof CASES;

/**
 * The exit code of each command in each mode. clean: everything works (so what fails elsewhere fails
 * because of the hostility). strings: listings work; every exit status is hostile, so tasks fail (1),
 * and vzdump's answer is no task id (unknown, 1). types: listings skip what they cannot read; launches
 * get no task id (1). scalar: a listing that is not a list (1); the guest list is not one either (1).
 * errors, huge, endless, deep: nothing can be read, not even the login (3).
 */
const EXIT_CODES: Record<Mode, Record<CaseName, number>> = {
  clean: { tasks: 0, 'tasks --json': 0, 'tasks --node': 0, 'wait --json': 0, 'start --json': 0, backup: 0, 'snapshot --json': 0 },
  strings: { tasks: 0, 'tasks --json': 0, 'tasks --node': 0, 'wait --json': 1, 'start --json': 1, backup: 1, 'snapshot --json': 1 },
  types: { tasks: 0, 'tasks --json': 0, 'tasks --node': 0, 'wait --json': 1, 'start --json': 1, backup: 1, 'snapshot --json': 1 },
  scalar: { tasks: 1, 'tasks --json': 1, 'tasks --node': 1, 'wait --json': 124, 'start --json': 1, backup: 1, 'snapshot --json': 1 },
  errors: { tasks: 3, 'tasks --json': 3, 'tasks --node': 3, 'wait --json': 3, 'start --json': 3, backup: 3, 'snapshot --json': 3 },
  huge: { tasks: 3, 'tasks --json': 3, 'tasks --node': 3, 'wait --json': 3, 'start --json': 3, backup: 3, 'snapshot --json': 3 },
  endless: { tasks: 3, 'tasks --json': 3, 'tasks --node': 3, 'wait --json': 3, 'start --json': 3, backup: 3, 'snapshot --json': 3 },
  deep: { tasks: 3, 'tasks --json': 3, 'tasks --node': 3, 'wait --json': 3, 'start --json': 3, backup: 3, 'snapshot --json': 3 },
};

/** Words of a JavaScript error that escaped as a message: the command met something it did not check. */
const JS_ERROR =
  /is not a function|Cannot read propert|is not iterable|is not defined|Maximum call stack|URI malformed|Invalid string length|\[object Object\]\)/;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** The session files the run left. */
  sessions: string[];
}

const scratch = mkdtempSync(join(tmpdir(), 'pvetasks-hostile-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a command in-process as the executable would: a CliError escaping is one line, anything else a failure. */
async function runCommand(server: HostileServer, args: readonly string[], { ticket = false } = {}): Promise<Run> {
  const clock = new ManualClock();
  const home = mkdtempSync(join(scratch, 'run-'));
  const credentials = ticket ? { PROXMOX_VE_USERNAME: USERNAME, PROXMOX_VE_PASSWORD: PASSWORD } : { PROXMOX_VE_API_TOKEN: TOKEN };
  const io = fakeIo({
    env: { HOME: home, PROXMOX_VE_ENDPOINT: server.url, PVETASKS_STATE_DIR: join(home, 'state'), ...credentials },
    cwd: home,
  });
  const commands: Record<string, Command> = {
    tasks: createTasksCommand({ clock }),
    wait: createWaitCommand({ clock }),
    start: createLaunchCommand('start', { clock }),
    backup: createLaunchCommand('backup', { clock }),
    snapshot: createLaunchCommand('snapshot', { clock }),
  };
  const [name, ...rest] = args;
  let code: number;
  try {
    code = await clock.runUntil(commands[name!]!(rest, io), { limitMs: 3 * 3600_000 });
  } catch (error) {
    // What main.ts does with an error that escapes a command; anything but a CliError is a bug here.
    if (!(error instanceof CliError)) throw error;
    io.stderr.write(`pvetasks: ${error.message}\n`);
    code = error.exitCode;
  }
  const stateDir = join(home, 'state');
  const sessions = existsSync(stateDir) ? readdirSync(stateDir).filter((name) => name.endsWith('.json')) : [];
  return { code, stdout: io.stdout.text, stderr: io.stderr.text, sessions };
}

/** What every run must show, whatever the server did. */
function assertSurvived(run: Run, args: readonly string[]): void {
  const context = `pvetasks ${args.join(' ')} -> ${run.code}\nstdout: ${run.stdout.slice(0, 2000)}\nstderr: ${run.stderr.slice(0, 2000)}`;
  assert.ok([0, 1, 3, 124].includes(run.code), `a sensible exit code: ${context}`);
  assertCleanStderr(run.stderr);
  assert.doesNotMatch(run.stderr, JS_ERROR, context);
  assertSafeOutput(run.stdout, `stdout of pvetasks ${args.join(' ')}`);
  assertSafeOutput(run.stderr, `stderr of pvetasks ${args.join(' ')}`);
  for (const line of [...run.stdout.split('\n'), ...run.stderr.split('\n')]) {
    assert.ok(line.length <= 16 * 1024, `no endless line (${line.length} characters): ${line.slice(0, 200)}`);
  }
  if (run.code === 3) {
    assert.match(run.stderr, /^pvetasks: cannot connect to [^\n]+\n$/, `one line when nothing could be done: ${context}`);
    assert.equal(run.stdout, '');
  }
  if (args.includes('--json')) {
    const lines = run.stdout.split('\n').filter(Boolean);
    for (const line of lines) assertSafeStrings(JSON.parse(line), line);
    // A waiting command that got as far as a target ends its events with the summary.
    if (args[0] !== 'tasks' && lines.length > 0) {
      assert.equal(JSON.parse(lines.at(-1)!).event, 'summary', `the summary comes last: ${context}`);
    }
  }
}

/** Every string in a parsed `--json` value is one the sanitizer would leave as it is. */
function assertSafeStrings(value: unknown, line: string): void {
  if (typeof value === 'string') assert.ok(isSafeText(value), `a JSON value a terminal would act on, in ${line.slice(0, 300)}`);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) assertSafeStrings(item, line);
}

/** What each mode shows beyond surviving: the hostile data was read, cleaned and named. */
const SHOWS: Partial<Record<Mode, Partial<Record<CaseName, (run: Run) => void>>>> = {
  strings: {
    tasks: (run) => {
      assert.match(run.stdout, /ERROR: job errors \^\[ \^\[ \^\[click\^\[/, 'the attacks show as placeholders');
      assert.match(run.stderr, /^2 malformed items in \/cluster\/tasks ignored$/m, 'hostile UPIDs are malformed items');
    },
    'wait --json': (run) => {
      const finished = JSON.parse(run.stdout.split('\n').find((line) => line.includes('"finished"') && line.includes(':vzdump:'))!);
      assert.equal(finished.outcome, 'failed');
      assert.match(finished.exitstatus, /^job errors \^\[ /);
    },
    backup: (run) => {
      // A storage id that is not one (controls, `../../etc`) is not offered back to the server.
      assert.match(run.stderr, /^pvetasks: warning: 2 malformed items in \/nodes\/pve1\/storage ignored$/m);
      assert.match(run.stderr, /UNKNOWN .* PVE answered 'UPID:pve1:[^']*root@pam\^\[:' instead of a task id/);
    },
    'start --json': (run) => {
      assert.match(run.stderr, /started {3}VM 100 \(web \^\[ /, "the guest's name, cleaned");
      // The cluster's name (1 MiB of it) is not one: the session is named after the endpoint's host.
      assert.deepEqual(run.sessions, ['127.0.0.1@root@pam!hostile.json']);
    },
  },
  types: {
    // Where /access/permissions (itself hostile) shows no Sys.Audit on /, each node's own list is read.
    tasks: (run) => assert.match(run.stderr, /^\d+ malformed items in \/(cluster|nodes\/pve1)\/tasks ignored$/m),
    'tasks --node': (run) => assert.match(run.stderr, /^\d+ malformed items in \/nodes\/pve1\/tasks ignored$/m),
    'start --json': (run) => {
      assert.match(run.stderr, /malformed items in \/cluster\/resources ignored/);
      assert.match(run.stdout, /"outcome":"unknown","exitstatus":null,"message":"PVE answered '\[object Object\]' instead of a task id"/);
    },
  },
  scalar: {
    tasks: (run) =>
      assert.match(run.stderr, /^pvetasks: cannot list tasks: unexpected answer from \/(cluster\/tasks|nodes): not a list\n$/),
    'start --json': (run) =>
      assert.match(run.stderr, /1 malformed item in \/cluster\/resources ignored/, 'the guest list was not one: said so'),
  },
  errors: {
    tasks: (run) => assert.match(run.stderr, /GET \/version: 401 \^\[ \^\[ \^\[click/, 'the reason phrase, cleaned'),
  },
  huge: { tasks: (run) => assert.match(run.stderr, /answer from \S+ larger than 32 MiB; refused/) },
  endless: { tasks: (run) => assert.match(run.stderr, /answer from \S+ larger than 32 MiB; refused/) },
  deep: { tasks: (run) => assert.match(run.stderr, /nested deeper than 64 levels; refused/) },
};

/** Modes whose defence is the client's answer limits and error sanitizing (files-limits). */
const LIMIT_MODES = new Set<Mode>(['errors', 'huge', 'endless', 'deep']);

for (const mode of Object.keys(EXIT_CODES) as Mode[]) {
  const title = LIMIT_MODES.has(mode)
    ? `commands against a hostile server, mode ${mode} (defended by the client's limits, files-limits)`
    : `commands against a hostile server, mode ${mode}`;
  describe(title, () => {
    let server: HostileServer;
    before(async () => {
      server = await startHostileServer(mode);
    });
    after(() => server.close());

    for (const [name, args] of Object.entries(CASES) as Array<[CaseName, readonly string[]]>) {
      test(`pvetasks ${args.join(' ')}`, async () => {
        const streamedBefore = server.streamed.length;
        const run = await runCommand(server, args);
        assertSurvived(run, args);
        assert.equal(run.code, EXIT_CODES[mode][name], `exit code\nstderr: ${run.stderr.slice(0, 2000)}`);
        SHOWS[mode]?.[name]?.(run);
        // A body too big is cut off at the cap: the client hangs up long before the server's safety stop.
        for (const bytes of server.streamed.slice(streamedBefore)) assert.ok(bytes < 40 * 1024 * 1024, `${bytes} bytes were read`);
      });
    }

    test('with a ticket login: pvetasks start 100 101 --json', async () => {
      const args = CASES['start --json'];
      const run = await runCommand(server, args, { ticket: true });
      assertSurvived(run, args);
      if (mode === 'clean') assert.equal(run.code, 0, run.stderr);
      if (mode === 'strings' || mode === 'types') {
        // The login answer itself is hostile (a ticket with controls and lone surrogates, a number).
        assert.equal(run.code, 3, run.stderr);
        assert.match(run.stderr, /POST \/access\/ticket: login as root@pam answered with a ticket that is not PVE's/);
      }
    });
  });
}

describe("answer limits once connected (the client's, files-limits): the command ends with one line, the read was cut at the cap", () => {
  let server: HostileServer;
  before(async () => {
    server = await startHostileServer('clean');
  });
  after(() => server.close());

  const cases: Array<{ route: string; mode: Mode; args: readonly string[]; code: number; says: RegExp }> = [
    {
      route: '/cluster/tasks',
      mode: 'huge',
      args: CASES.tasks,
      code: 1,
      says: /^pvetasks: cannot list tasks: GET \/cluster\/tasks: answer from \S+ larger than 32 MiB; refused\n$/,
    },
    { route: '/cluster/tasks', mode: 'endless', args: CASES['tasks --json'], code: 1, says: /larger than 32 MiB; refused\n$/ },
    {
      route: '/cluster/resources',
      mode: 'deep',
      args: CASES['start --json'],
      code: 1,
      says: /^pvetasks: cannot read the cluster's guests: .*nested deeper than 64 levels; refused\n$/,
    },
    {
      route: '/cluster/resources',
      mode: 'endless',
      args: CASES.backup,
      code: 1,
      says: /^pvetasks: cannot read the cluster's guests: .*larger than 32 MiB; refused\n$/,
    },
    // The tasks' own node cannot be read at all: they time out (the task keeps running there).
    { route: '/nodes/{node}/tasks', mode: 'endless', args: CASES['wait --json'], code: 124, says: /2 targets: 2 timed out\n$/ },
  ];
  for (const { route, mode, args, code, says } of cases) {
    test(`${route} ${mode}: pvetasks ${args.join(' ')}`, async () => {
      server.routeModes.clear();
      server.routeModes.set(route, mode);
      if (route === '/nodes/{node}/tasks') server.routeModes.set('/nodes/{node}/tasks/{upid}/status', mode);
      const streamedBefore = server.streamed.length;
      const run = await runCommand(server, args);
      assertSurvived(run, args);
      assert.equal(run.code, code, run.stderr);
      assert.match(run.stderr, says);
      const streamed = server.streamed.slice(streamedBefore);
      if (mode !== 'deep') assert.ok(streamed.length > 0, 'the hostile answer was asked for');
      for (const bytes of streamed) assert.ok(bytes < 40 * 1024 * 1024 && bytes < STREAM_SAFETY_BYTES, `${bytes} bytes were read`);
    });
  }
});

describe('no request is built from a name the server gave that is not one', () => {
  test("guests on node '..' or a node with controls are skipped, never asked for", async () => {
    const server = await startHostileServer('strings');
    try {
      const run = await runCommand(server, ['start', '110', '111', '--json', '--no-skip', ...TIMEOUT]);
      assertSurvived(run, CASES['start --json']);
      assert.equal(run.code, 1, run.stderr);
      assert.equal(
        run.stderr,
        'pvetasks: warning: 2 malformed items in /cluster/resources ignored\n' +
          'pvetasks: guest 110 is not in the guest list, of which 2 entries could not be read (nothing was started)\n',
      );
      assert.ok(
        server.requests.every((request) => !/\/\.\.(\/|$)|\u001b/.test(request)),
        `no path with '..' or ESC: ${server.requests.join('\n')}`,
      );
    } finally {
      await server.close();
    }
  });
});
