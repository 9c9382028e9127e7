// The jump host: dist/pvetasks.mjs is the one file to copy. Built here when older than the sources
// (`npm run bundle`), copied into an empty folder under the system's temporary directory with no
// node_modules anywhere up the tree, and run from there: --version, `sim --json` (then a request
// against it), and `wait` on a task started on that simulator.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { VERSION } from '../../src/util/version.js';
import { BUNDLE, buildBundle, ensureBundle } from '../helpers/bundle.js';

const bundle = BUNDLE;

/** A clean environment: no PROXMOX_VE_*, no NODE_PATH, HOME in the folder. */
function envIn(folder: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: folder, PVETASKS_STATE_DIR: join(folder, 'state'), ...extra };
}

function runIn(folder: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['pvetasks.mjs', ...args], {
    cwd: folder,
    env: envIn(folder, env),
    encoding: 'utf8',
    timeout: 60_000,
  });
}

let folder: string;
let sim: ChildProcess | undefined;

before(() => {
  ensureBundle();
  folder = mkdtempSync(join(tmpdir(), 'pvetasks-jumphost-'));
  // Another test may be rebuilding the bundle right now: copy until the copy runs (a half-written
  // file would not), rebuilding once if need be.
  for (let attempt = 0; ; attempt++) {
    copyFileSync(bundle, join(folder, 'pvetasks.mjs'));
    if (runIn(folder, ['--version']).status === 0) break;
    assert.ok(attempt < 2, 'the copied bundle does not run');
    buildBundle();
  }
});

after(() => {
  if (sim?.exitCode === null) sim.kill('SIGINT');
  rmSync(folder, { recursive: true, force: true });
});

test('the folder holds one file, and no node_modules is reachable from it', () => {
  assert.deepEqual(readdirSync(folder), ['pvetasks.mjs']);
  for (let dir = folder; ; dir = dirname(dir)) {
    assert.ok(!existsSync(join(dir, 'node_modules')), `${dir} has node_modules`);
    if (dir === parse(dir).root) break;
  }
  assert.match(readFileSync(join(folder, 'pvetasks.mjs'), 'utf8').slice(0, 30), /^#!\/usr\/bin\/env node\n/);
});

test('--version and --help run from the copy', () => {
  const version = runIn(folder, ['--version']);
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout, `${VERSION}\n`);
  const help = runIn(folder, ['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^ {2}wait +wait for tasks and report their outcomes$/m);
  assert.match(runIn(folder, ['wait', '--help']).stdout, /^Usage: pvetasks wait <UPID>\.\.\. \[options\]$/m);
});

test('sim --json from the copy answers requests, and wait follows a task started there to its end', async () => {
  const child = spawn(process.execPath, ['pvetasks.mjs', 'sim', '--json', '--port', '0', '--speed', '20', '--seed', '3'], {
    cwd: folder,
    env: envIn(folder),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  sim = child;
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  // The simulator prints one JSON object once it listens.
  const info = await new Promise<{ url: string; urls: string[]; token: string; username: string; password: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sim exited (${code}): ${stderr}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line)));
  });
  assert.equal(info.urls.length, 3);
  assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);

  // A request against it, as any PVE client would make it.
  const api = async (method: string, path: string) => {
    const response = await fetch(`${info.url}/api2/json${path}`, { method, headers: { Authorization: `PVEAPIToken=${info.token}` } });
    assert.equal(response.status, 200, `${method} ${path}`);
    return ((await response.json()) as { data: unknown }).data;
  };
  const version = (await api('GET', '/version')) as { version: string };
  assert.match(version.version, /^\d+\.\d+/);
  const guests = (await api('GET', '/cluster/resources?type=vm')) as Array<{
    vmid: number;
    node: string;
    type: string;
    status: string;
    template?: number;
  }>;
  const guest = guests.find((item) => item.type === 'qemu' && item.status === 'stopped' && !item.template)!;
  const upid = (await api('POST', `/nodes/${guest.node}/qemu/${guest.vmid}/status/start`)) as string;
  assert.match(upid, /^UPID:pve\d:/);

  const wait = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const waiter = spawn(process.execPath, ['pvetasks.mjs', 'wait', upid, '--json', '--interval', '500ms'], {
      cwd: folder,
      env: envIn(folder, { PROXMOX_VE_ENDPOINT: info.urls.join(','), PROXMOX_VE_API_TOKEN: info.token }),
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
    events.map((event) => event.event),
    ['started', 'finished', 'summary'],
  );
  assert.equal(events[1]!.upid, upid);
  assert.equal(events[1]!.outcome, 'ok');
  assert.deepEqual(events[2], { event: 'summary', ok: 1, warnings: 0, failed: 0, timeout: 0, unknown: 0, skipped: 0 });

  // Ctrl-C stops the simulator cleanly.
  const stopped = new Promise<number | null>((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', (code) => resolve(code));
  });
  child.kill('SIGINT');
  assert.equal(await stopped, 0, stderr);
});
