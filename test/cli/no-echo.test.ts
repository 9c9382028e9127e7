// No command repeats a value that looks like a secret: an operator who pastes a token where a UPID, a
// guest, a node, a duration or a name belongs gets a one-line usage error without it, exit 2.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLaunchCommand } from '../../src/cli/commands/launch.js';
import { createTasksCommand } from '../../src/cli/commands/tasks.js';
import { createWaitCommand } from '../../src/cli/commands/wait.js';
import type { Command } from '../../src/cli/io.js';
import { fakeIo } from './fake-io.js';

const SECRET = '7d3f9a1c-2b4e-4c6d-8e0f-1a2b3c4d5e6f';
const TOKEN = `root@pam!automation=${SECRET}`;
const scratch = mkdtempSync(join(tmpdir(), 'pvetasks-no-echo-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

async function run(command: Command, args: string[], env: NodeJS.ProcessEnv = {}) {
  // An endpoint that nothing listens on: every case must fail before anything is asked.
  const io = fakeIo({
    env: { HOME: scratch, PROXMOX_VE_ENDPOINT: 'https://127.0.0.1:9', PROXMOX_VE_API_TOKEN: TOKEN, ...env },
    cwd: scratch,
  });
  const code = await command(args, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

const CASES: Array<[what: string, command: Command, args: string[], env?: NodeJS.ProcessEnv]> = [
  ['wait with a pasted token', createWaitCommand(), [TOKEN]],
  ['wait with a pasted header', createWaitCommand(), [`PVEAPIToken=${TOKEN}`]],
  ['wait with a secret as the pid of a UPID', createWaitCommand(), [`UPID:pve1:${SECRET}:00C0FFEE:6700AB12:qmstart:100:root@pam:`]],
  ['wait --timeout with a token', createWaitCommand(), ['UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:', '--timeout', SECRET]],
  ['start with a token as the guest', createLaunchCommand('start'), [TOKEN]],
  ['start with a token as NODE:VMID', createLaunchCommand('start'), [`${TOKEN}:100`]],
  ['start --parallel with a secret', createLaunchCommand('start'), ['100', '--parallel', SECRET]],
  ['backup --storage with a token', createLaunchCommand('backup'), ['100', '--storage', TOKEN]],
  ['backup --mode with a secret', createLaunchCommand('backup'), ['100', '--storage', 'local', '--mode', SECRET]],
  ['snapshot --name with a secret', createLaunchCommand('snapshot'), ['100', '--name', SECRET]],
  ['tasks --node with a token', createTasksCommand(), ['--node', TOKEN]],
  ['tasks with a token as an argument', createTasksCommand(), [TOKEN]],
  ['a token in PVETASKS_INTERVAL', createTasksCommand(), [], { PVETASKS_INTERVAL: TOKEN }],
  [
    'a token in PROXMOX_VE_USERNAME',
    createTasksCommand(),
    [],
    { PROXMOX_VE_API_TOKEN: '', PROXMOX_VE_USERNAME: TOKEN, PROXMOX_VE_PASSWORD: 'x' },
  ],
  ['a high-entropy key as --token-file path', createTasksCommand(), ['--token-file', 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRg']],
];

for (const [what, command, args, env] of CASES) {
  test(`${what}: one line without the secret, exit 2`, async () => {
    const { code, stdout, stderr } = await run(command, args, env);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, '');
    assert.equal(stderr.split('\n').filter(Boolean).length, 1, stderr);
    assert.match(stderr, /^pvetasks: /);
    assert.ok(!stderr.includes(SECRET) && !stderr.includes('automation='), stderr);
    assert.ok(!stderr.includes('Zm9vYmFyYmF6'), stderr);
    assert.match(stderr, /\(not repeated: it looks like a secret\)/);
  });
}

test('an ordinary mistake is still repeated, so the operator sees what was wrong', async () => {
  const { code, stderr } = await run(createWaitCommand(), ['not-a-upid']);
  assert.equal(code, 2);
  assert.equal(stderr, "pvetasks: invalid UPID 'not-a-upid': a UPID starts with 'UPID:'\n");
  const guest = await run(createLaunchCommand('start'), ['web01']);
  assert.match(guest.stderr, /^pvetasks: 'web01' is not a guest/);
});

test('the executable: a token given as the command name is not repeated', async () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', TOKEN], {
    env: { PATH: process.env.PATH, HOME: scratch },
    cwd: root,
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 2);
  assert.equal(stderr, "pvetasks: unknown command (not repeated: it looks like a secret); see 'pvetasks --help'\n");
});
