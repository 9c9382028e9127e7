// Start-up: commands that never draw the board must not evaluate Ink, React or yoga. Proved twice on
// the bundle that ships: in esbuild's metafile (dist/pvetasks.meta.json), no module reachable from those
// commands through static imports is UI code; and at run time, the pieces the one file compiles
// (PVETASKS_DEBUG_CHUNKS=1 names them) hold none of it, for --version, --help, completion, sim, wait,
// tasks and start. The board itself is the control: the same checks do find Ink there.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { BUNDLE, ROOT, ensureBundle } from '../helpers/bundle.js';

interface Metafile {
  inputs: Record<string, { imports: Array<{ path: string; kind: string; external?: boolean }> }>;
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

/**
 * Ink and what only Ink needs: React, its reconciler, yoga, the Ink components, and our own views (the
 * .tsx files). The plain-text helpers of src/ui (durations, plain tables) are shared with the commands.
 */
const UI = /(^|\/)node_modules\/(ink|ink-spinner|@alcalzone\/ink-table|react|react-reconciler|scheduler|yoga-layout)\/|^src\/ui\/.*\.tsx$/;

let meta: Metafile;
let folder: string;

before(() => {
  ensureBundle();
  meta = JSON.parse(readFileSync(join(ROOT, 'dist', 'pvetasks.meta.json'), 'utf8')) as Metafile;
  folder = mkdtempSync(join(tmpdir(), 'pvetasks-startup-'));
});
after(() => rmSync(folder, { recursive: true, force: true }));

/** Every module `entry` evaluates as soon as it is evaluated: its imports but the dynamic ones, transitively. */
function staticClosure(entry: string): Set<string> {
  assert.ok(meta.inputs[entry], `${entry} is in the bundle`);
  const seen = new Set([entry]);
  const pending = [entry];
  while (pending.length > 0) {
    for (const imported of meta.inputs[pending.pop()!]!.imports) {
      if (imported.kind === 'dynamic-import' || imported.external || seen.has(imported.path)) continue;
      seen.add(imported.path);
      pending.push(imported.path);
    }
  }
  return seen;
}

test('in the bundle, only the board reaches Ink, React or yoga through static imports', () => {
  const commands = readdirSync(join(ROOT, 'src', 'cli', 'commands'))
    .filter((file) => file.endsWith('.ts') && file !== 'board.ts')
    .map((file) => `src/cli/commands/${file}`);
  assert.ok(commands.includes('src/cli/commands/wait.ts') && commands.includes('src/cli/commands/tasks.ts'));
  for (const entry of ['src/cli/main.ts', ...commands]) {
    const ui = [...staticClosure(entry)].filter((path) => UI.test(path));
    assert.deepEqual(ui, [], `${entry} evaluates UI code; load it with import() where it is needed`);
  }
  const board = [...staticClosure('src/cli/commands/board.ts')];
  for (const expected of ['node_modules/ink/', 'node_modules/react/', 'node_modules/yoga-layout/', 'src/ui/']) {
    assert.ok(
      board.some((path) => path.includes(expected)),
      `the board reaches ${expected}`,
    );
  }
});

/** The modules of each piece of the one file, by the piece's name. */
function piecesByName(): Map<string, string[]> {
  return new Map(Object.entries(meta.outputs).map(([path, output]) => [basename(path), Object.keys(output.inputs)]));
}

/** The pieces a run compiled, from the loader's debug lines, with the modules they hold. */
function compiled(stderr: string): Array<{ piece: string; modules: string[] }> {
  const pieces = piecesByName();
  return [...stderr.matchAll(/^pvetasks: chunk (\S+) at \d+ ms$/gm)].map((match) => {
    const modules = pieces.get(match[1]!);
    assert.ok(modules, `${match[1]} is a piece of the bundle`);
    return { piece: match[1]!, modules };
  });
}

function uiIn(stderr: string): string[] {
  return compiled(stderr).flatMap(({ modules }) => modules.filter((path) => UI.test(path)));
}

const baseEnv = () => ({ PATH: process.env.PATH, HOME: folder, PVETASKS_STATE_DIR: join(folder, 'state'), PVETASKS_DEBUG_CHUNKS: '1' });

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], {
      cwd: folder,
      env: { ...baseEnv(), ...env },
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

test('--version, --help and completion compile neither UI code nor the API client', async () => {
  for (const args of [['--version'], ['--help'], ['wait', '--help'], ['completion', 'bash']]) {
    const result = await run(args);
    assert.equal(result.code, 0, result.stderr);
    const modules = compiled(result.stderr).flatMap((piece) => piece.modules);
    assert.ok(modules.includes('src/cli/main.ts'), args.join(' '));
    assert.deepEqual(
      modules.filter((path) => path.startsWith('node_modules/') || path.startsWith('src/api/')),
      [],
      `${args.join(' ')} compiles only the command line's own pieces`,
    );
  }
});

test('sim, wait, tasks and start --json compile no UI code; the board does', async () => {
  const sim = spawn(process.execPath, [BUNDLE, 'sim', '--json', '--port', '0', '--speed', '50', '--seed', '3'], {
    cwd: folder,
    env: baseEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let simErr = '';
  sim.stderr!.on('data', (chunk) => (simErr += chunk));
  try {
    const info = await new Promise<{ url: string; urls: string[]; token: string }>((resolve, reject) => {
      sim.once('exit', (code) => reject(new Error(`sim exited (${code}): ${simErr}`)));
      createInterface({ input: sim.stdout! }).once('line', (line) => resolve(JSON.parse(line)));
    });
    assert.deepEqual(uiIn(simErr), [], 'sim');
    const cluster = { PROXMOX_VE_ENDPOINT: info.urls.join(','), PROXMOX_VE_API_TOKEN: info.token };
    const api = async (method: string, path: string) => {
      const response = await fetch(`${info.url}/api2/json${path}`, { method, headers: { Authorization: `PVEAPIToken=${info.token}` } });
      return ((await response.json()) as { data: unknown }).data;
    };
    const guests = (await api('GET', '/cluster/resources?type=vm')) as Array<{
      vmid: number;
      node: string;
      type: string;
      status: string;
      template?: number;
    }>;
    const [first, second] = guests.filter((guest) => guest.type === 'qemu' && guest.status === 'stopped' && !guest.template);
    const upid = (await api('POST', `/nodes/${first!.node}/qemu/${first!.vmid}/status/start`)) as string;

    for (const args of [
      ['wait', upid, '--json', '--interval', '500ms'],
      ['tasks', '--json'],
      ['tasks'],
      ['start', String(second!.vmid), '--json', '--interval', '500ms'],
    ]) {
      const result = await run(args, cluster);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.ok(compiled(result.stderr).length > 1, `${args.join(' ')} reports its pieces`);
      assert.deepEqual(uiIn(result.stderr), [], args.join(' '));
    }
  } finally {
    sim.kill('SIGINT');
  }
  // Without a terminal the board refuses to start, after its module (and Ink with it) was loaded.
  const board = spawnSync(process.execPath, [BUNDLE, '--demo'], { cwd: folder, env: baseEnv(), encoding: 'utf8' });
  assert.equal(board.status, 2);
  assert.ok(
    uiIn(board.stderr).some((path) => path.includes('node_modules/ink/')),
    'the control: the board compiles Ink',
  );
});
