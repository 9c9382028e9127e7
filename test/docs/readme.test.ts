import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { keymapMarkdown } from '../../src/ui/keymap.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const library = pathToFileURL(join(root, 'src/index.ts')).href;

const examples = [...readme.matchAll(/```ts example\n([\s\S]*?)```/g)].map((match) => match[1]!);

test('the README shows a runnable example for every library function', () => {
  const surface = [
    'createPveClient',
    'parseUpid',
    'formatUpid',
    'isTaskRunning',
    'getTaskExitStatus',
    'waitForTask',
    'classifyExitStatus',
    'describeTask',
    'parseTaskProgress',
    'defaultTimeoutFor',
    'createTaskTracker',
    'startSimulator',
    'PveApiError',
    'InvalidUpidError',
  ];
  for (const name of surface) {
    assert.ok(
      examples.some((code) => new RegExp(`\\b${name}\\b`).test(code)),
      `an example uses ${name}`,
    );
  }
});

test('every library example in the README runs as written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pvetasks-readme-'));
  await Promise.all(
    examples.map(async (code, index) => {
      const file = join(dir, `example-${index + 1}.mts`);
      writeFileSync(file, code.replace(/from 'pvetasks'/g, `from '${library}'`));
      const { stderr } = await run(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 60_000 }).catch((error) => {
        throw new Error(`README example ${index + 1} failed:\n${code}\n${error.stderr ?? error.message}`);
      });
      assert.equal(stderr, '', `example ${index + 1} wrote to stderr`);
    }),
  );
});

test('the key table in the README is the keymap the board uses', () => {
  const table = /<!-- keymap:start -->\n([\s\S]*?)<!-- keymap:end -->/.exec(readme)?.[1];
  assert.equal(table?.trim(), keymapMarkdown().trim());
});

test('the quick start is the two commands, and .env.example lists every variable', () => {
  assert.match(readme, /npm ci && npm start/);
  assert.match(readme, /^npm test/m);
  const envExample = readFileSync(join(root, '.env.example'), 'utf8');
  for (const name of [
    'PROXMOX_VE_ENDPOINT',
    'PROXMOX_VE_API_TOKEN',
    'PROXMOX_VE_USERNAME',
    'PROXMOX_VE_PASSWORD',
    'PROXMOX_VE_FINGERPRINT',
    'PROXMOX_VE_INSECURE',
    'NODE_EXTRA_CA_CERTS',
    'PVETASKS_INTERVAL',
    'PVETASKS_STATE_DIR',
    'PVETASKS_SIM_TOKEN',
  ]) {
    assert.match(envExample, new RegExp(`^#? ?${name}=`, 'm'), name);
  }
});
