import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { inspect } from 'node:util';
import { loadConfig, type ConfigFlags, type ResolvedConfig } from '../../src/cli/config.js';
import { CliError } from '../../src/cli/io.js';

const TOKEN = 'root@pam!pvetasks=0b4e5b1c-6a0b-4f3e-9d1e-2a9c5c7e8f01';
const TOKEN_SECRET = '0b4e5b1c-6a0b-4f3e-9d1e-2a9c5c7e8f01';
const ENV_TOKEN = 'ops@pve!env=11111111-2222-3333-4444-555555555555';
const DOTENV_TOKEN = 'ops@pve!dotenv=66666666-7777-8888-9999-000000000000';
const FINGERPRINT = Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).toUpperCase().padStart(2, '0')).join(':');

const scratch = mkdtempSync(join(tmpdir(), 'pvetasks-config-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;

/** A fresh working directory, optionally with a `.env` of the given mode. */
function workdir(dotenv?: string, mode = 0o600): string {
  const dir = join(scratch, `wd${dirs++}`);
  mkdirSync(dir);
  if (dotenv !== undefined) {
    writeFileSync(join(dir, '.env'), dotenv);
    chmodSync(join(dir, '.env'), mode);
  }
  return dir;
}

// The credentials are one union (auth); these read its parts.
const tokenOf = (config: ResolvedConfig) => (config.auth?.kind === 'token' ? config.auth.token : undefined);
const passwordOf = (config: ResolvedConfig) => (config.auth?.kind === 'password' ? config.auth.password : undefined);

const load = (env: NodeJS.ProcessEnv, cwd = workdir(), flags: ConfigFlags = {}) =>
  loadConfig({ env: { HOME: '/home/op', ...env }, cwd, flags });

function rejects(fn: () => unknown, pattern: RegExp, secret?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CliError, String(error));
    assert.equal(error.exitCode, 2);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'one line');
    if (secret) assert.ok(!error.message.includes(secret), `the message leaks the secret: ${error.message}`);
    return true;
  });
}

test('the environment alone configures a token, with defaults for the rest', () => {
  const config = load({ PROXMOX_VE_ENDPOINT: 'https://pve1.example.com:8006', PROXMOX_VE_API_TOKEN: TOKEN });
  assert.deepEqual(config.endpoints, ['https://pve1.example.com:8006']);
  assert.deepEqual(config.auth, { kind: 'token', token: TOKEN });
  assert.equal(tokenOf(config), TOKEN);
  assert.equal(config.insecure, false);
  assert.equal(config.intervalMs, 2000);
  assert.equal(config.fingerprint, undefined);
  assert.equal(config.stateDir, '/home/op/.local/state/pvetasks');
  assert.deepEqual(config.sources, { endpoint: 'environment', auth: 'environment', interval: 'default' });
  assert.deepEqual(config.warnings, []);
});

test('precedence: flags over the environment over .env', () => {
  const cwd = workdir(
    [
      'PROXMOX_VE_ENDPOINT=https://from-dotenv:8006',
      `PROXMOX_VE_API_TOKEN=${DOTENV_TOKEN}`,
      'PVETASKS_INTERVAL=5s',
      'PROXMOX_VE_INSECURE=true',
      'PVETASKS_STATE_DIR=/srv/dotenv-state',
      '',
    ].join('\n'),
  );
  const fromDotenv = load({}, cwd);
  assert.deepEqual(fromDotenv.endpoints, ['https://from-dotenv:8006']);
  assert.equal(tokenOf(fromDotenv), DOTENV_TOKEN);
  assert.equal(fromDotenv.intervalMs, 5000);
  assert.equal(fromDotenv.insecure, true);
  assert.equal(fromDotenv.stateDir, '/srv/dotenv-state');
  assert.equal(fromDotenv.dotenvPath, join(cwd, '.env'));
  assert.deepEqual(fromDotenv.sources, { endpoint: '.env', auth: '.env', interval: '.env', insecure: '.env' });

  const env = {
    PROXMOX_VE_ENDPOINT: 'https://from-env:8006',
    PROXMOX_VE_API_TOKEN: ENV_TOKEN,
    PVETASKS_INTERVAL: '3s',
    PROXMOX_VE_INSECURE: '0',
    PVETASKS_STATE_DIR: '/srv/env-state',
  };
  const fromEnv = load(env, cwd);
  assert.deepEqual(fromEnv.endpoints, ['https://from-env:8006']);
  assert.equal(tokenOf(fromEnv), ENV_TOKEN);
  assert.equal(fromEnv.intervalMs, 3000);
  assert.equal(fromEnv.insecure, false);
  assert.equal(fromEnv.stateDir, '/srv/env-state');

  const tokenFile = join(cwd, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  const fromFlags = load(env, cwd, {
    endpoint: 'https://from-flag:8006',
    tokenFile: 'token',
    interval: '10s',
    insecure: true,
    stateDir: 'state',
  });
  assert.deepEqual(fromFlags.endpoints, ['https://from-flag:8006']);
  assert.equal(tokenOf(fromFlags), TOKEN);
  assert.equal(fromFlags.tokenFile, tokenFile);
  assert.equal(fromFlags.intervalMs, 10_000);
  assert.equal(fromFlags.insecure, true);
  assert.equal(fromFlags.stateDir, join(cwd, 'state'));
  assert.deepEqual(fromFlags.sources, { endpoint: 'flag', auth: '--token-file', interval: 'flag', insecure: 'flag' });
});

test('precedence is per setting: the environment overrides only what it sets', () => {
  const cwd = workdir(`PROXMOX_VE_ENDPOINT=https://from-dotenv:8006\nPROXMOX_VE_API_TOKEN=${DOTENV_TOKEN}\n`);
  const config = load({ PVETASKS_INTERVAL: '4s', PROXMOX_VE_ENDPOINT: '' }, cwd);
  assert.deepEqual(config.endpoints, ['https://from-dotenv:8006'], 'an empty variable counts as unset');
  assert.equal(tokenOf(config), DOTENV_TOKEN);
  assert.equal(config.intervalMs, 4000);
});

test('several endpoints, normalized, for failover', () => {
  const config = load({
    PROXMOX_VE_ENDPOINT: ' https://pve1.example.com:8006/ , pve2.example.com, https://pve3:8006/api2/json,,pve2.example.com:8006',
    PROXMOX_VE_API_TOKEN: TOKEN,
  });
  assert.deepEqual(config.endpoints, ['https://pve1.example.com:8006', 'https://pve2.example.com:8006', 'https://pve3:8006']);
  assert.deepEqual(load({ PROXMOX_VE_ENDPOINT: 'http://127.0.0.1:18006', PROXMOX_VE_API_TOKEN: TOKEN }).endpoints, [
    'http://127.0.0.1:18006',
  ]);
});

test('username and password instead of a token; a token wins when both are set', () => {
  const password = 'correct horse battery staple';
  const config = load({
    PROXMOX_VE_ENDPOINT: 'https://pve1:8006',
    PROXMOX_VE_USERNAME: 'root@pam',
    PROXMOX_VE_PASSWORD: password,
  });
  assert.deepEqual(config.auth, { kind: 'password', username: 'root@pam', password });
  const both = load({
    PROXMOX_VE_ENDPOINT: 'https://pve1:8006',
    PROXMOX_VE_USERNAME: 'root@pam',
    PROXMOX_VE_PASSWORD: password,
    PROXMOX_VE_API_TOKEN: TOKEN,
  });
  assert.equal(both.auth?.kind, 'token');
});

test('fingerprints are normalized to upper-case pairs', () => {
  const config = load({
    PROXMOX_VE_ENDPOINT: 'https://pve1:8006',
    PROXMOX_VE_API_TOKEN: TOKEN,
    PROXMOX_VE_FINGERPRINT: FINGERPRINT.toLowerCase(),
  });
  assert.equal(config.fingerprint, FINGERPRINT);
  const bare = load({
    PROXMOX_VE_ENDPOINT: 'https://pve1:8006',
    PROXMOX_VE_API_TOKEN: TOKEN,
    PROXMOX_VE_FINGERPRINT: FINGERPRINT.replace(/:/g, ''),
  });
  assert.equal(bare.fingerprint, FINGERPRINT);
  // One per node: each PVE node has a certificate of its own.
  const other = FINGERPRINT.replace(/^10/, 'AB');
  const several = load({
    PROXMOX_VE_ENDPOINT: 'https://pve1:8006,https://pve2:8006',
    PROXMOX_VE_API_TOKEN: TOKEN,
    PROXMOX_VE_FINGERPRINT: `${FINGERPRINT}, ${other.toLowerCase()}`,
  });
  assert.equal(several.fingerprint, `${FINGERPRINT},${other}`);
});

test('the state directory: PVETASKS_STATE_DIR, else XDG_STATE_HOME, else ~/.local/state', () => {
  const base = { PROXMOX_VE_ENDPOINT: 'https://pve1:8006', PROXMOX_VE_API_TOKEN: TOKEN };
  assert.equal(load({ ...base, XDG_STATE_HOME: '/x/state' }).stateDir, '/x/state/pvetasks');
  assert.equal(load({ ...base, XDG_STATE_HOME: 'relative' }).stateDir, '/home/op/.local/state/pvetasks');
  assert.equal(load({ ...base, XDG_STATE_HOME: '/x/state', PVETASKS_STATE_DIR: '/y' }).stateDir, '/y');
});

test('no endpoint: exit 2 naming PROXMOX_VE_ENDPOINT, unless the caller can do without', () => {
  rejects(() => load({ PROXMOX_VE_API_TOKEN: TOKEN }), /PROXMOX_VE_ENDPOINT/, TOKEN_SECRET);
  rejects(() => load({ PROXMOX_VE_ENDPOINT: ' , ' }), /PROXMOX_VE_ENDPOINT is empty/);
  const demo = loadConfig({ env: { HOME: '/h' }, cwd: workdir(), requireEndpoint: false });
  assert.deepEqual(demo.endpoints, []);
  assert.equal(demo.auth, undefined);
});

test("bad endpoints (the client's own rules)", () => {
  const bad = (endpoint: string, pattern: RegExp) =>
    rejects(() => load({ PROXMOX_VE_ENDPOINT: endpoint, PROXMOX_VE_API_TOKEN: TOKEN }), pattern, TOKEN_SECRET);
  bad('https://', /^PROXMOX_VE_ENDPOINT: invalid endpoint: expected https:\/\/HOST:8006$/);
  bad('https://pve1:99999', /^PROXMOX_VE_ENDPOINT: invalid endpoint/);
  bad('pve 1', /^PROXMOX_VE_ENDPOINT: not an endpoint/);
  bad('ftp://pve1:8006', /^PROXMOX_VE_ENDPOINT: invalid endpoint scheme ftp:/);
  bad('http://pve1.example.com:8006', /refusing plain http:\/\/ for pve1.example.com:8006/);
  rejects(
    () => load({ PROXMOX_VE_ENDPOINT: 'https://pve1:8006, ftp://pve2' }, workdir(`PROXMOX_VE_API_TOKEN=${TOKEN}\n`)),
    /^PROXMOX_VE_ENDPOINT: invalid endpoint scheme/,
  );
  rejects(
    () => load({ PVETASKS_INTERVAL: '2s' }, workdir(`PROXMOX_VE_ENDPOINT=gopher://x\nPROXMOX_VE_API_TOKEN=${TOKEN}\n`)),
    /^PROXMOX_VE_ENDPOINT in \.env: invalid endpoint scheme/,
  );
  // Credentials in the URL are refused without repeating them.
  rejects(
    () => load({ PROXMOX_VE_ENDPOINT: 'https://root:hunter2@pve1:8006', PROXMOX_VE_API_TOKEN: TOKEN }),
    /not an endpoint \(it contains '@'/,
    'hunter2',
  );
  rejects(() => load({ PROXMOX_VE_ENDPOINT: `https://${TOKEN}`, PROXMOX_VE_API_TOKEN: TOKEN }), /PROXMOX_VE_ENDPOINT/, TOKEN_SECRET);
});

test('bad intervals name their source', () => {
  const base = { PROXMOX_VE_ENDPOINT: 'https://pve1:8006', PROXMOX_VE_API_TOKEN: TOKEN };
  rejects(() => load({ ...base, PVETASKS_INTERVAL: '2' }), /PVETASKS_INTERVAL: invalid duration '2' \(add a unit\)/);
  rejects(() => load({ ...base, PVETASKS_INTERVAL: 'soon' }), /PVETASKS_INTERVAL: invalid duration/);
  rejects(() => load({ ...base, PVETASKS_INTERVAL: '100ms' }), /between 500ms and 1h/);
  rejects(() => load({ ...base, PVETASKS_INTERVAL: '2h' }), /between 500ms and 1h/);
  rejects(() => load(base, workdir(), { interval: '0s' }), /^--interval: /);
  rejects(() => load(base, workdir('PVETASKS_INTERVAL=fast\n')), /PVETASKS_INTERVAL in \.env: invalid duration/);
});

test('bad token forms are refused without repeating the token', () => {
  const cases: Array<[string, RegExp]> = [
    [TOKEN_SECRET, /only the secret was given/],
    ['root@pam!pvetasks', /the secret is missing/],
    [`root@pam:${TOKEN_SECRET}`, /token id is missing/],
    [`root!pvetasks=${TOKEN_SECRET}`, /realm is missing/],
    [`root@pam!pve tasks=${TOKEN_SECRET}`, /whitespace/],
    [`root@pam!=${TOKEN_SECRET}`, /USER@REALM!TOKENID=SECRET/],
  ];
  for (const [token, pattern] of cases) {
    rejects(() => load({ PROXMOX_VE_ENDPOINT: 'https://pve1:8006', PROXMOX_VE_API_TOKEN: token }), pattern, TOKEN_SECRET);
    rejects(
      () => load({ PROXMOX_VE_ENDPOINT: 'https://pve1:8006', PROXMOX_VE_API_TOKEN: token }),
      /^PROXMOX_VE_API_TOKEN: invalid API token: expected USER@REALM!TOKENID=SECRET/,
    );
  }
  // A token copied from a curl line keeps working.
  assert.equal(tokenOf(load({ PROXMOX_VE_ENDPOINT: 'https://pve1:8006', PROXMOX_VE_API_TOKEN: `PVEAPIToken=${TOKEN}` })), TOKEN);
  rejects(
    () => load({ PROXMOX_VE_ENDPOINT: 'https://pve1:8006', PVETASKS_SIM_TOKEN: 'nope', PROXMOX_VE_API_TOKEN: TOKEN }),
    /^PVETASKS_SIM_TOKEN: invalid API token/,
  );
});

test('missing or half credentials', () => {
  const endpoint = { PROXMOX_VE_ENDPOINT: 'https://pve1:8006' };
  rejects(() => load(endpoint), /no credentials configured.*PROXMOX_VE_API_TOKEN/);
  rejects(() => load({ ...endpoint, PROXMOX_VE_USERNAME: 'root@pam' }), /PROXMOX_VE_PASSWORD is not/);
  rejects(() => load({ ...endpoint, PROXMOX_VE_PASSWORD: 'hunter2' }), /PROXMOX_VE_USERNAME is not/, 'hunter2');
  rejects(
    () => load({ ...endpoint, PROXMOX_VE_USERNAME: 'root', PROXMOX_VE_PASSWORD: 'hunter2' }),
    /^PROXMOX_VE_USERNAME: invalid user name 'root': expected USER@REALM/,
    'hunter2',
  );
});

test('bad fingerprint and insecure values', () => {
  const base = { PROXMOX_VE_ENDPOINT: 'https://pve1:8006', PROXMOX_VE_API_TOKEN: TOKEN };
  rejects(() => load({ ...base, PROXMOX_VE_FINGERPRINT: 'AA:BB' }), /^PROXMOX_VE_FINGERPRINT: invalid certificate fingerprint.*SHA-256/);
  rejects(() => load({ ...base, PROXMOX_VE_FINGERPRINT: `${FINGERPRINT}:00` }), /32 hex pairs/);
  rejects(() => load({ ...base, PROXMOX_VE_INSECURE: 'maybe' }), /PROXMOX_VE_INSECURE: 'maybe' is not true or false/);
  for (const value of ['1', 'true', 'YES', 'on']) assert.equal(load({ ...base, PROXMOX_VE_INSECURE: value }).insecure, true);
  for (const value of ['0', 'false', 'No', 'off']) assert.equal(load({ ...base, PROXMOX_VE_INSECURE: value }).insecure, false);
});

test('a .env readable by group or others gets a warning, not an error', () => {
  const dotenv = `PROXMOX_VE_ENDPOINT=https://pve1:8006\nPROXMOX_VE_API_TOKEN=${TOKEN}\n`;
  const open = load({}, workdir(dotenv, 0o644));
  assert.equal(tokenOf(open), TOKEN);
  assert.equal(open.warnings.length, 1);
  assert.match(open.warnings[0]!, /\.env .* is readable by group or others \(mode 644\).*chmod 600/);
  assert.ok(!open.warnings[0]!.includes(TOKEN_SECRET));
  assert.deepEqual(load({}, workdir(dotenv, 0o600)).warnings, []);
  assert.equal(load({}, workdir(dotenv, 0o640)).warnings.length, 1);
});

test('NODE_EXTRA_CA_CERTS in .env is pointed out: Node reads it only at start', () => {
  const cwd = workdir(
    `PROXMOX_VE_ENDPOINT=https://pve1:8006\nPROXMOX_VE_API_TOKEN=${TOKEN}\nNODE_EXTRA_CA_CERTS=/etc/pve/pve-root-ca.pem\n`,
  );
  assert.match(load({}, cwd).warnings.join('\n'), /NODE_EXTRA_CA_CERTS in \.env has no effect/);
  assert.deepEqual(load({ NODE_EXTRA_CA_CERTS: '/etc/pve/pve-root-ca.pem' }, cwd).warnings, []);
});

test('--token-file: the first line, trimmed; errors name the file, never the token', () => {
  const cwd = workdir();
  const env = { PROXMOX_VE_ENDPOINT: 'https://pve1:8006', PROXMOX_VE_API_TOKEN: ENV_TOKEN };
  writeFileSync(join(cwd, 'token'), `  ${TOKEN}  \r\nsecond line ignored\n`, { mode: 0o600 });
  const config = load(env, cwd, { tokenFile: 'token' });
  assert.equal(tokenOf(config), TOKEN);
  assert.deepEqual(config.warnings, []);

  writeFileSync(join(cwd, 'open-token'), `${TOKEN}\n`, { mode: 0o644 });
  chmodSync(join(cwd, 'open-token'), 0o644);
  assert.match(load(env, cwd, { tokenFile: 'open-token' }).warnings[0]!, /--token-file .* readable by group or others/);

  rejects(() => load(env, cwd, { tokenFile: 'missing' }), /cannot read --token-file '.*missing': no such file/);
  writeFileSync(join(cwd, 'empty'), '\n\n', { mode: 0o600 });
  rejects(() => load(env, cwd, { tokenFile: 'empty' }), /--token-file '.*empty' is empty/);
  writeFileSync(join(cwd, 'bad'), `${TOKEN_SECRET}\n`, { mode: 0o600 });
  rejects(() => load(env, cwd, { tokenFile: 'bad' }), /^the token in --token-file: invalid API token/, TOKEN_SECRET);
});

test('printing the configuration hides the secrets', () => {
  const password = 'hunter2-very-secret';
  const token = load({ PROXMOX_VE_ENDPOINT: 'https://pve1:8006', PROXMOX_VE_API_TOKEN: TOKEN });
  const ticket = load({
    PROXMOX_VE_ENDPOINT: 'https://pve1:8006',
    PROXMOX_VE_USERNAME: 'root@pam',
    PROXMOX_VE_PASSWORD: password,
  });
  for (const text of [JSON.stringify(token), inspect(token, { depth: 5 }), JSON.stringify(ticket), inspect(ticket)]) {
    assert.ok(!text.includes(TOKEN_SECRET), text);
    assert.ok(!text.includes(password), text);
    assert.match(text, /redacted/);
  }
  // The values themselves are still there for the client.
  assert.equal(tokenOf(token), TOKEN);
  assert.equal(passwordOf(ticket), password);
});
