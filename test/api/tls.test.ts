// TLS against the simulator's HTTPS listeners (a leaf certificate signed by a demo CA, as PVE's
// pve-ssl.pem is signed by the cluster's pve-root-ca): verified by default, pinned, CA-trusted, insecure.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatFingerprint } from '../../src/api/index.js';
import { setup, type Setup } from './support.js';

describe('TLS', () => {
  let t: Setup;
  before(async () => {
    t = await setup({ tls: true });
  });
  after(() => t.close());

  const requests = () => t.sim.control.counters().total;
  const otherFingerprint = () => formatFingerprint('00'.repeat(32));

  test('verified by default: the demo CA is not trusted, so the request is refused before it is sent, with the fix', async () => {
    const before = requests();
    const error = await t.failure(t.client().GET('/version'));
    assert.equal(error.kind, 'tls');
    assert.equal(error.status, 0);
    assert.equal(error.fingerprint, t.sim.fingerprint);
    assert.match(error.message, /^GET \/version: the certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted: /);
    assert.ok(error.message.includes(`PROXMOX_VE_FINGERPRINT=${t.sim.fingerprint}`));
    assert.match(error.message, /NODE_EXTRA_CA_CERTS=/);
    assert.match(error.message, /PROXMOX_VE_INSECURE=true/);
    assert.equal(requests(), before, 'no request reached the server');
  });

  test('a pinned fingerprint is accepted although the chain is not trusted, in any spelling', async () => {
    const pinned = t.client({ fingerprint: t.sim.fingerprint! });
    assert.equal(typeof (await t.run(pinned.GET('/version'))).data.version, 'string');
    const lower = t.client({ fingerprint: t.sim.fingerprint!.toLowerCase().replace(/:/g, '') });
    await t.run(lower.GET('/version'));
    // One pin per node of a cluster, comma-separated.
    const several = t.client({ fingerprint: `${otherFingerprint()},${t.sim.fingerprint}` });
    await t.run(several.GET('/version'));
  });

  test('a fingerprint mismatch is refused, even with the chain trusted, and the message shows the real one', async () => {
    const before = requests();
    for (const options of [
      { fingerprint: otherFingerprint() },
      { fingerprint: otherFingerprint(), ca: t.sim.caPem! },
      { fingerprint: otherFingerprint(), insecure: true },
    ]) {
      const error = await t.failure(t.client(options).GET('/version'));
      assert.equal(error.kind, 'tls');
      assert.equal(error.fingerprint, t.sim.fingerprint);
      assert.match(error.message, /not the pinned one; refused/);
      assert.ok(error.message.includes(t.sim.fingerprint!));
    }
    assert.equal(requests(), before);
  });

  test('a pin survives many connections (no resumed TLS sessions without a certificate)', async () => {
    const pinned = t.client({ fingerprint: t.sim.fingerprint! });
    for (let round = 0; round < 4; round++) {
      await t.run(Promise.all([pinned.GET('/version'), pinned.GET('/cluster/tasks'), pinned.GET('/nodes')]));
    }
    const pinnedAgain = t.client({ fingerprint: t.sim.fingerprint! });
    await t.run(pinnedAgain.GET('/version'));
  });

  test('the cluster CA, given to the client, makes the chain trusted', async () => {
    const trusted = t.client({ ca: t.sim.caPem! });
    const login = t.client({ ca: t.sim.caPem!, token: undefined, username: t.sim.username, password: t.sim.password });
    await t.run(trusted.GET('/version'));
    await t.run(login.GET('/cluster/tasks'));
  });

  test('insecure skips the check only when asked', async () => {
    await t.run(t.client({ insecure: true }).GET('/version'));
    const error = await t.failure(t.client({ insecure: false }).GET('/version'));
    assert.equal(error.kind, 'tls');
  });

  test('NODE_EXTRA_CA_CERTS (Node applies it at start-up) makes the chain trusted', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'pvetasks-ca-'));
    try {
      const caFile = join(scratch, 'pve-root-ca.pem');
      writeFileSync(caFile, t.sim.caPem!);
      const script = join(scratch, 'check.mjs');
      const api = new URL('../../src/api/index.ts', import.meta.url).href;
      writeFileSync(
        script,
        `const { createPveClient } = await import(${JSON.stringify(api)});
const client = createPveClient({ endpoint: process.env.SIM_URL, token: process.env.SIM_TOKEN });
try { const version = await client.GET('/version'); console.log('ok ' + version.data.release); }
catch (error) { console.log('failed ' + error.kind); }
finally { await client.close(); }
`,
      );
      const run = (extraCa: boolean) =>
        new Promise<string>((resolve, reject) => {
          const env: NodeJS.ProcessEnv = { ...process.env, SIM_URL: t.sim.url, SIM_TOKEN: t.sim.token };
          delete env.NODE_EXTRA_CA_CERTS;
          if (extraCa) env.NODE_EXTRA_CA_CERTS = caFile;
          const child = spawn(process.execPath, ['--import', 'tsx', script], {
            cwd: fileURLToPath(new URL('../..', import.meta.url)),
            env,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          child.stdout.on('data', (chunk) => (out += chunk));
          child.on('error', reject);
          child.on('exit', () => resolve(out.trim()));
        });
      assert.match(await run(true), /^ok /);
      assert.equal(await run(false), 'failed tls');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  test('https to a plain-HTTP port is a TLS handshake error that says so', async () => {
    const plain = await setup({ tls: false });
    try {
      const error = await plain.failure(plain.client({ endpoint: plain.sim.url.replace('http:', 'https:') }).GET('/version'));
      assert.equal(error.kind, 'tls');
      assert.match(error.message, /TLS handshake/);
    } finally {
      await plain.close();
    }
  });
});
