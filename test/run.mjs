// Runs the whole suite on node's test runner. Node 20 neither finds .ts files by itself nor expands a
// quoted glob, and a run that finds nothing reports "# tests 0" and exits 0: so we list the files
// ourselves and fail when no test ran. Arguments narrow the run to paths containing them.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = join(root, 'test');
const filters = process.argv.slice(2);

function collect(dir) {
  const found = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== 'bench' && entry !== 'fixtures') found.push(...collect(path));
    } else if (/\.test\.tsx?$/.test(entry)) found.push(path);
  }
  return found;
}

const files = collect(testDir)
  .map((file) => relative(root, file))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(`test/run.mjs: no test files found${filters.length ? ` for ${filters.join(' ')}` : ''}`);
  process.exit(1);
}

// Tests never see the operator's cluster or session files.
const env = { ...process.env };
for (const key of Object.keys(env)) {
  if (key.startsWith('PROXMOX_VE_') || key.startsWith('PVETASKS_')) delete env[key];
}
// Ink renders only the final frame when it sees any CI variable; tests that need frames run alike here and in CI.
delete env.CI;
const scratch = mkdtempSync(join(tmpdir(), 'pvetasks-test-'));
env.PVETASKS_STATE_DIR = join(scratch, 'state');
// Nor the operator's configuration file of named clusters.
env.XDG_CONFIG_HOME = join(scratch, 'config');
const tapFile = join(scratch, 'results.tap');

const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=180000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  { cwd: root, env, stdio: 'inherit' },
);
const code = await new Promise((resolve) => child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
const tap = readFileSync(tapFile, 'utf8');
const count = (name) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
rmSync(scratch, { recursive: true, force: true });
if (count('tests') === 0) {
  console.error('test/run.mjs: no test ran; failing the run');
  process.exit(1);
}
process.exit(code === 0 && count('fail') === 0 ? 0 : 1);
