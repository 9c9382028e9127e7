// TLS at the command level (test/api/tls.test.ts covers the client): verification on by default with
// a message that says how to fix it, a self-signed certificate, fingerprint pinning right and wrong,
// PROXMOX_VE_INSECURE only when asked, NODE_EXTRA_CA_CERTS in a child process, and plain http:// to
// another host refused before any connection.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLaunchCommand } from '../../../src/cli/commands/launch.js';
import { createTasksCommand } from '../../../src/cli/commands/tasks.js';
import { createWaitCommand } from '../../../src/cli/commands/wait.js';
import { startSimulator } from '../../../src/sim/index.js';
import type { ManualClock } from '../../../src/util/clock.js';
import { fakeIo } from '../fake-io.js';
import { assertCleanStderr, ioFor, scratchDir, spawnBatch, startCluster, type Simulator } from '../../reliability/helpers.js';

// A self-signed certificate for 127.0.0.1 (made once with `openssl req -x509`), as a node shows before
// it joins a cluster or after someone replaced pve-ssl.pem with a self-made one.
const SELF_SIGNED_CERT = `-----BEGIN CERTIFICATE-----
MIIBpDCCAUugAwIBAgIUWQiQ0qln358kUTQoxyT6yEug23gwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOcHZlLXNlbGZzaWduZWQwIBcNMjYxMTI3MTk1ODM1WhgPMjEy
NjExMDMxOTU4MzVaMBkxFzAVBgNVBAMMDnB2ZS1zZWxmc2lnbmVkMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEMDlxrE2a7kEsi9ZnT/3FTcb1p4Ucm9uZEKSpQKzY
YaGB3wwTDZ3aDVFGU2ImlSwNheDlAugIiPTjkbfzZcJjjKNvMG0wHQYDVR0OBBYE
FExMn0mvdcn45iuK4xe19uwuvCT3MB8GA1UdIwQYMBaAFExMn0mvdcn45iuK4xe1
9uwuvCT3MA8GA1UdEwEB/wQFMAMBAf8wGgYDVR0RBBMwEYcEfwAAAYIJbG9jYWxo
b3N0MAoGCCqGSM49BAMCA0cAMEQCIA9h6rBKu2l0CSm7Ap0V7q17jSTxIYwJsLff
IaYVM0X1AiAVyhgLbpCriR4EboTg+LTd7jIvoO859F1EkPtoAQj6hQ==
-----END CERTIFICATE-----
`;
const SELF_SIGNED_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgbf42R9tpx82NuDug
Kh46Gc8wG/tQdbzIhSvUoQuDdP+hRANCAAQwOXGsTZruQSyL1mdP/cVNxvWnhRyb
25kQpKlArNhhoYHfDBMNndoNUUZTYiaVLA2F4OUC6AiI9OORt/NlwmOM
-----END PRIVATE KEY-----
`;
const SELF_SIGNED_FINGERPRINT = '9F:CF:BD:F1:AE:D7:A8:C3:2A:F8:FF:52:94:D8:82:FD:D4:A5:30:D6:F5:35:C4:88:00:3D:AF:C7:4D:25:48:49';
const OTHER_FINGERPRINT = Array.from({ length: 32 }, () => 'AB').join(':');

describe('TLS, command level, against the simulator', () => {
  let sim: Simulator;
  let clock: ManualClock;
  before(async () => {
    ({ sim, clock } = await startCluster({ tls: true, guests: 40 }));
  });
  after(() => sim.close());

  async function run(command: 'tasks' | 'wait' | 'start', args: string[], env: NodeJS.ProcessEnv) {
    const io = ioFor(sim, { env });
    sim.control.resetCounters();
    const make =
      command === 'tasks'
        ? createTasksCommand({ clock })
        : command === 'wait'
          ? createWaitCommand({ clock })
          : createLaunchCommand('start', { clock });
    const code = await clock.runUntil(make(args, io));
    return { code, io, requests: sim.control.counters().total, line: io.stderr.lines()[0] ?? '' };
  }

  test('verification is on by default: refused before any request, one line that says how to fix it', async () => {
    for (const command of ['tasks', 'wait', 'start'] as const) {
      const args =
        command === 'tasks'
          ? []
          : command === 'wait'
            ? [spawnBatch(sim, 1)[0]!.upid]
            : [String(sim.control.guestWithRole('stoppedQemu').vmid)];
      const { code, io, requests, line } = await run(command, args, {});
      assert.equal(code, 3, io.stderr.text);
      assert.equal(io.stderr.lines().length, 1);
      assertCleanStderr(io.stderr.text);
      assert.match(
        line,
        /^pvetasks: cannot connect to https:\/\/127\.0\.0\.1:\d+: GET \/version: the certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted: /,
      );
      assert.ok(line.includes(`PROXMOX_VE_FINGERPRINT=${sim.fingerprint}`), line);
      assert.match(line, /pvenode cert info/);
      assert.match(line, /NODE_EXTRA_CA_CERTS=\/path\/to\/pve-root-ca\.pem/);
      assert.match(line, /only on a network you trust, PROXMOX_VE_INSECURE=true/);
      assert.equal(requests, 0, 'no request reached the node');
    }
  });

  test('the right fingerprint is accepted (in any spelling); a wrong one is refused and names the real one', async () => {
    const lower = sim.fingerprint!.toLowerCase().replace(/:/g, '');
    for (const pin of [sim.fingerprint!, lower, `${OTHER_FINGERPRINT},${sim.fingerprint}`]) {
      const { code, io } = await run('tasks', ['--json'], { PROXMOX_VE_FINGERPRINT: pin });
      assert.equal(code, 0, io.stderr.text);
    }
    const guest = sim.control.guestWithRole('stoppedLxc');
    const started = await run('start', [String(guest.vmid), '--json'], { PROXMOX_VE_FINGERPRINT: sim.fingerprint! });
    assert.equal(started.code, 0, started.io.stderr.text);

    const { code, io, requests, line } = await run('start', [String(sim.control.guestWithRole('stoppedQemu').vmid)], {
      PROXMOX_VE_FINGERPRINT: OTHER_FINGERPRINT,
    });
    assert.equal(code, 3);
    assert.equal(io.stderr.lines().length, 1);
    assert.match(
      line,
      new RegExp(
        `has SHA-256 fingerprint ${sim.fingerprint}, not the pinned one; refused\\. If the node's certificate was renewed, check it with \`pvenode cert info\` and set PROXMOX_VE_FINGERPRINT=`,
      ),
    );
    assert.equal(requests, 0, 'nothing was sent');
  });

  test('PROXMOX_VE_INSECURE=true skips the check only when asked; false keeps it', async () => {
    assert.equal((await run('tasks', [], { PROXMOX_VE_INSECURE: 'true' })).code, 0);
    const refused = await run('tasks', [], { PROXMOX_VE_INSECURE: 'false' });
    assert.equal(refused.code, 3);
    assert.equal(refused.requests, 0);
  });
});

describe('TLS, command level, a self-signed certificate', () => {
  let server: ReturnType<typeof createHttpsServer>;
  let url: string;
  const requests: string[] = [];
  before(async () => {
    // Just enough of PVE for `pvetasks tasks`: the version (the token check), the token's privileges
    // (Sys.Audit on /, so /cluster/tasks lists everything) and an empty task list.
    server = createHttpsServer({ cert: SELF_SIGNED_CERT, key: SELF_SIGNED_KEY }, (req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json;charset=UTF-8');
      const data = req.url?.endsWith('/version')
        ? { version: '8.2.4', release: '8.2', repoid: 'x' }
        : req.url?.endsWith('/access/permissions')
          ? { '/': { 'Sys.Audit': 1 } }
          : [];
      res.end(JSON.stringify({ data }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function tasks(env: NodeJS.ProcessEnv) {
    const dir = scratchDir();
    const io = fakeIo({
      env: {
        HOME: dir,
        PVETASKS_STATE_DIR: join(dir, 'state'),
        PROXMOX_VE_ENDPOINT: url,
        PROXMOX_VE_API_TOKEN: 'root@pam!ci=5e1f0c3a-1b2c-4d5e-8f90-a1b2c3d4e5f6',
        ...env,
      },
      cwd: dir,
    });
    requests.length = 0;
    // Real time: the server above is not on a ManualClock.
    const code = await createTasksCommand()(['--json'], io);
    return { code, io, line: io.stderr.lines()[0] ?? '' };
  }

  test('refused by default with the fix; accepted when its fingerprint is pinned; a wrong pin is refused; nothing sent before', async () => {
    const refused = await tasks({});
    assert.equal(refused.code, 3);
    assert.match(
      refused.line,
      /is not trusted: it is self-signed \(DEPTH_ZERO_SELF_SIGNED_CERT\)\. To trust it, set PROXMOX_VE_FINGERPRINT=9F:CF:BD:F1:/,
    );
    assert.ok(refused.line.includes(`PROXMOX_VE_FINGERPRINT=${SELF_SIGNED_FINGERPRINT} (compare with \`pvenode cert info\` on the node)`));
    assert.deepEqual(requests, [], 'no request was sent');

    const pinned = await tasks({ PROXMOX_VE_FINGERPRINT: SELF_SIGNED_FINGERPRINT });
    assert.equal(pinned.code, 0, pinned.io.stderr.text);
    assert.deepEqual(requests, ['GET /api2/json/version', 'GET /api2/json/access/permissions', 'GET /api2/json/cluster/tasks']);

    const wrong = await tasks({ PROXMOX_VE_FINGERPRINT: OTHER_FINGERPRINT });
    assert.equal(wrong.code, 3);
    assert.match(wrong.line, /not the pinned one; refused/);
    assert.deepEqual(requests, []);
  });
});

describe('TLS, NODE_EXTRA_CA_CERTS and plain http', () => {
  test('the real executable trusts the cluster CA given in NODE_EXTRA_CA_CERTS (and not without it)', async () => {
    const sim = await startSimulator({ tls: true, nodes: 1, guests: 13, unauthorizedDelayMs: 0 });
    try {
      const dir = scratchDir();
      const caFile = join(dir, 'pve-root-ca.pem');
      writeFileSync(caFile, sim.caPem!);
      const main = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
      const cli = (extra: NodeJS.ProcessEnv) =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), main, 'tasks', '--json'], {
            cwd: dir,
            env: { PATH: process.env.PATH, HOME: dir, PROXMOX_VE_ENDPOINT: sim.url, PROXMOX_VE_API_TOKEN: sim.token, ...extra },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (chunk) => (stdout += chunk));
          child.stderr.on('data', (chunk) => (stderr += chunk));
          child.on('error', reject);
          child.on('close', (code) => resolve({ code, stdout, stderr }));
        });
      const [trusted, untrusted] = await Promise.all([cli({ NODE_EXTRA_CA_CERTS: caFile }), cli({})]);
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.equal(untrusted.code, 3);
      assert.match(untrusted.stderr, /is not trusted: .*NODE_EXTRA_CA_CERTS=/);
    } finally {
      await sim.close();
    }
  });

  test('plain http:// to a host that is not this machine is refused before any connection is made', async () => {
    // A listener on this machine's own non-loopback address: if pvetasks connected, it would see it.
    const address = Object.values(networkInterfaces())
      .flat()
      .find((item) => item && !item.internal && item.family === 'IPv4')?.address;
    let connections = 0;
    const listener = createTcpServer((socket) => {
      connections++;
      socket.destroy();
    });
    const host = address ?? '127.0.0.1';
    await new Promise<void>((resolve) => listener.listen(0, host, resolve));
    const port = (listener.address() as AddressInfo).port;
    try {
      const endpoints = address ? [`http://${address}:${port}`, 'http://pve1.example.com:8006'] : ['http://pve1.example.com:8006'];
      const { sim, clock } = await startCluster({ nodes: 1, guests: 13 });
      try {
        for (const endpoint of endpoints) {
          const io = ioFor(sim, { env: { PROXMOX_VE_ENDPOINT: endpoint } });
          const code = await clock.runUntil(createTasksCommand({ clock })([], io));
          assert.equal(code, 2);
          const hostPort = new URL(endpoint).host;
          assert.match(
            io.stderr.text,
            new RegExp(
              `^pvetasks: PROXMOX_VE_ENDPOINT: refusing plain http:// for ${hostPort.replace(/\./g, '\\.')}: credentials would cross the network unencrypted; use https://${new URL(endpoint).hostname.replace(/\./g, '\\.')}:`,
            ),
          );
        }
      } finally {
        await sim.close();
      }
      assert.equal(connections, 0, 'no connection was made');
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  });
});
