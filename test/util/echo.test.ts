// The one rule for repeating what the operator typed: never a value that looks like a secret.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NOT_REPEATED, echo, looksLikeSecret } from '../../src/util/echo.js';

const SECRETS = [
  'root@pam!ci=0b5c1a52-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
  '0b5c1a52-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
  'PVEAPIToken=ops@pve!x=abc',
  'ops@pve!tok=short',
  'PVE:root@pam:6700AB12::c2lnbmF0dXJlIHdpdGggc29tZSBieXRlcw==',
  'PVEAuthCookie=abc',
  '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  'aGVsbG8gd29ybGQgdGhpcyBJcyBhIGtleTEy',
  'glpat-Xy9kQ2mN8vB4rT6wZ1aC',
];
const ORDINARY = [
  'UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:',
  'UPID:pve1:0001A2B3:00C0FFEE:6700AB12:vzdump::root@pam!pvetasks:',
  'not-a-upid',
  'web01',
  'pve1:100',
  '2m',
  'pre-20260101-1200',
  'local-lvm',
  '/home/op/.config/pvetasks/token',
  'database-server-production-eu-west',
  '数据库服务器',
];

test('values that look like secrets', () => {
  for (const text of SECRETS) assert.equal(looksLikeSecret(text), true, text);
});

test('ordinary values', () => {
  for (const text of ORDINARY) assert.equal(looksLikeSecret(text), false, text);
});

test('echo quotes an ordinary value (sanitized, cut past maxLength) and never repeats a secret', () => {
  assert.equal(echo('web01'), "'web01'");
  assert.equal(echo(SECRETS[0]!), NOT_REPEATED);
  assert.equal(echo('a'.repeat(50), { maxLength: 10 }), "'aaaaaaa...'");
  assert.equal(echo('🚀'.repeat(50), { maxLength: 10 }), `'${'🚀'.repeat(7)}...'`, 'cut between characters, not inside one');
  assert.equal(echo('bad\u001b]52;c;cHduZWQ=\u0007name'), "'bad^[name'", 'a pasted control sequence is not echoed either');
});
