// TLS cannot be relaxed silently: an insecure setting always warns, naming where it came from; what
// decides where credentials go and how the server is verified is refused from a .env someone else
// could have written; plain http only to a literal loopback address or exactly `localhost`.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig, type ConfigFlags } from '../../src/cli/config.js';
import { CliError } from '../../src/cli/io.js';

const TOKEN = 'root@pam!pvetasks=0b4e5b1c-6a0b-4f3e-9d1e-2a9c5c7e8f01';
const FINGERPRINT = Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).toUpperCase().padStart(2, '0')).join(':');
const BASE = { PROXMOX_VE_ENDPOINT: 'https://pve1.example.com:8006', PROXMOX_VE_API_TOKEN: TOKEN };

const scratch = mkdtempSync(join(tmpdir(), 'pvetasks-config-tls-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;

function workdir(dotenv?: string, mode = 0o600): { cwd: string; path: string } {
  const cwd = join(scratch, `wd${dirs++}`);
  mkdirSync(cwd);
  const path = join(cwd, '.env');
  if (dotenv !== undefined) {
    writeFileSync(path, dotenv);
    chmodSync(path, mode);
  }
  return { cwd, path };
}

const load = (env: NodeJS.ProcessEnv, cwd = workdir().cwd, flags: ConfigFlags = {}) =>
  loadConfig({ env: { HOME: '/home/op', ...env }, cwd, flags });

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CliError, String(error));
    assert.equal(error.exitCode, 2);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'one line');
    assert.ok(!error.message.includes(TOKEN), 'no secret');
    return true;
  });
}

describe('an insecure setting always warns, naming where it came from', () => {
  test('from the environment', () => {
    const config = load({ ...BASE, PROXMOX_VE_INSECURE: 'true' });
    assert.equal(config.insecure, true);
    assert.equal(config.sources.insecure, 'environment');
    assert.equal(config.warnings.length, 1);
    assert.match(
      config.warnings[0]!,
      /^TLS certificate checks are OFF \(set by PROXMOX_VE_INSECURE in the environment\): .*PROXMOX_VE_FINGERPRINT/,
    );
  });

  test('from a .env, named by its path', () => {
    const { cwd, path } = workdir('PROXMOX_VE_INSECURE=yes\n');
    const config = load(BASE, cwd);
    assert.equal(config.sources.insecure, '.env');
    assert.ok(
      config.warnings.some((warning) => warning.includes(`set by PROXMOX_VE_INSECURE in ${path})`)),
      config.warnings.join('\n'),
    );
  });

  test('from a flag', () => {
    const config = load(BASE, undefined, { insecure: true });
    assert.equal(config.sources.insecure, 'flag');
    assert.match(config.warnings.join('\n'), /set by --insecure/);
  });

  test('false says nothing and sets no source', () => {
    const config = load({ ...BASE, PROXMOX_VE_INSECURE: 'false' });
    assert.equal(config.insecure, false);
    assert.equal(config.sources.insecure, undefined);
    assert.deepEqual(config.warnings, []);
  });
});

describe('a .env someone else could have written', () => {
  for (const [name, line, risk] of [
    ['PROXMOX_VE_INSECURE', 'PROXMOX_VE_INSECURE=1', /switch certificate checks off/],
    ['PROXMOX_VE_FINGERPRINT', `PROXMOX_VE_FINGERPRINT=${FINGERPRINT}`, /pin their own certificate/],
    ['PROXMOX_VE_ENDPOINT', 'PROXMOX_VE_ENDPOINT=https://pve9.example.com:8006', /send your credentials to their server/],
  ] as const) {
    test(`${name} from a group- or world-writable .env is refused, naming the file and chmod 600`, () => {
      for (const mode of [0o664, 0o646, 0o620]) {
        const { cwd, path } = workdir(`${line}\nPROXMOX_VE_API_TOKEN=${TOKEN}\n`, mode);
        const env = name === 'PROXMOX_VE_ENDPOINT' ? {} : { PROXMOX_VE_ENDPOINT: BASE.PROXMOX_VE_ENDPOINT };
        refused(
          () => load(env, cwd),
          new RegExp(`^${name} in \\.env refused: ${escape(path)} is writable by group or others .*chmod 600 ${escape(path)}`),
        );
        refused(() => load(env, cwd), risk);
      }
    });
  }

  test('the same values from a .env only the user can write are taken; other values from a writable .env are too', () => {
    const { cwd } = workdir(`PROXMOX_VE_FINGERPRINT=${FINGERPRINT}\nPROXMOX_VE_ENDPOINT=https://pve9.example.com:8006\n`, 0o600);
    assert.equal(load({ PROXMOX_VE_API_TOKEN: TOKEN }, cwd).fingerprint, FINGERPRINT);
    const writable = workdir('PVETASKS_INTERVAL=5s\n', 0o666);
    assert.equal(load(BASE, writable.cwd).intervalMs, 5_000);
  });

  test('the environment overrides the writable .env, so nothing from it is used and nothing is refused', () => {
    const { cwd } = workdir('PROXMOX_VE_INSECURE=1\n', 0o666);
    assert.equal(load({ ...BASE, PROXMOX_VE_INSECURE: '0' }, cwd).insecure, false);
  });

  const asRoot = process.getuid?.() === 0;
  test(
    'a .env owned by another user (or a link to ours that another user planted) is refused',
    { skip: !asRoot && 'needs root to give a file away' },
    () => {
      const theirs = workdir('PROXMOX_VE_INSECURE=1\n', 0o600);
      chownSync(theirs.path, 65534, 65534);
      refused(() => load(BASE, theirs.cwd), new RegExp(`${escape(theirs.path)} is owned by another user \\(uid 65534\\).*chown`));

      const ours = workdir(`PROXMOX_VE_FINGERPRINT=${FINGERPRINT}\n`, 0o600);
      const planted = workdir();
      symlinkSync(ours.path, planted.path);
      lchownSync(planted.path, 65534, 65534);
      refused(() => load(BASE, planted.cwd), /owned by another user/);
    },
  );
});

describe('plain http only to a literal loopback address or exactly localhost', () => {
  test('loopback literals and localhost are allowed', () => {
    for (const endpoint of [
      'http://127.0.0.1:8006',
      'http://127.8.9.10:8006',
      'http://[::1]:8006',
      'http://localhost:8006',
      'http://LOCALHOST:8006',
    ]) {
      assert.equal(load({ ...BASE, PROXMOX_VE_ENDPOINT: endpoint }).endpoints.length, 1, endpoint);
    }
  });

  test('a name that merely ends in .localhost, or anything else, is refused', () => {
    for (const endpoint of [
      'http://pve.localhost:8006',
      'http://a.b.localhost',
      'http://localhost.example.com:8006',
      'http://10.0.0.1:8006',
    ]) {
      refused(() => load({ ...BASE, PROXMOX_VE_ENDPOINT: endpoint }), /refusing plain http:\/\//);
    }
    refused(
      () => load({ ...BASE, PROXMOX_VE_ENDPOINT: 'http://pve.localhost:8006' }),
      /^PROXMOX_VE_ENDPOINT: refusing plain http:\/\/ for pve\.localhost:8006: .*plain http only to 127\.0\.0\.0\/8, \[::1\] or localhost/,
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
