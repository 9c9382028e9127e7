import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  PveApiError,
  createPveClient,
  encodePathSegment,
  formatFingerprint,
  isConnectionError,
  isNodeUnreachable,
  normalizeEndpoint,
  parseFingerprints,
  validateToken,
} from '../../src/api/index.js';
import { fillPath, serializeParameters } from '../../src/api/serialize.js';

const SECRET = '0b7e4f2c-1111-2222-3333-444455556666';

test('validateToken parses USER@REALM!TOKENID=SECRET', () => {
  assert.deepEqual(validateToken(`root@pam!pvetasks=${SECRET}`), {
    authId: 'root@pam!pvetasks',
    userid: 'root@pam',
    tokenid: 'pvetasks',
    secret: SECRET,
  });
  // As copied from a curl line
  assert.equal(validateToken(`PVEAPIToken=ops@pve!ci-1=${SECRET}`).authId, 'ops@pve!ci-1');
});

test('a malformed token gets one line naming the form and the mistake, without the secret', () => {
  const cases: Array<[string, RegExp]> = [
    [SECRET, /only the secret was given/],
    [`root@pam!ci:${SECRET}`, /separated by '=', not ':'/],
    [`root@pam=${SECRET}`, /token id is missing/],
    [`root!ci=${SECRET}`, /realm is missing/],
    ['', /empty/],
    [`root@pam!ci= ${SECRET}`, /whitespace/],
  ];
  for (const [token, hint] of cases) {
    assert.throws(
      () => validateToken(token),
      (error: unknown) => {
        assert.ok(error instanceof PveApiError);
        assert.equal(error.kind, 'config');
        assert.match(error.message, /USER@REALM!TOKENID=SECRET/);
        assert.match(error.message, hint);
        assert.ok(!error.message.includes(SECRET), 'secret in the message');
        assert.ok(!error.message.includes('\n'));
        return true;
      },
      token,
    );
  }
});

test('formatFingerprint normalizes to 32 upper-case pairs and rejects others', () => {
  const pairs = Array.from({ length: 32 }, (_, index) => index.toString(16).padStart(2, '0'));
  const expected = pairs.join(':').toUpperCase();
  assert.equal(formatFingerprint(pairs.join(':')), expected);
  assert.equal(formatFingerprint(pairs.join('')), expected);
  assert.equal(formatFingerprint(`sha256 Fingerprint=${pairs.join(':')}`), expected);
  assert.equal(formatFingerprint(Uint8Array.from(pairs.map((pair) => parseInt(pair, 16)))), expected);
  assert.throws(() => formatFingerprint('AA:BB'), /32 hex pairs/);
  assert.throws(() => formatFingerprint('a'.repeat(40)), /SHA-1/);
  assert.deepEqual(parseFingerprints(`${pairs.join(':')}, ${pairs.join('')}`), [expected, expected]);
  assert.deepEqual(parseFingerprints(undefined), []);
});

test('normalizeEndpoint keeps https://host:port, adds PVE defaults to a bare host, and refuses plain http off loopback', () => {
  assert.equal(normalizeEndpoint('https://pve1.example.com:8006/'), 'https://pve1.example.com:8006');
  assert.equal(normalizeEndpoint('https://pve1:8006/api2/json'), 'https://pve1:8006');
  assert.equal(normalizeEndpoint('pve1'), 'https://pve1:8006');
  assert.equal(normalizeEndpoint('10.0.0.5:8443'), 'https://10.0.0.5:8443');
  assert.equal(normalizeEndpoint('http://127.0.0.1:8006'), 'http://127.0.0.1:8006');
  assert.equal(normalizeEndpoint('http://localhost:8006'), 'http://localhost:8006');
  assert.equal(normalizeEndpoint('http://[::1]:8006'), 'http://[::1]:8006');
  assert.throws(
    () => normalizeEndpoint('http://pve1.example.com:8006'),
    (error: unknown) =>
      error instanceof PveApiError &&
      error.kind === 'config' &&
      /https:\/\/pve1\.example\.com:8006/.test(error.message) &&
      !error.message.includes('\n'),
  );
  assert.throws(
    () => normalizeEndpoint('https://root:hunter2@pve1:8006'),
    (error: unknown) => {
      assert.ok(error instanceof PveApiError);
      assert.ok(!error.message.includes('hunter2'));
      return true;
    },
  );
  assert.throws(() => normalizeEndpoint('ftp://pve1'), /https/);
});

test('plain http only for literal loopback addresses and the exact name localhost', () => {
  for (const endpoint of [
    'http://127.0.0.1:8006',
    'http://127.255.3.4:8006',
    'http://[::1]:8006',
    'http://[0:0:0:0:0:0:0:1]:8006',
    'http://LOCALHOST:8006',
  ]) {
    assert.match(normalizeEndpoint(endpoint), /^http:\/\//, endpoint);
  }
  // Names a resolver may send anywhere, and addresses off this machine.
  for (const endpoint of [
    'http://anything.localhost:8006',
    'http://localhost.example.com:8006',
    'http://127.0.0.1.nip.io:8006',
    'http://128.0.0.1:8006',
    'http://[::2]:8006',
  ]) {
    assert.throws(
      () => normalizeEndpoint(endpoint),
      (error: unknown) => error instanceof PveApiError && error.kind === 'config' && /refusing plain http:\/\//.test(error.message),
      endpoint,
    );
  }
});

test('createPveClient refuses a missing endpoint, missing credentials and plain http before connecting', () => {
  assert.throws(() => createPveClient({ token: `root@pam!ci=${SECRET}` }), /PROXMOX_VE_ENDPOINT/);
  assert.throws(() => createPveClient({ endpoint: 'https://pve1:8006' }), /PROXMOX_VE_API_TOKEN/);
  assert.throws(() => createPveClient({ endpoint: 'https://pve1:8006', username: 'root@pam' }), /PASSWORD/);
  assert.throws(() => createPveClient({ endpoint: 'https://pve1:8006', username: 'root', password: 'x' }), /USER@REALM/);
  assert.throws(() => createPveClient({ endpoint: 'http://pve1:8006', token: `root@pam!ci=${SECRET}` }), /use https:\/\/pve1:8006/);
  assert.throws(
    () => createPveClient({ endpoint: 'https://pve1:8006', token: `root@pam!ci=${SECRET}`, fingerprint: 'AB:CD' }),
    /fingerprint/,
  );
  const client = createPveClient({ endpoints: ['https://pve1:8006', 'https://pve2:8006,pve3'], token: `root@pam!ci=${SECRET}` });
  assert.deepEqual(client.endpoints, ['https://pve1:8006', 'https://pve2:8006', 'https://pve3:8006']);
  assert.equal(client.endpoint, 'https://pve1:8006');
  assert.equal(client.userid, 'root@pam!ci');
  assert.equal(client.auth, 'token');
  void client.close();
});

test('parameters: booleans as 1/0, lists comma-separated, UPIDs fully percent-encoded in paths', () => {
  assert.equal(
    serializeParameters({ errors: true, download: false, limit: 0, source: 'all', skip: undefined }),
    'errors=1&download=0&limit=0&source=all',
  );
  assert.equal(serializeParameters({ vmid: [100, 101], notes: 'a b&c' }), 'vmid=100%2C101&notes=a%20b%26c');
  const upid = 'UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:ops@pve!ci:';
  assert.equal(encodePathSegment(upid), 'UPID%3Apve1%3A0001A2B3%3A00C0FFEE%3A6700AB12%3Aqmstart%3A100%3Aops%40pve%21ci%3A');
  assert.equal(decodeURIComponent(encodePathSegment(upid)), upid);
  assert.equal(
    fillPath('/nodes/{node}/tasks/{upid}/status', { node: 'pve1', upid }),
    `/nodes/pve1/tasks/${encodePathSegment(upid)}/status`,
  );
  assert.equal(fillPath('/nodes/{node}/tasks/{upid}/status', { node: 'pve1', upid }, false), `/nodes/pve1/tasks/${upid}/status`);
});

test('isConnectionError and isNodeUnreachable classify errors', () => {
  const error = (kind: PveApiError['kind'], status = 0) => new PveApiError({ kind, status, message: 'x' });
  assert.ok(isConnectionError(error('connection')));
  assert.ok(isConnectionError(error('timeout')));
  assert.ok(!isConnectionError(error('http', 595)));
  assert.ok(!isConnectionError(new Error('x')));
  for (const status of [595, 596]) assert.ok(isNodeUnreachable(error('http', status)));
  assert.ok(isNodeUnreachable(error('timeout')));
  assert.ok(!isNodeUnreachable(error('http', 500)));
  assert.ok(!isNodeUnreachable(error('tls')));
  assert.ok(!isNodeUnreachable(error('auth', 401)));
});
