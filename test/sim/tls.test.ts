// HTTPS with the embedded demo certificate: the served leaf matches the exposed fingerprint (so a
// client can pin it), and the exposed CA is enough to trust it, through NODE_EXTRA_CA_CERTS too.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { startSimulator } from '../../src/sim/index.js';

test('the TLS listeners serve the demo leaf: fingerprint pinnable, CA trusted through NODE_EXTRA_CA_CERTS', async () => {
  const sim = await startSimulator({ tls: true, unauthorizedDelayMs: 0, host: '127.0.0.1' });
  const dir = mkdtempSync(join(tmpdir(), 'pvetasks-sim-ca-'));
  try {
    assert.match(sim.fingerprint!, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.match(sim.caPem!, /^-----BEGIN CERTIFICATE-----/);
    for (const url of sim.urls) {
      const served = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: Number(new URL(url).port), rejectUnauthorized: false }, () => {
          resolve(socket.getPeerCertificate().fingerprint256);
          socket.end();
        });
        socket.on('error', reject);
      });
      assert.equal(served, sim.fingerprint);
    }
    const nodes = await fetch(`${sim.url}/api2/json/nodes`, { headers: { authorization: `PVEAPIToken=${sim.token}` } }).catch(
      (error: Error) => error,
    );
    assert.ok(nodes instanceof Error, 'not trusted without the CA');

    const caFile = join(dir, 'pve-root-ca.pem');
    writeFileSync(caFile, sim.caPem!);
    const script = `fetch(${JSON.stringify(`${sim.url}/api2/json/version`)}, { headers: { authorization: ${JSON.stringify(`PVEAPIToken=${sim.token}`)} } })
      .then((r) => r.json()).then((body) => process.stdout.write(body.data.release))`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
    });
    assert.equal(stdout, '9.1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await sim.close();
  }
});

test('plain HTTP by default: no fingerprint or CA on the simulator object', async () => {
  const sim = await startSimulator({ unauthorizedDelayMs: 0 });
  try {
    assert.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(sim.fingerprint, undefined);
    assert.equal(sim.caPem, undefined);
    assert.equal(sim.urls.length, 3);
  } finally {
    await sim.close();
  }
});
