// A server or proxy that echoes a credential back, in any encoding, does not get it printed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PveApiError, createPveClient } from '../../src/api/index.js';
import { createTasksCommand } from '../../src/cli/commands/tasks.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { fakeIo } from './fake-io.js';

const PASSWORD = 'c0rrect horse+battery/staple!';
let clock: ManualClock;
let sim: Simulator;
let scratch: string;

before(async () => {
  clock = new ManualClock();
  sim = await startSimulator({ clock, seed: 3, unauthorizedDelayMs: 0, password: PASSWORD });
  scratch = mkdtempSync(join(tmpdir(), 'pvetasks-redaction-'));
});
after(async () => {
  await sim.close();
  rmSync(scratch, { recursive: true, force: true });
});

test('tasks: a 500 whose text echoes the login body and a Basic header prints without the password', async () => {
  const echoes = [
    new URLSearchParams({ username: 'root@pam', password: PASSWORD }).toString(),
    `Authorization: Basic ${Buffer.from(`root@pam:${PASSWORD}`).toString('base64')}`,
    `pw=${encodeURIComponent(PASSWORD)}`,
    Buffer.from(`{"password":"${PASSWORD}"}`).toString('base64url'),
  ];
  const command = createTasksCommand({
    clock,
    createClient: (options) => {
      const client = createPveClient(options);
      client.GET = (async () => {
        throw new PveApiError({ kind: 'http', status: 400, message: `GET /cluster/tasks: 400 bad request (${echoes.join(' | ')})` });
      }) as typeof client.GET;
      return client;
    },
  });
  const io = fakeIo({
    env: { HOME: scratch, PROXMOX_VE_ENDPOINT: sim.url, PROXMOX_VE_USERNAME: 'root@pam', PROXMOX_VE_PASSWORD: PASSWORD },
    cwd: scratch,
  });
  const code = await clock.runUntil(command([], io));
  assert.equal(code, 1, io.stderr.text);
  const line = io.stderr.text;
  assert.match(line, /^pvetasks: cannot list tasks: GET \/cluster\/tasks: 400 bad request \(/);
  for (const echo of echoes) assert.ok(!line.includes(echo), `leaked: ${echo}`);
  for (const part of ['c0rrect', 'c0rrect%20horse', 'c0rrect+horse', Buffer.from(`root@pam:${PASSWORD}`).toString('base64').slice(0, 20)]) {
    assert.ok(!line.includes(part), `leaked ${part}: ${line}`);
  }
  assert.equal((line.match(/\*\*\*/g) ?? []).length >= echoes.length, true, line);
});
