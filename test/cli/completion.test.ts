// Shell completion. `pvetasks __complete KIND` in-process on a ManualClock (one bounded request, a
// minute's cache, silence on failure, nothing a shell could run), then the generated scripts in real
// shells against the simulator: bash sourced and its function called with COMP_WORDS, fish through
// `complete -C`, zsh through its completion system in a pseudo-terminal (zpty).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PveClient } from '../../src/api/index.js';
import { COMPLETION_CACHE_FILE, createCompleteCommand, type CompleteCommandDeps } from '../../src/cli/commands/complete.js';
import { visibleCommands } from '../../src/cli/command-table.js';
import { completionScript } from '../../src/cli/completion-scripts.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { ManualClock, systemClock } from '../../src/util/clock.js';
import { BUNDLE, ensureBundle } from '../helpers/bundle.js';
import { startTestClusters } from './clusters-rig.js';
import { fakeIo } from './fake-io.js';

const scratch = mkdtempSync(join(tmpdir(), 'pvetasks-completion-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('pvetasks __complete', () => {
  let clock: ManualClock;
  let sim: Simulator;
  let run = 0;

  before(async () => {
    clock = new ManualClock();
    sim = await startSimulator({ clock, seed: 5, unauthorizedDelayMs: 0 });
  });
  after(() => sim.close());

  /** A fresh state dir per test unless given: no test sees another's cache. */
  function envFor(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { PROXMOX_VE_ENDPOINT: sim.url, PROXMOX_VE_API_TOKEN: sim.token, PVETASKS_STATE_DIR: join(scratch, `state-${++run}`), ...extra };
  }

  async function complete(args: string[], env: NodeJS.ProcessEnv, deps: CompleteCommandDeps = {}) {
    const io = fakeIo({ env, cwd: scratch });
    const running = createCompleteCommand({ clock, ...deps })(args, io);
    // Cluster names are read from a file, with no request for the clock to drive.
    const code = await (args[0] === 'clusters' ? running : clock.runUntil(running));
    return { code, stdout: io.stdout.text, stderr: io.stderr.text };
  }

  test('VMIDs with names, nodes and backup storages come from one request, then from the cache for a minute', async () => {
    const env = envFor();
    sim.control.resetCounters();
    const guests = sim.control.guests().sort((a, b) => a.vmid - b.vmid);
    const vmids = await complete(['vmids'], env);
    assert.equal(vmids.code, 0);
    assert.equal(vmids.stdout, guests.map((guest) => `${guest.vmid}\t${guest.name}\n`).join(''));
    const nodes = await complete(['nodes'], env);
    assert.equal(
      nodes.stdout,
      `${sim.control
        .nodes()
        .map((node) => node.node)
        .join('\n')}\n`,
    );
    const storages = await complete(['backup-storages'], env);
    assert.ok(storages.stdout.length > 0);
    assert.deepEqual(sim.control.counters().byRoute, { 'GET /cluster/resources': 1 });

    const cache = join(env.PVETASKS_STATE_DIR!, COMPLETION_CACHE_FILE);
    assert.equal(statSync(cache).mode & 0o777, 0o600);
    assert.equal(statSync(env.PVETASKS_STATE_DIR!).mode & 0o777, 0o700);
    const secret = sim.token.slice(sim.token.indexOf('=') + 1);
    assert.ok(!readFileSync(cache, 'utf8').includes(secret), 'the cache holds no secret');

    await clock.advance(59_000);
    assert.equal((await complete(['vmids'], env)).stdout, vmids.stdout);
    assert.equal(sim.control.counters().total, 1, 'answered from the cache');
    await clock.advance(2_000);
    assert.equal((await complete(['vmids'], env)).stdout, vmids.stdout);
    assert.equal(sim.control.counters().total, 2, 'asked again after a minute');
  });

  test('a cluster that does not answer gives nothing within 1.5 s; so do a wrong token and no configuration', async () => {
    await sim.control.addFault('latency=20000');
    try {
      const started = clock.now();
      const hanging = await complete(['vmids'], envFor());
      assert.deepEqual(hanging, { code: 0, stdout: '', stderr: '' });
      assert.ok(clock.now() - started <= 1_600, `gave up after ${clock.now() - started} ms`);
    } finally {
      await sim.control.clearFaults();
    }
    const wrongToken = `${sim.token.slice(0, sim.token.indexOf('='))}=00000000-0000-0000-0000-000000000000`;
    assert.deepEqual(await complete(['vmids'], envFor({ PROXMOX_VE_API_TOKEN: wrongToken })), { code: 0, stdout: '', stderr: '' });
    const unconfigured = { PVETASKS_STATE_DIR: join(scratch, 'unconfigured') };
    assert.deepEqual(await complete(['vmids'], unconfigured), { code: 0, stdout: '', stderr: '' });
    assert.deepEqual(await complete(['secrets'], envFor()), { code: 0, stdout: '', stderr: '' });
    assert.deepEqual(await complete(['vmids', 'nodes'], envFor()), { code: 0, stdout: '', stderr: '' });
  });

  test('a value a shell could run is never offered', async () => {
    const items = [
      { type: 'qemu', vmid: 100, node: 'pve1', name: '$(touch pwned)' },
      { type: 'lxc', vmid: 101, node: 'pve1', name: 'web-01' },
      { type: 'node', node: 'pve1;reboot' },
      { type: 'node', node: 'pve2' },
      { type: 'storage', storage: 'a b', content: 'backup', node: 'pve2' },
      { type: 'storage', storage: '`id`', content: 'backup', node: 'pve2' },
      { type: 'storage', storage: 'nfs-backup', content: 'images,backup', node: 'pve2' },
      { type: 'storage', storage: 'local-lvm', content: 'images,rootdir', node: 'pve2' },
    ];
    const createClient = (): PveClient =>
      ({ auth: 'token', GET: async () => ({ data: items }), close: async () => {} }) as unknown as PveClient;
    const env = envFor();
    assert.equal((await complete(['vmids'], env, { createClient })).stdout, '100\n101\tweb-01\n');
    assert.equal((await complete(['nodes'], env, { createClient })).stdout, 'pve2\n');
    assert.equal((await complete(['backup-storages'], env, { createClient })).stdout, 'nfs-backup\n');
  });

  test('over several configured clusters: VMIDs and drained nodes named CLUSTER:..., the others merged; one silent cluster hides only its own', async () => {
    const rig = await startTestClusters({ clock, clusters: 2, nodes: 2, guests: 6, seed: 7 });
    try {
      const [alpha, bravo] = rig.sims as [Simulator, Simulator];
      const run = async (kind: string, deps: CompleteCommandDeps = {}) => {
        const io = rig.io();
        assert.equal(await clock.runUntil(createCompleteCommand({ clock, ...deps })([kind], io)), 0);
        assert.equal(io.stderr.text, '');
        return io.stdout.text.split('\n').filter(Boolean);
      };
      const vmidsOf = (sim: Simulator) =>
        sim.control
          .guests()
          .sort((a, b) => a.vmid - b.vmid)
          .map((guest) => `${sim.cluster}:${guest.vmid}\t${guest.name}`);
      const nodesOf = (sim: Simulator) => sim.control.nodes().map((node) => node.node);
      for (const sim of rig.sims) sim.control.resetCounters();
      assert.deepEqual(await run('vmids'), [...vmidsOf(alpha), ...vmidsOf(bravo)]);
      assert.deepEqual(await run('cluster-nodes'), [
        ...nodesOf(alpha).map((n) => `alpha:${n}`),
        ...nodesOf(bravo).map((n) => `bravo:${n}`),
      ]);
      assert.deepEqual(await run('nodes'), [...new Set([...nodesOf(alpha), ...nodesOf(bravo)])].sort());
      assert.deepEqual(
        rig.sims.map((sim) => sim.control.counters().total),
        [1, 1],
        'one request per cluster, then the cache',
      );

      // PVETASKS_CLUSTER picks one: its values, plain, as a command with that default takes them.
      const io = rig.io({ PVETASKS_CLUSTER: 'bravo' });
      await clock.runUntil(createCompleteCommand({ clock })(['vmids'], io));
      assert.deepEqual(
        io.stdout.text.split('\n').filter(Boolean),
        vmidsOf(bravo).map((line) => line.slice('bravo:'.length)),
      );

      // bravo does not answer (a fresh state dir: no cache): alpha's values still come, within 1.5 s.
      await bravo.control.addFault('latency=20000');
      const started = clock.now();
      const fresh = rig.io({ PVETASKS_STATE_DIR: join(rig.dir, 'state-2') });
      await clock.runUntil(createCompleteCommand({ clock })(['vmids'], fresh));
      assert.deepEqual(fresh.stdout.text.split('\n').filter(Boolean), vmidsOf(alpha));
      assert.ok(clock.now() - started <= 1_600, `gave up after ${clock.now() - started} ms`);
      await bravo.control.clearFaults();
    } finally {
      await rig.close();
      rmSync(rig.dir, { recursive: true, force: true });
    }
  });

  test('cluster names come from the configuration file (and all), none without one; a name a shell could run is not offered', async () => {
    const xdg = join(scratch, 'xdg');
    assert.equal((await complete(['clusters'], envFor({ XDG_CONFIG_HOME: xdg, HOME: scratch }))).stdout, '');
    mkdirSync(join(xdg, 'pvetasks'), { recursive: true });
    const entry = (name: string) => `  - name: ${name}\n    endpoints: [${sim.url}]\n    token_env: EAST_TOKEN\n`;
    writeFileSync(join(xdg, 'pvetasks', 'config.yaml'), `clusters:\n${entry('east')}${entry('west')}`, { mode: 0o600 });
    assert.equal((await complete(['clusters'], envFor({ XDG_CONFIG_HOME: xdg, HOME: scratch }))).stdout, 'east\nwest\nall\n');
    const clusterNames = () => ['east', 'no such name!'];
    assert.equal((await complete(['clusters'], envFor(), { clusterNames })).stdout, 'east\n');
  });
});

interface ShellRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a shell without blocking this process: the simulator answering it lives here. */
function runShell(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<ShellRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const hasShell = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
const shQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

describe('completion scripts in real shells, against the simulator', () => {
  let sim: Simulator;
  let env: NodeJS.ProcessEnv;
  let home: string;
  let vmids: string[];
  let backupStorages: string[];

  before(async () => {
    ensureBundle();
    // Real time: the shells and the pvetasks they call are other processes.
    sim = await startSimulator({ seed: 5, unauthorizedDelayMs: 0 });
    home = join(scratch, 'home');
    const bin = join(scratch, 'bin');
    mkdirSync(home);
    mkdirSync(bin);
    symlinkSync(BUNDLE, join(bin, 'pvetasks'));
    writeFileSync(join(home, 'token.txt'), 'not a real token\n');
    env = {
      PATH: [bin, dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
      HOME: home,
      PROXMOX_VE_ENDPOINT: sim.url,
      PROXMOX_VE_API_TOKEN: sim.token,
      PVETASKS_STATE_DIR: join(scratch, 'shell-state'),
    };
    vmids = sim.control
      .guests()
      .map((guest) => String(guest.vmid))
      .sort();
    const response = await fetch(`${sim.url}/api2/json/cluster/resources?type=storage`, {
      headers: { Authorization: `PVEAPIToken=${sim.token}` },
    });
    const storages = ((await response.json()) as { data: Array<{ storage: string; content: string }> }).data;
    backupStorages = [...new Set(storages.filter((item) => item.content.split(',').includes('backup')).map((item) => item.storage))].sort();
  });
  after(() => sim.close());

  /** Calls bash's completion function once per case (words as readline splits them, the last being completed). */
  async function bashComplete(cases: string[][], caseEnv = env): Promise<string[][]> {
    const script = join(scratch, 'pvetasks.bash');
    writeFileSync(script, completionScript('bash'));
    // The line as typed: ':' and '=' are words of their own in COMP_WORDS but have no blanks around them.
    const lineOf = (words: string[]) =>
      words.reduce(
        (line, word, i) => (i === 0 ? word : `${line}${/^[:=]$/.test(word) || /^[:=]$/.test(words[i - 1]!) ? '' : ' '}${word}`),
        '',
      );
    const calls = cases.map((words) => `_case ${shQuote(lineOf(words))} ${words.map(shQuote).join(' ')}`).join('\n');
    const driver = `source ${shQuote(script)}
_case() {
  COMP_LINE=$1; shift
  COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMP_POINT=\${#COMP_LINE}
  COMPREPLY=(); _pvetasks
  printf '%s\\n' "\${COMPREPLY[@]}"; printf -- '--end--\\n'
}
${calls}
`;
    const result = await runShell('bash', ['--norc', '--noprofile', '-c', driver], caseEnv, home);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '', 'completion says nothing on stderr');
    return result.stdout
      .split('--end--\n')
      .slice(0, cases.length)
      .map((block) => block.split('\n').filter(Boolean));
  }

  test('bash completes commands, options, option values, VMIDs, nodes and storages', async () => {
    const visible = visibleCommands().map(([name]) => name);
    const results = await bashComplete([
      ['pvetasks', 'sn'],
      ['pvetasks', ''],
      ['pvetasks', 'backup', '--st'],
      ['pvetasks', '--de'],
      ['pvetasks', 'backup', '101', '--mode', ''],
      ['pvetasks', 'backup', '--compress', '=', 'g'],
      ['pvetasks', 'start', ''],
      ['pvetasks', 'start', '10'],
      ['pvetasks', 'start', 'pve2', ':', '11'],
      ['pvetasks', 'tasks', '--node', ''],
      ['pvetasks', 'backup', '101', '--storage', ''],
      ['pvetasks', 'wait', '--token-file', 'tok'],
      ['pvetasks', 'completion', 'z'],
      ['pvetasks', 'frobnicate', ''],
    ]);
    assert.deepEqual(results, [
      ['snapshot'],
      visible,
      ['--storage'],
      ['--demo'],
      ['snapshot', 'suspend', 'stop'],
      ['gzip'],
      vmids,
      vmids.filter((vmid) => vmid.startsWith('10')),
      vmids.filter((vmid) => vmid.startsWith('11')),
      ['pve1', 'pve2', 'pve3'],
      backupStorages,
      ['token.txt'],
      ['zsh'],
      [],
    ]);
    assert.ok(vmids.length >= 13 && backupStorages.length > 0);
  });

  test('bash over two configured clusters: CLUSTER:VMID and CLUSTER:NODE, completed after the colon too', async () => {
    const rig = await startTestClusters({ clock: systemClock, clusters: 2, nodes: 2, guests: 6, seed: 7 });
    try {
      const [alpha, bravo] = rig.sims as [Simulator, Simulator];
      const { PROXMOX_VE_ENDPOINT: _endpoint, PROXMOX_VE_API_TOKEN: _token, ...rest } = env;
      const clustersEnv = { ...rest, XDG_CONFIG_HOME: join(rig.dir, 'config'), PVETASKS_STATE_DIR: join(rig.dir, 'state') };
      const vmidsOf = (sim: Simulator) =>
        sim.control
          .guests()
          .map((guest) => guest.vmid)
          .sort((a, b) => a - b)
          .map(String);
      const nodesOf = (sim: Simulator) => sim.control.nodes().map((node) => node.node);
      const results = await bashComplete(
        [
          ['pvetasks', 'start', ''],
          ['pvetasks', 'start', 'bravo', ':', '10'],
          ['pvetasks', 'drain', 'al'],
          ['pvetasks', 'drain', 'alpha', ':'],
          ['pvetasks', 'tasks', '--node', ''],
        ],
        clustersEnv,
      );
      assert.deepEqual(results, [
        [...vmidsOf(alpha).map((vmid) => `alpha:${vmid}`), ...vmidsOf(bravo).map((vmid) => `bravo:${vmid}`)],
        vmidsOf(bravo).filter((vmid) => vmid.startsWith('10')),
        nodesOf(alpha).map((node) => `alpha:${node}`),
        nodesOf(alpha),
        [...new Set([...nodesOf(alpha), ...nodesOf(bravo)])].sort(),
      ]);
    } finally {
      await rig.close();
      rmSync(rig.dir, { recursive: true, force: true });
    }
  });

  test('bash without a configured cluster: commands still complete, VMIDs are silently none', async () => {
    const { PROXMOX_VE_ENDPOINT: _endpoint, PROXMOX_VE_API_TOKEN: _token, ...unconfigured } = env;
    const results = await bashComplete(
      [
        ['pvetasks', 'wa'],
        ['pvetasks', 'start', '1'],
      ],
      unconfigured,
    );
    assert.deepEqual(results, [['wait'], []]);
  });

  test('fish completes a command, an option and a VMID', { skip: hasShell('fish') ? false : 'fish is not installed' }, async () => {
    const script = join(scratch, 'pvetasks.fish');
    writeFileSync(script, completionScript('fish'));
    assert.equal(spawnSync('fish', ['--no-execute', script]).status, 0, 'fish -n accepts the script');
    const lines = ['pvetasks wa', 'pvetasks backup --st', 'pvetasks start 10'];
    const program = [`source ${shQuote(script)}`, ...lines.map((line) => `complete -C ${shQuote(line)}; echo --end--`)].join('\n');
    const result = await runShell('fish', ['--no-config', '-c', program], env, home);
    assert.equal(result.code, 0, result.stderr);
    const blocks = result.stdout.split('--end--\n').map((block) => block.split('\n').filter(Boolean));
    assert.deepEqual(blocks[0], ['wait\twait for tasks and report their outcomes']);
    assert.match(blocks[1]![0]!, /^--storage\t/);
    const guest100 = sim.control.guest(100)!;
    assert.deepEqual(
      blocks[2]!.map((line) => line.split('\t')[0]),
      vmids.filter((vmid) => vmid.startsWith('10')),
    );
    assert.ok(blocks[2]!.includes(`100\t${guest100.name}`));
  });

  test('zsh completes a command, an option and a VMID', { skip: hasShell('zsh') ? false : 'zsh is not installed' }, async () => {
    const fpath = join(scratch, 'zfunctions');
    mkdirSync(fpath);
    writeFileSync(join(fpath, '_pvetasks'), completionScript('zsh'));
    assert.equal(spawnSync('zsh', ['-n', join(fpath, '_pvetasks')]).status, 0, 'zsh -n accepts the script');
    // An interactive zsh in a pseudo-terminal: type each line, Tab twice (complete, then list), then
    // Ctrl-X, bound to print the line as it now stands. Each read waits for that mark, not for time.
    const lines = ['pvetasks wai', 'pvetasks backup --mo', 'pvetasks start 10'];
    const driver = `zmodload zsh/zpty
zpty -b z 'zsh -f -i'
zpty -w z "PS1='> '; fpath=(${fpath} \\$fpath); autoload -U compinit; compinit -u -D; dump() { print -rn -- \\$'\\\\n<<LINE:'\\$BUFFER\\$'>>\\\\n'; BUFFER='' }; zle -N dump; bindkey '^X' dump; print READY"
zpty -r z out '*READY*'
for line in ${lines.map(shQuote).join(' ')}; do
  zpty -n -w z "$line"$'\\t\\t\\x18'
  zpty -r z out '*<<LINE:*>>*'
  print -r -- "$out--end--"
done
zpty -d z
`;
    const result = await runShell('zsh', ['-f', '-c', driver], env, home);
    assert.equal(result.code, 0, result.stderr);
    // What the terminal showed, without its escape sequences.
    const screens = result.stdout
      .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
      .replace(/\r/g, '')
      .split('--end--');
    assert.match(screens[0]!, /<<LINE:pvetasks wait /);
    assert.match(screens[1]!, /<<LINE:pvetasks backup --mode=s>>/);
    for (const vmid of vmids.filter((id) => id.startsWith('10'))) assert.match(screens[2]!, new RegExp(`^${vmid} +-- `, 'm'));
    assert.match(screens[2]!, new RegExp(`^100 +-- ${sim.control.guest(100)!.name}`, 'm'));
  });
});
