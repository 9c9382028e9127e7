// The configuration file of named clusters (issue 17): every credential form reaches the cluster; an
// inline secret only in a 0600 file of the user's own; every mistake is one line naming the file, the
// line, the entry and the key (exit 2); the precedence between --cluster, PVETASKS_CLUSTER, the
// environment and the file; no secret in any output.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  configFileProblem,
  inlineSecretProblem,
  loadYamlParser,
  parseClusterFile,
  readClusterFile,
  type ClusterEntry,
} from '../../src/cli/cluster-file.js';
import { resolveClusterEntry } from '../../src/cli/cluster-secrets.js';
import { loadConfig } from '../../src/cli/config.js';
import { createClustersCommand } from '../../src/cli/commands/clusters.js';
import { createCompleteCommand } from '../../src/cli/commands/complete.js';
import { createTasksCommand } from '../../src/cli/commands/tasks.js';
import type { Command } from '../../src/cli/io.js';
import { startSimulator } from '../../src/sim/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { writeConfig } from './clusters-rig.js';
import { fakeIo, type FakeIo } from './fake-io.js';

type Sim = Awaited<ReturnType<typeof startSimulator>>;

let sim: Sim;
let clock: ManualClock;
let scratch: string;
let secret: string;

before(async () => {
  await loadYamlParser();
  clock = new ManualClock();
  sim = await startSimulator({ clock, nodes: 2, guests: 20, seed: 3, unauthorizedDelayMs: 0, name: 'east' });
  scratch = mkdtempSync(join(tmpdir(), 'pvetasks-config-'));
  secret = sim.token.slice(sim.token.indexOf('=') + 1);
});
after(() => sim.close());

let folders = 0;
/**
 * `<xdg>/pvetasks/config.yaml` (mode 0600 unless told) in a folder of its own, with the files the test
 * puts beside it; `xdg` is what XDG_CONFIG_HOME would be.
 */
function configWith(text: string, { mode = 0o600, files = {} as Record<string, string> } = {}): { xdg: string; path: string } {
  const xdg = join(scratch, `case-${++folders}`);
  const dir = join(xdg, 'pvetasks');
  const path = writeConfig(dir, text, mode);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });
  return { xdg, path };
}

async function run(command: Command, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; io: FakeIo }> {
  const io = fakeIo({ env: { HOME: scratch, PVETASKS_STATE_DIR: join(scratch, 'state'), ...env }, cwd: scratch });
  const code = await clock.runUntil(command(args, io));
  for (const text of [io.stdout.text, io.stderr.text]) {
    assert.ok(!text.includes(secret), `a secret in the output:\n${text}`);
    assert.ok(!text.includes(sim.password), `the password in the output:\n${text}`);
  }
  return { code, io };
}

const clusters = () => createClustersCommand({ clock });
const tasks = () => createTasksCommand({ clock });

/** `pvetasks clusters --json --config FILE`: the one cluster's check. */
async function checkWith(path: string, env: NodeJS.ProcessEnv = {}) {
  const { code, io } = await run(clusters(), ['--config', path, '--json'], env);
  return { code, io, check: io.stdout.json()[0]! };
}

const entry = (credential: string, name = 'east') => `clusters:\n  - name: ${name}\n    endpoints: [${sim.url}]\n${credential}`;

describe('each credential form reaches the cluster', () => {
  test('token_file (relative to the configuration file)', async () => {
    const { path } = configWith(entry('    token_file: east.token\n'), { files: { 'east.token': `${sim.token}\n` } });
    const { code, check } = await checkWith(path);
    assert.equal(code, 0);
    assert.deepEqual([check.cluster, check.status, check.user], ['east', 'ok', 'root@pam!pvetasks']);
  });

  test('token_env (a variable of the environment)', async () => {
    const { path } = configWith(entry('    token_env: EAST_TOKEN\n'));
    const { code, check } = await checkWith(path, { EAST_TOKEN: sim.token });
    assert.equal(code, 0);
    assert.equal(check.user, 'root@pam!pvetasks');
    const unset = await checkWith(path);
    assert.equal(unset.code, 2);
    assert.match(
      unset.io.stderr.text,
      /^pvetasks: .*config\.yaml:2: cluster 'east': token_env: EAST_TOKEN is not set in the environment\n$/,
    );
  });

  test('username with password_file (a ticket login)', async () => {
    const { path } = configWith(entry('    username: root@pam\n    password_file: ~/east.password\n'));
    writeFileSync(join(scratch, 'east.password'), `${sim.password}\n`, { mode: 0o600 });
    const { code, check } = await checkWith(path);
    assert.equal(code, 0);
    assert.deepEqual([check.status, check.user], ['ok', 'root@pam']);
  });

  test('an inline token and an inline password in a 0600 file', async () => {
    const token = configWith(entry(`    token: "${sim.token}"\n`));
    assert.equal((await checkWith(token.path)).check.user, 'root@pam!pvetasks');
    const password = configWith(entry(`    username: root@pam\n    password: '${sim.password}'\n`));
    assert.equal((await checkWith(password.path)).check.user, 'root@pam');
  });

  test('a normal command works through the file alone: its only cluster, named in --json', async () => {
    const { xdg } = configWith(entry(`    token: "${sim.token}"\n`));
    sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '101', durationMs: 60_000 });
    const { code, io } = await run(tasks(), ['--json', '--running'], { XDG_CONFIG_HOME: xdg });
    assert.equal(code, 0, io.stderr.text);
    assert.ok(io.stdout.json().length > 0);
    for (const item of io.stdout.json()) assert.equal(item.cluster, 'east');
  });
});

describe('inline secrets and who may write the file', () => {
  test('an inline token in a 0644 file is refused in one line naming chmod 600; by reference it is fine', async () => {
    const open = configWith(entry(`    token: "${sim.token}"\n`), { mode: 0o644 });
    const { code, io } = await checkWith(open.path);
    assert.equal(code, 2);
    assert.deepEqual(io.stderr.lines(), [
      `pvetasks: ${open.path}:4: cluster 'east': token: an inline secret needs a file only you can read, and ${open.path} has mode 644; fix: chmod 600 ${open.path}`,
    ]);
    const password = configWith(entry(`    username: root@pam\n    password: '${sim.password}'\n`), { mode: 0o640 });
    assert.match(
      (await checkWith(password.path)).io.stderr.text,
      /password: an inline secret needs a file only you can read.*mode 640; fix: chmod 600/,
    );
    const byReference = configWith(entry('    token_file: east.token\n'), { mode: 0o644, files: { 'east.token': sim.token } });
    assert.equal((await checkWith(byReference.path)).code, 0);
  });

  test('a file others may write is refused whatever it holds (it says where credentials go)', async () => {
    const writable = configWith(entry('    token_env: EAST_TOKEN\n'), { mode: 0o664 });
    const { code, io } = await checkWith(writable.path, { EAST_TOKEN: sim.token });
    assert.equal(code, 2);
    assert.match(
      io.stderr.text,
      /^pvetasks: .*config\.yaml is writable by group or others \(mode 664\).*; fix: chmod 600 .*config\.yaml\n$/,
    );
  });

  test('the owner checks (another user cannot be simulated here, so the check functions)', () => {
    const me = 1000;
    assert.equal(inlineSecretProblem('/c.yaml', { uid: me, mode: 0o100600 }, me), undefined);
    assert.match(
      inlineSecretProblem('/c.yaml', { uid: 4242, mode: 0o100600 }, me)!,
      /needs a file of your own, and \/c\.yaml belongs to uid 4242/,
    );
    assert.match(inlineSecretProblem('/c.yaml', { uid: me, mode: 0o100604 }, me)!, /mode 604; fix: chmod 600 \/c\.yaml/);
    assert.equal(inlineSecretProblem('/c.yaml', { uid: 4242, mode: 0o100644 }, undefined), undefined, 'no owners on this platform');
    // Another user's file, or a link of another user's to ours, may send our credentials anywhere; root's may.
    assert.match(configFileProblem('/c.yaml', { uid: 4242 }, { uid: 4242, mode: 0o100644 }, me)!, /belongs to another user \(uid 4242\)/);
    assert.match(configFileProblem('/c.yaml', { uid: 4242 }, { uid: me, mode: 0o100600 }, me)!, /uid 4242/);
    assert.equal(configFileProblem('/etc/c.yaml', { uid: 0 }, { uid: 0, mode: 0o100644 }, me), undefined);
    assert.match(configFileProblem('/c.yaml', { uid: me }, { uid: me, mode: 0o100660 }, me)!, /writable by group or others \(mode 660\)/);
  });
});

describe('every mistake is one line naming the file, the line, the entry and the key (exit 2)', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['bad YAML', 'clusters:\n  - name: east\n    endpoints: [https://a:8006\n', /config\.yaml:\d+:\d+: not valid YAML: /],
    [
      'an unknown key',
      'clusters:\n  - name: east\n    endpoints: [https://pve1:8006]\n    tokne_file: t\n',
      /config\.yaml:4: cluster 'east': unknown key 'tokne_file' \(known: name, endpoints, /,
    ],
    ['missing endpoints', 'clusters:\n  - name: east\n    token_env: T\n', /config\.yaml:2: cluster 'east': endpoints: missing/],
    [
      'endpoints not a list',
      'clusters:\n  - name: east\n    endpoints: https://pve1:8006\n    token_env: T\n',
      /config\.yaml:3: cluster 'east': endpoints: expected a list/,
    ],
    [
      'a bad endpoint',
      'clusters:\n  - name: east\n    endpoints: [ftp://pve1]\n    token_env: T\n',
      /config\.yaml:3: cluster 'east': endpoints\[1\]: /,
    ],
    [
      'a duplicate name',
      'clusters:\n  - name: east\n    endpoints: [https://a:8006]\n    token_env: T\n  - name: East\n    endpoints: [https://b:8006]\n    token_env: T\n',
      /config\.yaml:5: cluster 'East': name: also used by the entry on line 2/,
    ],
    [
      'bad name characters',
      'clusters:\n  - name: east coast\n',
      /config\.yaml:2: cluster #1: name: 'east coast' is not a name \(1 to 32 letters/,
    ],
    ['a name too long', `clusters:\n  - name: ${'e'.repeat(33)}\n`, /cluster #1: name: 'e{33}' is not a name/],
    ['the reserved name all', 'clusters:\n  - name: all\n', /cluster #1: name: 'all' is reserved/],
    ['a missing name', 'clusters:\n  - endpoints: [https://a:8006]\n', /config\.yaml:2: cluster #1: name: missing/],
    [
      'two credential forms',
      'clusters:\n  - name: east\n    endpoints: [https://a:8006]\n    token_file: t\n    token_env: T\n',
      /config\.yaml:5: cluster 'east': token_env: give one credential, not token_file and token_env/,
    ],
    [
      'no credential',
      'clusters:\n  - name: east\n    endpoints: [https://a:8006]\n',
      /config\.yaml:2: cluster 'east': no credentials: give token_file, token_env/,
    ],
    [
      'a password without its user',
      'clusters:\n  - name: east\n    endpoints: [https://a:8006]\n    password_file: p\n',
      /cluster 'east': password_file: needs a username/,
    ],
    [
      'insecure not a boolean',
      'clusters:\n  - name: east\n    endpoints: [https://a:8006]\n    token_env: T\n    insecure: yes please\n',
      /config\.yaml:5: cluster 'east': insecure: expected true or false/,
    ],
    [
      'a bad interval',
      'clusters:\n  - name: east\n    endpoints: [https://a:8006]\n    token_env: T\n    interval: 10ms\n',
      /config\.yaml:5: cluster 'east': interval: interval '10ms' must be between 500ms and 1h/,
    ],
    ['an unknown top-level key', 'clusterz:\n  - name: east\n', /config\.yaml:1: unknown top-level key 'clusterz'/],
    ['an empty file', '', /config\.yaml:1: expected a top-level 'clusters:' list/],
  ];
  for (const [what, text, expected] of cases) {
    test(what, async () => {
      const { path } = configWith(text);
      const { code, io } = await run(tasks(), ['--config', path], { T: sim.token });
      assert.equal(code, 2, io.stderr.text);
      assert.equal(io.stderr.lines().length, 1, io.stderr.text);
      assert.match(io.stderr.text, expected);
      assert.ok(io.stderr.text.startsWith(`pvetasks: ${path}`) || io.stderr.text.includes(path), 'the file is named');
    });
  }

  test('a YAML error on the line of an inline token does not show the token', async () => {
    const { path } = configWith(`clusters:\n  - name: east\n    endpoints: [${sim.url}]\n    token: "${sim.token}\n`);
    const { code, io } = await run(tasks(), ['--config', path], {});
    assert.equal(code, 2);
    assert.match(io.stderr.text, /config\.yaml:\d+:\d+: not valid YAML: Missing closing "quote\n$/);
  });

  test('an unknown --cluster, --config that does not exist, PVETASKS_CLUSTER naming nothing', async () => {
    const { path } = configWith(entry(`    token: "${sim.token}"\n`));
    const unknown = await run(tasks(), ['--config', path, '--cluster', 'west'], {});
    assert.equal(unknown.code, 2);
    assert.deepEqual(unknown.io.stderr.lines(), [`pvetasks: --cluster 'west' is not a configured cluster (${path} has east)`]);
    const missing = await run(tasks(), ['--config', join(scratch, 'nope.yaml')], {});
    assert.equal(missing.code, 2);
    assert.match(missing.io.stderr.text, /^pvetasks: cannot read --config '.*nope\.yaml': no such file\n$/);
    const variable = await run(tasks(), ['--config', path], { PVETASKS_CLUSTER: 'west' });
    assert.match(variable.io.stderr.text, /^pvetasks: PVETASKS_CLUSTER 'west' is not a configured cluster/);
    const none = await run(tasks(), ['--cluster', 'east'], {});
    assert.match(none.io.stderr.text, /^pvetasks: --cluster 'east': no clusters are configured/);
  });
});

describe('precedence', () => {
  test('the environment wins over the file without --cluster; --cluster over PVETASKS_CLUSTER over the environment', async () => {
    const other = await startSimulator({
      clock,
      nodes: 1,
      guests: 18,
      seed: 9,
      unauthorizedDelayMs: 0,
      name: 'west',
      nodePrefix: 'west-pve',
    });
    try {
      const westSecret = other.token.slice(other.token.indexOf('=') + 1);
      const { xdg } = configWith(
        entry(`    token: "${sim.token}"\n`) + `  - name: west\n    endpoints: [${other.url}]\n    token: "${other.token}"\n`,
      );
      const config = { XDG_CONFIG_HOME: xdg };
      const environment = { ...config, PROXMOX_VE_ENDPOINT: other.url, PROXMOX_VE_API_TOKEN: other.token };
      sim.control.spawnTask({ node: 'pve2', type: 'vzdump', id: '', durationMs: 60_000 });
      other.control.spawnTask({ node: 'west-pve1', type: 'qmstart', id: '120', durationMs: 60_000 });
      // Which cluster each listed task came from (by its node: west's are west-pve1), and what it was called.
      const nodesOf = (io: FakeIo) =>
        [
          ...new Set(io.stdout.json().map((item) => `${String(item.cluster)} ${String(item.node).startsWith('west-') ? 'west' : 'east'}`)),
        ].sort();

      // The environment's unnamed cluster: output as it always was, no cluster field.
      const fromEnvironment = await run(tasks(), ['--json', '--running'], environment);
      assert.deepEqual(nodesOf(fromEnvironment.io), ['undefined west']);
      const chosen = await run(tasks(), ['--json', '--running'], { ...environment, PVETASKS_CLUSTER: 'east' });
      assert.deepEqual(nodesOf(chosen.io), ['east east']);
      const flagged = await run(tasks(), ['--json', '--running', '--cluster', 'west'], { ...environment, PVETASKS_CLUSTER: 'east' });
      assert.deepEqual(nodesOf(flagged.io), ['west west']);
      const both = await run(tasks(), ['--json', '--running', '--cluster', 'east,west'], config);
      assert.deepEqual(nodesOf(both.io), ['east east', 'west west']);
      for (const io of [fromEnvironment.io, chosen.io, flagged.io, both.io])
        assert.ok(!io.stdout.text.includes(westSecret) && !io.stderr.text.includes(westSecret));
      // --token-file belongs to the environment's cluster.
      const tokenFile = join(scratch, 'env.token');
      writeFileSync(tokenFile, sim.token, { mode: 0o600 });
      const misplaced = await run(tasks(), ['--cluster', 'east', '--token-file', tokenFile], config);
      assert.equal(misplaced.code, 2);
      assert.match(misplaced.io.stderr.text, /--token-file is for the cluster of PROXMOX_VE_ENDPOINT/);
    } finally {
      await other.close();
    }
  });

  test('interval: --interval over the entry over PVETASKS_INTERVAL; the state dir is shared', async () => {
    const { path } = configWith(
      entry('    token_env: T\n    interval: 5s\n') + '  - name: west\n    endpoints: [https://b:8006]\n    token_env: T\n',
    );
    const file = (await readClusterFile({ configFlag: path, env: {}, cwd: scratch }))!;
    const env = { T: sim.token, PVETASKS_INTERVAL: '3s', PVETASKS_STATE_DIR: '/tmp/state' };
    const shared = (flags = {}) => loadConfig({ flags, env, cwd: scratch, sharedOnly: true });
    const [east, west] = file.clusters as [ClusterEntry, ClusterEntry];
    assert.equal(resolveClusterEntry(file, east, shared(), env).intervalMs, 5_000);
    assert.equal(resolveClusterEntry(file, west, shared(), env).intervalMs, 3_000);
    assert.equal(resolveClusterEntry(file, east, shared({ interval: '1s' }), env).intervalMs, 1_000);
    assert.equal(resolveClusterEntry(file, west, shared(), env).stateDir, '/tmp/state');
    // Printed by mistake, the configuration hides the token.
    assert.ok(!JSON.stringify(resolveClusterEntry(file, east, shared(), env)).includes(secret));
  });

  test("the README's example file is one this parser takes, every credential form in it", async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = /## Several clusters[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)![1]!;
    const pinned = example.replace('AA:BB:...', Array.from({ length: 32 }, () => 'AB').join(':'));
    const entries = await parseClusterFile('/x/config.yaml', pinned, { uid: process.getuid?.() ?? 0, mode: 0o100600 }, { HOME: '/home/u' });
    assert.deepEqual(
      entries.map((found) => [found.name, found.credential.form]),
      [
        ['east', 'token_file'],
        ['west', 'token_env'],
        ['lab', 'password_file'],
        ['branch', 'token'],
      ],
    );
  });

  test('completion offers the configured names and all', async () => {
    const { xdg } = configWith(entry('    token_env: T\n') + '  - name: west.2\n    endpoints: [https://b:8006]\n    token_env: T\n');
    const io = fakeIo({ env: { HOME: scratch, XDG_CONFIG_HOME: xdg } });
    assert.equal(await createCompleteCommand()(['clusters'], io), 0);
    assert.equal(io.stdout.text, 'east\nwest.2\nall\n');
    // VMIDs come from the cluster a command would use: here the file's only one.
    const only = configWith(entry(`    token: "${sim.token}"\n`));
    const vmids = fakeIo({ env: { HOME: scratch, XDG_CONFIG_HOME: only.xdg, PVETASKS_STATE_DIR: join(scratch, 'state') } });
    await clock.runUntil(createCompleteCommand({ clock })(['vmids'], vmids));
    const offered = vmids.stdout.lines().map((line) => Number(line.split('\t', 1)[0]));
    assert.deepEqual(
      offered,
      sim.control
        .guests()
        .map((guest) => guest.vmid)
        .sort((a, b) => a - b),
    );
    const broken = configWith('clusters: [');
    const silent = fakeIo({ env: { HOME: scratch, XDG_CONFIG_HOME: broken.xdg } });
    await createCompleteCommand()(['clusters'], silent);
    assert.equal(silent.stdout.text + silent.stderr.text, '');
  });
});
