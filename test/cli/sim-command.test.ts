// `pvetasks sim` run in-process with fake streams: what it prints, that every node answers on
// port, port+1, port+2 with the printed token over HTTPS, and its usage errors.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { connect } from 'node:tls';
import { simCommand } from '../../src/cli/commands/sim.js';
import type { CliIo } from '../../src/cli/io.js';
import { rawRequest } from '../sim/helpers.js';

interface FakeIo {
  io: CliIo;
  controller: AbortController;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with stdout once it holds a complete line. */
  firstLine: () => Promise<string>;
}

function fakeIo(env: Record<string, string> = {}): FakeIo {
  const controller = new AbortController();
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  out.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const wake of waiters.splice(0)) wake();
  });
  err.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const wake of waiters.splice(0)) wake();
  });
  const io: CliIo = { stdout: out, stderr: err, stdin: new PassThrough(), env, cwd: process.cwd(), signal: controller.signal };
  const firstLine = async () => {
    while (!stdout.includes('\n')) {
      if (stderr) throw new Error(`sim failed: ${stderr}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    return stdout.split('\n')[0]!;
  };
  return { io, controller, stdout: () => stdout, stderr: () => stderr, firstLine };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port p with p, p+1 and p+2 free on 127.0.0.1. */
async function freePortRun(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    if ((await portFree(port)) && (await portFree(port + 1)) && (await portFree(port + 2))) return port;
  }
  throw new Error('no three free ports in a row');
}

function peerFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

test('pvetasks sim --tls --port P --json: one JSON object, and every node answers with the printed token', async () => {
  const port = await freePortRun();
  const fake = fakeIo();
  const running = simCommand(['--tls', '--port', String(port), '--json', '--speed', '5'], fake.io);
  const info = JSON.parse(await fake.firstLine());
  assert.deepEqual(Object.keys(info).sort(), [
    'cluster',
    'fingerprint',
    'nodes',
    'password',
    'pveVersion',
    'token',
    'url',
    'urls',
    'username',
  ]);
  assert.equal(info.cluster, 'sim');
  assert.equal(info.pveVersion, 9);
  assert.deepEqual(info.nodes, ['pve1', 'pve2', 'pve3']);
  assert.deepEqual(
    info.urls,
    [0, 1, 2].map((i) => `https://127.0.0.1:${port + i}`),
  );
  assert.equal(info.url, info.urls[0]);
  assert.equal(info.username, 'root@pam');
  assert.match(info.token, /^root@pam!pvetasks=\S+$/);
  assert.match(info.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

  const { DEMO_CA_PEM } = await import('../../src/sim/index.js');
  for (const url of info.urls as string[]) {
    const reply = await rawRequest(`${url}/api2/json/nodes`, { headers: { authorization: `PVEAPIToken=${info.token}` }, ca: DEMO_CA_PEM });
    assert.equal(reply.status, 200, url);
    assert.equal(reply.json.data.length, 3);
    assert.equal(await peerFingerprint(Number(new URL(url).port), DEMO_CA_PEM), info.fingerprint);
  }
  const login = await rawRequest(`${info.url}/api2/json/access/ticket`, {
    method: 'POST',
    form: { username: info.username, password: info.password },
    ca: DEMO_CA_PEM,
  });
  assert.equal(login.status, 200);

  fake.controller.abort();
  assert.equal(await running, 0);
  assert.equal(fake.stdout().trim().split('\n').length, 1, 'nothing but the JSON object on stdout');
  await assert.rejects(rawRequest(`${info.url}/api2/json/version`, { ca: DEMO_CA_PEM }), { code: 'ECONNREFUSED' });
});

test('pvetasks sim prints URLs, credentials and a ready curl line; PVETASKS_SIM_TOKEN sets the token', async () => {
  const token = 'ops@pve!ci=0b6f1f8e-5c1c-4d1e-9a7e-3f0c2a9d7b11';
  const fake = fakeIo({ PVETASKS_SIM_TOKEN: token });
  const running = simCommand(['--port', '0', '--nodes', '2', '--guests', '20', '--fault', 'latency=10@pve2'], fake.io);
  await fake.firstLine();
  while (!fake.stdout().includes('Ctrl-C')) await new Promise((resolve) => setTimeout(resolve, 5));
  const text = fake.stdout();
  assert.match(text, /pve1 {2}http:\/\/127\.0\.0\.1:\d+/);
  assert.match(text, /pve2 {2}http:\/\/127\.0\.0\.1:\d+/);
  assert.ok(text.includes(`API token:    ${token}`));
  assert.match(text, /User: {9}root@pam/);
  assert.match(text, /Password: {5}\S+/);
  const curl = /curl -H 'Authorization: PVEAPIToken=([^']+)' (\S+)/.exec(text);
  assert.ok(curl, 'a curl line');
  const reply = await rawRequest(curl[2]!, { headers: { authorization: `PVEAPIToken=${curl[1]}` } });
  assert.equal(reply.status, 200);
  fake.controller.abort();
  assert.equal(await running, 0);
});

test('pvetasks sim usage errors: one line, exit 2, secrets never echoed', async () => {
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['--bogus'], {}, /unknown option --bogus/],
    [['--nodes', 'many'], {}, /--nodes/],
    [['--speed', '0'], {}, /--speed/],
    [['--fault', 'offline=pve2:maybe'], {}, /--fault: invalid fault/],
    [['--pve-version', '7'], {}, /--pve-version: '7' must be 8 or 9/],
    [['--clusters', '9'], {}, /--clusters/],
    [['--token-privileges', 'god'], {}, /--token-privileges: 'god' must be one of admin, ops, noaudit/],
    [['--guests', '13'], {}, /--guests: '13' must be a whole number from 18/],
    [[], { PVETASKS_SIM_TOKEN: 'not-a-token-s3cret' }, /PVETASKS_SIM_TOKEN must look like/],
  ];
  for (const [args, env, message] of cases) {
    const fake = fakeIo(env);
    assert.equal(await simCommand(args, fake.io), 2, args.join(' '));
    assert.match(fake.stderr(), message);
    assert.equal(fake.stderr().trim().split('\n').length, 1);
    assert.ok(!fake.stderr().includes('s3cret'));
  }
  const help = fakeIo();
  assert.equal(await simCommand(['--help'], help.io), 0);
  assert.match(help.stdout(), /offline=NODE\[:refuse\|:timeout\]/);
});

test('pvetasks sim --clusters 3 --json: one object per cluster and line, each its own cluster, ports, nodes and token', async () => {
  const fake = fakeIo();
  const running = simCommand(
    ['--clusters', '3', '--nodes', '2', '--port', '0', '--json', '--pve-version', '9,8', '--guests', '20'],
    fake.io,
  );
  while (fake.stdout().split('\n').length < 4) {
    if (fake.stderr()) throw new Error(fake.stderr());
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const infos = fake
    .stdout()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.deepEqual(
    infos.map((info) => [info.cluster, info.pveVersion, info.nodes]),
    [
      ['alpha', 9, ['alpha-pve1', 'alpha-pve2']],
      ['bravo', 8, ['bravo-pve1', 'bravo-pve2']],
      ['charlie', 9, ['charlie-pve1', 'charlie-pve2']],
    ],
  );
  assert.equal(new Set(infos.flatMap((info) => info.urls)).size, 6, 'six listeners');
  assert.equal(new Set(infos.map((info) => info.token)).size, 3, 'a token per cluster');
  for (const info of infos) {
    const status = await rawRequest(`${info.url}/api2/json/cluster/status`, { headers: { authorization: `PVEAPIToken=${info.token}` } });
    assert.equal(status.json.data[0].name, info.cluster);
    const version = await rawRequest(`${info.url}/api2/json/version`, { headers: { authorization: `PVEAPIToken=${info.token}` } });
    assert.equal(version.json.data.release.split('.')[0], String(info.pveVersion));
  }
  fake.controller.abort();
  assert.equal(await running, 0);
});

test('pvetasks sim --clusters 2 in text: a block per cluster and a config.yaml to reach both; --token-privileges ops', async () => {
  const fake = fakeIo();
  const running = simCommand(['--clusters', '2', '--nodes', '1', '--port', '0', '--token-privileges', 'ops', '--guests', '18'], fake.io);
  while (!fake.stdout().includes('Ctrl-C')) {
    if (fake.stderr()) throw new Error(fake.stderr());
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const text = fake.stdout();
  assert.match(text, /Simulated Proxmox VE cluster 'alpha' \(PVE 9\): 1 nodes/);
  assert.match(text, /Simulated Proxmox VE cluster 'bravo' \(PVE 9\)/);
  assert.match(text, /^clusters:$/m);
  assert.match(text, /^ {2}- name: bravo$/m);
  const token = /^ {4}token: '(ops@pve!pvetasks=[^']+)'$/m.exec(text)?.[1];
  assert.ok(token, 'the ops token');
  const url = /^ {4}endpoints: \[(\S+)\]$/m.exec(text)![1]!;
  // An ops token: no Sys.Audit on /, so /cluster/status is refused and /access/permissions says why.
  const status = await rawRequest(`${url}/api2/json/cluster/status`, { headers: { authorization: `PVEAPIToken=${token}` } });
  assert.equal(status.status, 403);
  const perms = await rawRequest(`${url}/api2/json/access/permissions`, { headers: { authorization: `PVEAPIToken=${token}` } });
  assert.equal(perms.json.data['/vms']['VM.PowerMgmt'], 1);
  assert.equal(perms.json.data['/']?.['Sys.Audit'], undefined);
  fake.controller.abort();
  assert.equal(await running, 0);
});
