// The jump host with no Node: dist/pvetasks-linux-x64 (`npm run sea`) is node and the bundle in one
// executable. Built here when missing or older than the sources (once per run), copied alone into an
// empty folder and run from there with neither node nor npm on PATH: --version (also as another user
// when the tests run as root), `sim --json` started from the executable itself, and `wait` on a task
// started through that simulator's API. Skipped, saying why, only where the platform cannot build it.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { SEA_NAME, seaUnsupportedReason } from '../../../src/cli/sea.mjs';
import { VERSION } from '../../../src/util/version.js';
import { ROOT, newestMtime } from '../../helpers/bundle.js';

const EXECUTABLE = join(ROOT, 'dist', SEA_NAME);
const unsupported = seaUnsupportedReason();

describe(`the single executable dist/${SEA_NAME}`, { skip: unsupported ? `cannot build it here: ${unsupported}` : false }, () => {
  let folder: string;
  let copy: string;
  let sim: ChildProcess | undefined;

  before(() => {
    if (!existsSync(EXECUTABLE) || statSync(EXECUTABLE).mtimeMs < newestMtime(join(ROOT, 'src'))) {
      const build = spawnSync('npm', ['run', 'sea'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
      assert.equal(build.status, 0, `npm run sea failed:\n${build.stdout}\n${build.stderr}`);
      assert.match(build.stdout, /^sha256 [0-9a-f]{64}$/m, 'the build prints the SHA-256');
    }
    folder = mkdtempSync(join(tmpdir(), 'pvetasks-sea-'));
    // Another user must be able to enter the folder (mkdtemp makes it 0700).
    chmodSync(folder, 0o755);
    copy = join(folder, 'pvetasks');
    copyFileSync(EXECUTABLE, copy);
    chmodSync(copy, statSync(EXECUTABLE).mode & 0o777);
  });

  after(() => {
    if (sim?.exitCode === null) sim.kill('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  });

  /** Only the folder on PATH: no node, no npm, no node_modules anywhere it looks. */
  function envIn(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { PATH: folder, HOME: folder, PVETASKS_STATE_DIR: join(folder, 'state'), ...extra };
  }

  test('it is one file any user may run, and PATH holds neither node nor npm', () => {
    assert.deepEqual(readdirSync(folder), ['pvetasks']);
    assert.equal(statSync(EXECUTABLE).mode & 0o777, 0o755);
    assert.equal(statSync(copy).mode & 0o777, 0o755);
    for (const dir of envIn().PATH!.split(':')) {
      for (const tool of ['node', 'npm']) assert.ok(!existsSync(join(dir, tool)), `${tool} in ${dir}`);
    }
  });

  test('--version and --help run from the empty folder', (t) => {
    const version = spawnSync(copy, ['--version'], { cwd: folder, env: envIn(), encoding: 'utf8' });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout, `${VERSION}\n`);
    assert.equal(version.stderr, '', 'no experimental-feature warning');
    const help = spawnSync(copy, ['--help'], { cwd: folder, env: envIn(), encoding: 'utf8' });
    assert.match(help.stdout, /^ {2}wait +wait for tasks/m);
    if (process.getuid?.() !== 0) {
      t.diagnostic('not root: the run as another user (nobody) is left out');
      return;
    }
    const asNobody = spawnSync(copy, ['--version'], { cwd: folder, env: envIn(), encoding: 'utf8', uid: 65534, gid: 65534 });
    assert.equal(asNobody.status, 0, asNobody.stderr);
    assert.equal(asNobody.stdout, `${VERSION}\n`);
  });

  test('sim --json runs from the executable, and wait follows a task started there to its end', async () => {
    const child = spawn(copy, ['sim', '--json', '--port', '0', '--speed', '20', '--seed', '3'], {
      cwd: folder,
      env: envIn(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    sim = child;
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const info = await new Promise<{ url: string; urls: string[]; token: string }>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`sim exited (${code}): ${stderr}`)));
      createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line)));
    });
    assert.equal(info.urls.length, 3);

    const api = async (method: string, path: string) => {
      const response = await fetch(`${info.url}/api2/json${path}`, { method, headers: { Authorization: `PVEAPIToken=${info.token}` } });
      assert.equal(response.status, 200, `${method} ${path}`);
      return ((await response.json()) as { data: unknown }).data;
    };
    const guests = (await api('GET', '/cluster/resources?type=vm')) as Array<{
      vmid: number;
      node: string;
      type: string;
      status: string;
      template?: number;
    }>;
    const guest = guests.find((item) => item.type === 'lxc' && item.status === 'stopped' && !item.template)!;
    const upid = (await api('POST', `/nodes/${guest.node}/lxc/${guest.vmid}/status/start`)) as string;
    assert.match(upid, /^UPID:pve\d:.*:vzstart:/);

    const wait = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const waiter = spawn(copy, ['wait', upid, '--json', '--interval', '500ms'], {
        cwd: folder,
        env: envIn({ PROXMOX_VE_ENDPOINT: info.urls.join(','), PROXMOX_VE_API_TOKEN: info.token }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      waiter.stdout.on('data', (chunk) => (out += chunk));
      waiter.stderr.on('data', (chunk) => (err += chunk));
      waiter.on('error', reject);
      waiter.on('close', (code) => resolve({ code, stdout: out, stderr: err }));
    });
    assert.equal(wait.code, 0, wait.stderr);
    const events = wait.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      events.map((event) => [event.event, event.outcome]),
      [
        ['started', undefined],
        ['finished', 'ok'],
        ['summary', undefined],
      ],
    );
    assert.equal(events[1]!.upid, upid);

    const stopped = new Promise<number | null>((resolve) => {
      child.removeAllListeners('exit');
      child.once('exit', (code) => resolve(code));
    });
    child.kill('SIGINT');
    assert.equal(await stopped, 0, stderr);
  });
});
