// Redaction covers every form a secret takes when a server or a proxy echoes it: as given, URL- and
// form-encoded, JSON-escaped, base64 and base64url, alone or inside a longer base64 text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { redact } from '../../src/api/errors.js';
import { secretsOf } from '../../src/cli/connect.js';
import type { ResolvedConfig } from '../../src/cli/config.js';

const SECRET = '0b5c1a52-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const TOKEN = `root@pam!ci=${SECRET}`;
const PASSWORD = "p@ss w0rd!*'()~&=+/é";
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

const tokenConfig = { auth: { kind: 'token', token: TOKEN } } as ResolvedConfig;
const passwordConfig = { auth: { kind: 'password', username: 'root@pam', password: PASSWORD } } as ResolvedConfig;

test('a token and a password are masked in every encoding an echo may use', () => {
  const echoes: Array<[what: string, text: string, secrets: string[]]> = [
    ['the Authorization header echoed', `401: bad header Authorization: PVEAPIToken=${TOKEN}`, secretsOf(tokenConfig)],
    ['the token URL-encoded', `GET /x?t=${encodeURIComponent(TOKEN)}`, secretsOf(tokenConfig)],
    ['the token base64 alone', `token ${b64(TOKEN)} refused`, secretsOf(tokenConfig)],
    ['the header base64 inside a longer blob', `proxy log ${b64(`Authorization: PVEAPIToken=${TOKEN}\r\n`)}`, secretsOf(tokenConfig)],
    ['the token base64url', `state=${b64url(TOKEN)}`, secretsOf(tokenConfig)],
    ['the password as given', `login failed for ${PASSWORD}`, secretsOf(passwordConfig)],
    [
      'the login body echoed (form encoding)',
      `400 bad body: ${new URLSearchParams({ username: 'root@pam', password: PASSWORD })}`,
      secretsOf(passwordConfig),
    ],
    ['the password with encodeURIComponent', `password=${encodeURIComponent(PASSWORD)}`, secretsOf(passwordConfig)],
    [
      'lower-case percent escapes',
      `password=${encodeURIComponent(PASSWORD).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())}`,
      secretsOf(passwordConfig),
    ],
    ['the password inside a JSON body', JSON.stringify({ errors: { password: `bad value '${PASSWORD}'` } }), secretsOf(passwordConfig)],
    ['Basic user:password', `Authorization: Basic ${b64(`root@pam:${PASSWORD}`)}`, secretsOf(passwordConfig)],
    ['Basic user:password without the realm', `Authorization: Basic ${b64(`root:${PASSWORD}`)}`, secretsOf(passwordConfig)],
    ['the password base64url', `x ${b64url(PASSWORD)} y`, secretsOf(passwordConfig)],
  ];
  for (const [what, text, secrets] of echoes) {
    const out = redact(text, secrets);
    assert.match(out, /\*\*\*/, `${what}: nothing masked in ${out}`);
    assert.ok(!out.includes(SECRET) && !out.includes(PASSWORD), `${what}: ${out}`);
    for (const leaked of [b64(SECRET), b64(PASSWORD), encodeURIComponent(PASSWORD), b64(TOKEN)]) {
      assert.ok(!out.includes(leaked.replace(/=+$/, '')), `${what}: ${out}`);
    }
  }
});

test('property: the secret base64-encoded at any offset inside a longer text is masked', () => {
  fc.assert(
    fc.property(
      fc.string({ maxLength: 12 }),
      fc.string({ minLength: 12, maxLength: 40 }),
      fc.string({ maxLength: 12 }),
      (before, secret, after) => {
        const blob = b64(before + secret + after);
        const out = redact(`echo ${blob} end`, [secret]);
        assert.notEqual(out, `echo ${blob} end`, 'something was masked');
        // What is left of the blob, decoded, no longer holds the secret.
        const left = out
          .split('***')
          .map((part) => Buffer.from(part.replace(/^echo /, '').replace(/ end$/, ''), 'base64').toString('utf8'));
        assert.ok(!left.some((part) => part.includes(secret)));
      },
    ),
    { numRuns: 300 },
  );
});

test('ordinary text stays readable: short words are masked only as words, other text is untouched', () => {
  assert.equal(redact('no such node; /nodes/pve1 (node pve1)', ['node']), 'no such ***; /nodes/pve1 (*** pve1)');
  assert.equal(redact('GET /cluster/tasks: 500 ipcc_send_rec failed', [SECRET, PASSWORD]), 'GET /cluster/tasks: 500 ipcc_send_rec failed');
});
