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

type Name = 'wait' | 'start' | 'backup' | 'snapshot' | 'tasks' | 'board';

interface Case {
  /** What is wrong, for the test's name. */
  what: string;
  command: Name;
  args: string[] | ((sim: Simulator) => string[]);
  env?: NodeJS.ProcessEnv | ((sim: Simulator) => NodeJS.ProcessEnv);
  /** Default 2. */
  code?: number;
  /** The fix the one line must name. */
  fix: RegExp;
}

const UPID_OK = 'UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:';
/** A token secret that must never be repeated. */
const SECRET = '0b5c1a52-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

const CASES: Case[] = [
  // UPIDs
  { what: 'a UPID that is not one', command: 'wait', args: ['not-a-upid'], fix: /invalid UPID 'not-a-upid': a UPID starts with 'UPID:'/ },
  { what: 'a UPID without its trailing colon', command: 'wait', args: [UPID_OK.slice(0, -1)], fix: /ends with ':' after the user/ },
  {
    what: 'a UPID of the old docs without pstart',
    command: 'wait',
    args: ['UPID:pve1:0001A2B3:6700AB12:qmstart:100:root@pam:'],
    fix: /lacks the pstart field/,
  },
  {
    what: 'a UPID with a bad node name',
    command: 'wait',
    args: ['UPID:pve_1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:'],
    fix: /node 'pve_1' is not a valid node name/,
  },
  {
    what: 'a UPID with a short pid',
    command: 'wait',
    args: ['UPID:pve1:A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:'],
    fix: /pid 'A2B3' must be 8 hex digits/,
  },
  { what: 'one bad UPID among good ones', command: 'wait', args: [UPID_OK, 'UPID:pve1:'], fix: /invalid UPID 'UPID:pve1:'/ },
  { what: 'wait without a UPID', command: 'wait', args: [], fix: /needs at least one UPID; see 'pvetasks wait --help'/ },
  // VMIDs and guests
  {
    what: 'a VMID that is a word',
    command: 'start',
    args: ['web01'],
    fix: /'web01' is not a guest: use a VMID \(e\.g\. 100\) or NODE:VMID/,
  },
  { what: 'a VMID below 100', command: 'start', args: ['99'], fix: /a VMID is a number from 100 to 999999999/ },
  { what: 'a VMID with a leading zero', command: 'start', args: ['0100'], fix: /a VMID is a number from 100 to 999999999/ },
  {
    what: 'a VMID above 999999999',
    command: 'backup',
    args: ['1000000000', '--storage', 'local'],
    fix: /a VMID is a number from 100 to 999999999/,
  },
  { what: 'a VMID with a fraction', command: 'snapshot', args: ['100.5', '--name', 'pre'], fix: /use a VMID \(e\.g\. 100\) or NODE:VMID/ },
  { what: 'NODE:VMID with a bad node', command: 'start', args: ['pve_1:100'], fix: /'pve_1' is not a node name; use VMID or NODE:VMID/ },
  { what: 'a negative VMID (read as an option)', command: 'start', args: ['-5'], fix: /unknown option -5; see 'pvetasks start --help'/ },
  {
    what: 'a guest that does not exist',
    command: 'start',
    args: ['99999'],
    fix: /guest 99999 does not exist in this cluster \(nothing was started\)/,
  },
  {
    what: 'NODE:VMID on the wrong node',
    command: 'start',
    args: (sim) => {
      const guest = sim.control.guestWithRole('stoppedQemu');
      return [`${guest.node === 'pve1' ? 'pve2' : 'pve1'}:${guest.vmid}`];
    },
    fix: /guest \d+ is on pve\d, not pve\d \(nothing was started\)/,
  },
  { what: 'start without a guest', command: 'start', args: [], fix: /needs at least one guest \(VMID or NODE:VMID\)/ },
  // Node names
  {
    what: 'a node name with an underscore',
    command: 'tasks',
    args: ['--node', 'pve_1'],
    fix: /--node: 'pve_1' is not a node name \(letters, digits and inner dashes, e\.g\. pve1\)/,
  },
  { what: 'a node name that is a host name', command: 'tasks', args: ['--node', 'pve1.example.com'], fix: /is not a node name/ },
  { what: 'a node that does not exist', command: 'tasks', args: ['--node', 'pve9'], code: 1, fix: /cannot list tasks: .*pve9/ },
  // Snapshot names
  {
    what: 'a snapshot name starting with a digit',
    command: 'snapshot',
    args: ['100', '--name', '1st'],
    fix: /--name '1st': a snapshot name starts with a letter/,
  },
  {
    what: 'a snapshot name with a space',
    command: 'snapshot',
    args: ['100', '--name', 'pre upgrade'],
    fix: /only letters, digits, - and _/,
  },
  { what: 'a reserved snapshot name', command: 'snapshot', args: ['100', '--name', 'current'], fix: /'current' is reserved by PVE/ },
  { what: 'a snapshot name too long', command: 'snapshot', args: ['100', '--name', 'a'.repeat(41)], fix: /at most 40 characters/ },
  { what: 'a snapshot without a name', command: 'snapshot', args: ['100'], fix: /needs --name SNAPNAME/ },
  {
    what: 'a snapshot name that is not ASCII',
    command: 'snapshot',
    args: ['100', '--name', 'vor-Änderung'],
    fix: /only letters, digits, - and _/,
  },
  // Backup options
  { what: 'a backup without a storage', command: 'backup', args: ['100'], fix: /needs --storage ID/ },
  {
    what: 'a storage id with a space',
    command: 'backup',
    args: ['100', '--storage', 'my store'],
    fix: /--storage 'my store' is not a storage id/,
  },
  {
    what: 'a storage that takes no backups',
    command: 'backup',
    args: (sim) => [String(sim.control.guestWithRole('stoppedQemu').vmid), '--storage', 'nosuch'],
    fix: /storage 'nosuch' does not take backups on pve\d \(nothing was started\); backup storages there: /,
  },
  {
    what: 'a backup mode that does not exist',
    command: 'backup',
    args: ['100', '--storage', 'local', '--mode', 'fast'],
    fix: /--mode 'fast' is not one of snapshot, suspend, stop/,
  },
  {
    what: 'a compression that does not exist',
    command: 'backup',
    args: ['100', '--storage', 'local', '--compress', 'xz'],
    fix: /--compress 'xz' is not one of zstd, lzo, gzip, 0/,
  },
  // Durations and counts
  {
    what: 'a timeout without a unit',
    command: 'wait',
    args: [UPID_OK, '--timeout', '30'],
    fix: /--timeout: invalid duration '30' \(add a unit\): use a number with ms, s, m or h/,
  },
  {
    what: 'a timeout that is a word',
    command: 'start',
    args: ['100', '--timeout', 'soon'],
    fix: /--timeout: invalid duration 'soon'.*e\.g\. 500ms, 30s, 2m, 1h/,
  },
  { what: 'a zero timeout', command: 'snapshot', args: ['100', '--name', 'pre', '--timeout', '0s'], fix: /it must be more than zero/ },
  {
    what: 'an interval too short',
    command: 'wait',
    args: [UPID_OK, '--interval', '100ms'],
    fix: /--interval: interval '100ms' must be between 500ms and 1h/,
  },
  { what: 'an interval too long', command: 'board', args: ['--interval', '2h'], fix: /interval '2h' must be between 500ms and 1h/ },
  {
    what: 'PVETASKS_INTERVAL that is no duration',
    command: 'tasks',
    args: [],
    env: { PVETASKS_INTERVAL: 'fast' },
    fix: /PVETASKS_INTERVAL: invalid duration 'fast'/,
  },
  { what: '--parallel 0', command: 'start', args: ['100', '--parallel', '0'], fix: /--parallel: '0' must be a whole number from 1 to 64/ },
  {
    what: '--parallel that is a word',
    command: 'board',
    args: ['--parallel', 'many'],
    fix: /--parallel: 'many' must be a whole number from 1 to 64/,
  },
  // Flags
  { what: 'an unknown option', command: 'wait', args: [UPID_OK, '--follow'], fix: /unknown option --follow; see 'pvetasks wait --help'/ },
  { what: 'an option without its value', command: 'backup', args: ['100', '--storage'], fix: /option --storage needs a value/ },
  {
    what: 'a token on the command line',
    command: 'start',
    args: ['100', '--token', 'root@pam!x=y'],
    fix: /--token is not accepted: secrets never go on the command line \(use PROXMOX_VE_API_TOKEN, \.env or --token-file\)/,
  },
  { what: 'a password on the command line', command: 'tasks', args: ['--password=hunter22'], fix: /--password is not accepted/ },
  {
    what: 'a token file that is missing',
    command: 'wait',
    args: [UPID_OK, '--token-file', 'nope.txt'],
    fix: /cannot read --token-file '.*nope\.txt': no such file/,
  },
  // Endpoints
  {
    what: 'no endpoint',
    command: 'wait',
    args: [UPID_OK],
    env: { PROXMOX_VE_ENDPOINT: '' },
    fix: /no Proxmox VE endpoint configured: set PROXMOX_VE_ENDPOINT \(e\.g\. https:\/\/pve1\.example\.com:8006\)/,
  },
  {
    what: 'an ftp:// endpoint',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_ENDPOINT: 'ftp://pve1.example.com' },
    fix: /invalid endpoint scheme ftp: .*expected https:\/\/pve1\.example\.com/,
  },
  {
    what: 'plain http to another host',
    command: 'wait',
    args: [UPID_OK],
    env: { PROXMOX_VE_ENDPOINT: 'http://pve1.example.com:8006' },
    fix: /refusing plain http:\/\/ for pve1\.example\.com:8006.*use https:\/\/pve1\.example\.com:8006/,
  },
  {
    what: 'an endpoint with a user and password in it',
    command: 'start',
    args: ['100'],
    env: { PROXMOX_VE_ENDPOINT: 'https://root:pw@pve1.example.com:8006' },
    fix: /not an endpoint .*expected https:\/\/HOST:8006|credentials do not belong in the URL/,
  },
  {
    what: 'an endpoint that is not a URL',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_ENDPOINT: 'https://' },
    fix: /invalid endpoint: expected https:\/\/HOST:8006/,
  },
  {
    what: 'an endpoint with a port out of range',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_ENDPOINT: 'pve1.example.com:99999' },
    fix: /invalid endpoint: expected https:\/\/HOST:8006/,
  },
  {
    what: 'a token in the endpoint variable',
    command: 'wait',
    args: [UPID_OK],
    env: { PROXMOX_VE_ENDPOINT: 'root@pam!ci=' + SECRET },
    fix: /a token or password in the wrong variable\?\); expected https:\/\/HOST:8006/,
  },
  {
    what: 'a token secret as the endpoint',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_ENDPOINT: SECRET },
    fix: /not an endpoint: it holds what looks like a token, a secret or a password \(not repeated here\); expected https:\/\/HOST:8006/,
  },
  {
    what: 'a token secret in the endpoint path',
    command: 'wait',
    args: [UPID_OK],
    env: { PROXMOX_VE_ENDPOINT: `https://pve1.example.com:8006/${SECRET}` },
    fix: /not an endpoint: .*expected https:\/\/HOST:8006/,
  },
  {
    what: 'a bad fingerprint',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_FINGERPRINT: 'AA:BB:CC' },
    fix: /PROXMOX_VE_FINGERPRINT: invalid certificate fingerprint \(not 32 hex pairs\).*pvenode cert info/,
  },
  {
    what: 'a SHA-1 fingerprint',
    command: 'wait',
    args: [UPID_OK],
    env: { PROXMOX_VE_FINGERPRINT: 'AB'.repeat(20) },
    fix: /that looks like a SHA-1 fingerprint/,
  },
  {
    what: 'PROXMOX_VE_INSECURE that is not a boolean',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_INSECURE: 'maybe' },
    fix: /PROXMOX_VE_INSECURE: 'maybe' is not true or false/,
  },
  // Tokens and logins
  {
    what: 'a token without its secret',
    command: 'wait',
    args: [UPID_OK],
    env: { PROXMOX_VE_API_TOKEN: 'root@pam!ci' },
    fix: /invalid API token: expected USER@REALM!TOKENID=SECRET.*the secret is missing after '='/,
  },
  {
    what: 'only the secret of a token',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_API_TOKEN: SECRET },
    fix: /only the secret was given: put USER@REALM!TOKENID= in front of it/,
  },
  {
    what: 'a token without a realm',
    command: 'start',
    args: ['100'],
    env: { PROXMOX_VE_API_TOKEN: 'root!ci=0b5c1a52' },
    fix: /the realm is missing: USER@REALM, e\.g\. root@pam/,
  },
  {
    what: 'a token with ":" before the secret',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_API_TOKEN: 'root@pam!ci:0b5c1a52' },
    fix: /separated by '=', not ':'/,
  },
  {
    what: 'a token with a space in it',
    command: 'board',
    args: [],
    env: { PROXMOX_VE_API_TOKEN: 'root@pam!ci=0b5c 1a52' },
    fix: /it contains whitespace/,
  },
  {
    what: 'a user name without a realm',
    command: 'wait',
    args: [UPID_OK],
    env: { PROXMOX_VE_API_TOKEN: '', PROXMOX_VE_USERNAME: 'root', PROXMOX_VE_PASSWORD: 'x' },
    fix: /invalid user name 'root': expected USER@REALM, e\.g\. root@pam/,
  },
  {
    what: 'a password without a user',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_API_TOKEN: '', PROXMOX_VE_PASSWORD: 'x' },
    fix: /PROXMOX_VE_PASSWORD is set but PROXMOX_VE_USERNAME is not/,
  },
  {
    what: 'no credentials',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_API_TOKEN: '' },
    fix: /no credentials configured: set PROXMOX_VE_API_TOKEN/,
  },
  {
    what: 'a wrong token secret',
    command: 'start',
    args: ['100'],
    env: (sim) => ({ PROXMOX_VE_API_TOKEN: `${sim.token.split('=')[0]}=00000000-0000-0000-0000-000000000000` }),
    code: 3,
    fix: /401 .*the API token was refused: wrong secret, or the token was deleted or has expired\?/,
  },
  {
    what: 'a wrong password',
    command: 'wait',
    args: [UPID_OK],
    env: (sim) => ({ PROXMOX_VE_API_TOKEN: '', PROXMOX_VE_USERNAME: sim.username, PROXMOX_VE_PASSWORD: 'not-the-password' }),
    code: 3,
    fix: /login as root@pam refused: wrong user name, realm or password\?/,
  },
  {
    what: 'a login that needs two factors',
    command: 'tasks',
    args: [],
    env: (sim) => ({
      PROXMOX_VE_API_TOKEN: '',
      PROXMOX_VE_USERNAME: sim.control.tfaUser.username,
      PROXMOX_VE_PASSWORD: sim.control.tfaUser.password,
    }),
    code: 3,
    fix: /needs two-factor authentication, which pvetasks cannot answer: create an API token .* set PROXMOX_VE_API_TOKEN=USER@REALM!TOKENID=SECRET instead/,
  },
  {
    what: 'a login that needs two factors, for a launch',
    command: 'snapshot',
    args: ['100', '--name', 'pre'],
    env: (sim) => ({
      PROXMOX_VE_API_TOKEN: '',
      PROXMOX_VE_USERNAME: sim.control.tfaUser.username,
      PROXMOX_VE_PASSWORD: sim.control.tfaUser.password,
    }),
    code: 3,
    fix: /needs two-factor authentication/,
  },
  // The board
  {
    what: 'the board without a terminal',
    command: 'board',
    args: [],
    fix: /the board needs a terminal; from scripts use 'pvetasks tasks' or 'pvetasks wait'/,
  },
  { what: 'the board with an argument', command: 'board', args: ['100'], fix: /'pvetasks board' takes no arguments, got '100'/ },
];

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
