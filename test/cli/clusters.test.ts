// Several clusters (issue 17): three simulated clusters named in a configuration file, the commands run
// in-process against them. wait finds each UPID's cluster, an action reaches its own cluster only
// (counted on every simulator), tasks lists every cluster with a CLUSTER column, one cluster offline
// leaves the others' results whole and is named in one line with exit 3, and `pvetasks clusters`.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import stringWidth from 'string-width';
import { createClustersCommand, loadBorderedTables } from '../../src/cli/commands/clusters.js';
import { createDrainCommand } from '../../src/cli/commands/drain.js';
import { createLaunchCommand } from '../../src/cli/commands/launch.js';
import { createTasksCommand } from '../../src/cli/commands/tasks.js';
import { createWaitCommand } from '../../src/cli/commands/wait.js';
import type { Command } from '../../src/cli/io.js';
import { startSimulator } from '../../src/sim/index.js';
import { startTestClusters, writeConfig, type TestClusters } from './clusters-rig.js';
import type { FakeIo } from './fake-io.js';

type Sim = TestClusters['sims'][number];

let rig: TestClusters;
let alpha: Sim;
let bravo: Sim;
let charlie: Sim;

before(async () => {
  rig = await startTestClusters({ clusters: 3 });
  [alpha, bravo, charlie] = rig.sims as [Sim, Sim, Sim];
});
after(() => rig.close());
afterEach(async () => {
  for (const sim of rig.sims) {
    await sim.control.clearFaults();
    sim.control.resetCounters();
  }
});

async function run(command: Command, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; io: FakeIo }> {
  const io = rig.io(env);
  const code = await rig.clock.runUntil(command(args, io));
  for (const secret of rig.secrets) {
    assert.ok(!io.stdout.text.includes(secret) && !io.stderr.text.includes(secret), 'no secret in the output');
  }
  return { code, io };
}

const clock = () => rig.clock;
const wait = () => createWaitCommand({ clock: clock() });
const tasks = () => createTasksCommand({ clock: clock() });
const start = () => createLaunchCommand('start', { clock: clock() });
const clustersCommand = () => createClustersCommand({ clock: clock() });
const drain = () => createDrainCommand({ clock: clock() });

/** Requests each simulator received, by route. */
const routes = (sim: Sim) => sim.control.counters().byRoute;
const posts = (sim: Sim) =>
  Object.entries(routes(sim))
    .filter(([route]) => route.startsWith('POST ') && route !== 'POST /access/ticket')
    .reduce((sum, [, count]) => sum + count, 0);

/** A stopped guest of `sim` with no special role: starting it simply works. */
function plainStopped(sim: Sim, notIn: Sim[] = []) {
  const guest = sim.control
    .guests({ status: 'stopped' })
    .find(
      (candidate) =>
        !candidate.template &&
        candidate.roles.length === 0 &&
        !candidate.hastate &&
        notIn.every((other) => !other.control.guest(candidate.vmid)),
    );
  assert.ok(guest, `a plain stopped guest in ${sim.cluster}`);
  return guest;
}

/** Every node's listener of `sim` refuses connections: the cluster is offline. */
async function takeOffline(sim: Sim): Promise<void> {
  for (const node of sim.nodes) await sim.control.addFault({ kind: 'listener-down', node });
}

describe('wait', () => {
  test('resolves the UPIDs of two clusters in one call, each on its own cluster, named in the events', async () => {
    const onAlpha = alpha.control.spawnTask({ node: 'alpha-pve2', type: 'qmstart', id: '101', durationMs: 5_000 });
    const onBravo = bravo.control.spawnTask({
      node: 'bravo-pve1',
      type: 'vzdump',
      id: '125',
      durationMs: 9_000,
      exitStatus: 'WARNINGS: 1',
    });
    const { code, io } = await run(wait(), [onAlpha, onBravo, '--json']);
    assert.equal(code, 0, io.stderr.text);
    const finished = io.stdout.json().filter((event) => event.event === 'finished');
    assert.deepEqual(finished.map((event) => [event.cluster, event.upid, event.outcome]).sort(), [
      ['alpha', onAlpha, 'ok'],
      ['bravo', onBravo, 'warnings'],
    ]);
    assert.deepEqual(io.stdout.json().at(-1), { event: 'summary', ok: 1, warnings: 1, failed: 0, timeout: 0, unknown: 0, skipped: 0 });
    // Each task was read where it runs; charlie was only asked for its nodes.
    const taskReads = (sim: Sim) =>
      Object.entries(routes(sim))
        .filter(([route]) => route.startsWith('GET /nodes/{node}/tasks'))
        .reduce((sum, [, count]) => sum + count, 0);
    assert.ok(taskReads(alpha) > 0 && taskReads(bravo) > 0);
    assert.equal(taskReads(charlie), 0);
    assert.equal(routes(charlie)['GET /nodes'], 1);
    assert.match(io.stderr.text, /started +.* on alpha:alpha-pve2 /);
    assert.match(io.stderr.text, /\nCLUSTER +TARGET +NODE +OUTCOME/);
  });

  test('a UPID whose node no cluster has is one line, exit 2, nothing watched', async () => {
    const stranger = 'UPID:pve9:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:';
    const { code, io } = await run(wait(), [stranger]);
    assert.equal(code, 2);
    assert.equal(io.stderr.lines().length, 1, io.stderr.text);
    assert.match(io.stderr.text, /its node pve9 is in none of the clusters alpha, bravo, charlie \(nothing was watched\)/);
  });

  test('with one cluster offline, the other UPIDs are followed to the end; the offline cluster is named, exit 3', async () => {
    const onAlpha = alpha.control.spawnTask({ node: 'alpha-pve1', type: 'qmstart', id: '102', durationMs: 4_000 });
    const onCharlie = charlie.control.spawnTask({ node: 'charlie-pve1', type: 'qmstart', id: '150', durationMs: 4_000 });
    await takeOffline(charlie);
    const { code, io } = await run(wait(), [onAlpha, onCharlie, '--json']);
    assert.equal(code, 3);
    const finished = io.stdout.json().filter((event) => event.event === 'finished');
    assert.deepEqual(
      finished.map((event) => [event.cluster, event.outcome]),
      [['alpha', 'ok']],
    );
    const failures = io.stderr.lines().filter((line) => line.startsWith('pvetasks: cluster '));
    assert.equal(failures.length, 1);
    assert.match(failures[0]!, /^pvetasks: cluster charlie: cannot connect to .*; not watched: UPID:charlie-pve1:/);
  });
});

describe('wait, two clusters with a node of the same name (every standalone node is pve at first)', () => {
  test('the cluster that knows the task follows it; one that none knows is one line, exit 2', async () => {
    const twins = await Promise.all(
      ['east', 'west'].map((name, index) =>
        startSimulator({ clock: rig.clock, nodes: 1, guests: 18, seed: 20 + index, unauthorizedDelayMs: 0, name }),
      ),
    );
    try {
      const [east, west] = twins as [Sim, Sim];
      const lines = twins.map(
        (twin) => `  - name: ${twin.cluster}\n    endpoints: [${twin.url}]\n    token_env: ${twin.cluster.toUpperCase()}_TOKEN\n`,
      );
      const config = writeConfig(join(rig.dir, 'twins'), `clusters:\n${lines.join('')}`);
      const env = { EAST_TOKEN: east.token, WEST_TOKEN: west.token };
      const upid = west.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '101', durationMs: 3_000 });
      const found = await run(wait(), [upid, '--config', config, '--json'], env);
      assert.equal(found.code, 0, found.io.stderr.text);
      const finished = found.io.stdout.json().find((event) => event.event === 'finished')!;
      assert.deepEqual([finished.cluster, finished.outcome], ['west', 'ok']);
      const nobody = 'UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:';
      const lost = await run(wait(), [nobody, '--config', config], env);
      assert.equal(lost.code, 2);
      assert.deepEqual(lost.io.stderr.lines(), [
        `pvetasks: ${nobody}: its node pve1 is in the clusters east, west, and none of them knows the task: choose with --cluster NAME (nothing was watched)`,
      ]);
    } finally {
      await Promise.all(twins.map((twin) => twin.close()));
    }
  });
});

describe('drain', () => {
  test('CLUSTER:NODE plans on that cluster only; without --yes and a terminal nothing is sent anywhere', async () => {
    const node = bravo.nodes[0]!;
    const { code, io } = await run(drain(), [`bravo:${node}`]);
    assert.equal(code, 2, io.stderr.text);
    assert.match(io.stderr.text, new RegExp(`^drain ${node}: \\d+ of \\d+ guests to `, 'm'));
    // The plan lists bravo's guests of that node, and only bravo was asked.
    const onNode = bravo.control.guests().filter((guest) => guest.node === node);
    assert.ok(onNode.length > 0);
    for (const guest of onNode) assert.match(io.stderr.text, new RegExp(` ${guest.vmid} \\(${guest.name}\\)`));
    assert.equal(alpha.control.counters().total, 0);
    assert.equal(charlie.control.counters().total, 0);
    assert.equal(posts(bravo), 0);
  });

  test('a cluster prefix that is not configured, or that --cluster leaves out, is one line, exit 2, nothing asked', async () => {
    const unknown = await run(drain(), ['delta:pve1']);
    assert.equal(unknown.code, 2);
    assert.deepEqual(unknown.io.stderr.lines(), [
      "pvetasks: 'delta:pve1' names cluster 'delta', which is not configured (configured: alpha, bravo, charlie)",
    ]);
    const left = await run(drain(), ['bravo:pve1', '--cluster', 'alpha']);
    assert.equal(left.code, 2);
    assert.deepEqual(left.io.stderr.lines(), ['pvetasks: bravo:pve1 names cluster bravo, which --cluster alpha leaves out']);
    for (const sim of rig.sims) assert.equal(sim.control.counters().total, 0);
  });
});

describe('start, backup, snapshot', () => {
  test('CLUSTER:VMID reaches that cluster only (POSTs counted on each simulator), without --cluster', async () => {
    const guest = plainStopped(bravo);
    const { code, io } = await run(start(), [`bravo:${guest.vmid}`, '--json']);
    assert.equal(code, 0, io.stderr.text);
    assert.equal(posts(bravo), 1);
    assert.equal(routes(bravo)[`POST /nodes/{node}/${guest.type}/{vmid}/status/start`], 1);
    // The others were not even asked.
    assert.equal(alpha.control.counters().total, 0);
    assert.equal(charlie.control.counters().total, 0);
    const finished = io.stdout.json().find((event) => event.event === 'finished')!;
    assert.equal(finished.cluster, 'bravo');
    assert.equal(finished.vmid, guest.vmid);
    assert.equal(finished.outcome, 'ok');
    assert.equal(bravo.control.guest(guest.vmid)!.status, 'running');
    // Its session is the configured cluster's: two clusters PVE calls alike keep theirs apart.
    assert.ok(readdirSync(join(rig.dir, 'state')).includes('bravo@root@pam!pvetasks.json'));
  });

  test('a bare VMID in two clusters is one line naming both, exit 2, nothing sent anywhere', async () => {
    // alpha has 100-139 and bravo 120-159: 125 is in both.
    const { code, io } = await run(start(), ['125', '--cluster', 'alpha', '--cluster', 'bravo']);
    assert.equal(code, 2);
    assert.deepEqual(io.stderr.lines(), ['pvetasks: guest 125 is in 2 clusters: write alpha:125 or bravo:125 (nothing was started)']);
    assert.equal(posts(alpha) + posts(bravo) + posts(charlie), 0);
  });

  test('several clusters configured and none chosen: a bare VMID asks to choose; PVETASKS_CLUSTER chooses', async () => {
    const refused = await run(start(), ['101']);
    assert.equal(refused.code, 2);
    assert.match(
      refused.io.stderr.text,
      /3 clusters are configured in .*config\.yaml \(alpha, bravo, charlie\): choose with --cluster NAME/,
    );
    const guest = plainStopped(alpha);
    const chosen = await run(start(), [String(guest.vmid), '--json'], { PVETASKS_CLUSTER: 'alpha' });
    assert.equal(chosen.code, 0, chosen.io.stderr.text);
    assert.equal(posts(alpha), 1);
    assert.equal(posts(bravo) + posts(charlie), 0);
  });

  test('a guest of an offline cluster is not started, the others are; the line names the cluster, exit 3', async () => {
    const onAlpha = plainStopped(alpha);
    const onCharlie = plainStopped(charlie);
    await takeOffline(charlie);
    const { code, io } = await run(start(), [`alpha:${onAlpha.vmid}`, `charlie:${onCharlie.vmid}`, '--json']);
    assert.equal(code, 3);
    assert.equal(posts(alpha), 1);
    assert.deepEqual(
      io.stdout
        .json()
        .filter((event) => event.event === 'finished')
        .map((event) => [event.cluster, event.vmid, event.outcome]),
      [['alpha', onAlpha.vmid, 'ok']],
    );
    assert.match(
      io.stderr.text,
      new RegExp(`pvetasks: cluster charlie: cannot connect .*\\(nothing was started there: charlie:${onCharlie.vmid}\\)`),
    );
  });

  test('CLUSTER:NODE:VMID is checked against the node; a cluster --cluster leaves out is refused', async () => {
    const guest = plainStopped(bravo);
    const wrongNode = bravo.nodes.find((node) => node !== guest.node)!;
    const misplaced = await run(start(), [`bravo:${wrongNode}:${guest.vmid}`]);
    assert.equal(misplaced.code, 2);
    assert.match(misplaced.io.stderr.text, new RegExp(`guest ${guest.vmid} is on ${guest.node}, not ${wrongNode}`));
    const left = await run(start(), [`bravo:${guest.vmid}`, '--cluster', 'alpha']);
    assert.equal(left.code, 2);
    assert.match(left.io.stderr.text, /bravo:\d+ names cluster bravo, which --cluster alpha leaves out/);
    assert.equal(posts(alpha) + posts(bravo), 0);
  });
});

describe('tasks', () => {
  test('--cluster all lists all three with a CLUSTER column, and cluster in --json', async () => {
    for (const sim of rig.sims) sim.control.spawnTask({ node: `${sim.cluster}-pve3`, type: 'qmsnapshot', id: '140', durationMs: 60_000 });
    const table = await run(tasks(), ['--cluster', 'all', '--running']);
    assert.equal(table.code, 0, table.io.stderr.text);
    const [header, ...rows] = table.io.stdout.lines();
    assert.match(header!, /^CLUSTER +STARTED +NODE +DESCRIPTION/);
    for (const name of ['alpha', 'bravo', 'charlie']) {
      assert.ok(
        rows.some((row) => row.startsWith(`${name} `) && row.includes(`${name}-pve3`)),
        `a row of ${name}`,
      );
    }
    const json = await run(tasks(), ['--cluster', 'all', '--running', '--json']);
    const items = json.io.stdout.json();
    assert.deepEqual([...new Set(items.map((item) => item.cluster))].sort(), ['alpha', 'bravo', 'charlie']);
    for (const item of items) assert.ok(String(item.node).startsWith(`${item.cluster}-`), 'each task under its own cluster');
  });

  test('--node across clusters reads that node where it is; a node of none is one line, exit 2', async () => {
    bravo.control.spawnTask({ node: 'bravo-pve2', type: 'qmstart', id: '130', durationMs: 60_000 });
    const { code, io } = await run(tasks(), ['--cluster', 'all', '--node', 'bravo-pve2', '--running', '--json']);
    assert.equal(code, 0, io.stderr.text);
    const items = io.stdout.json();
    assert.ok(items.length > 0);
    assert.deepEqual([...new Set(items.map((item) => `${String(item.cluster)} ${String(item.node)}`))], ['bravo bravo-pve2']);
    assert.equal(routes(alpha)['GET /nodes/{node}/tasks'] ?? 0, 0, 'alpha was only asked for its nodes');
    const nowhere = await run(tasks(), ['--cluster', 'all', '--node', 'pve9']);
    assert.equal(nowhere.code, 2);
    assert.deepEqual(nowhere.io.stderr.lines(), ['pvetasks: --node pve9: in none of the clusters alpha, bravo, charlie']);
  });

  test('one cluster offline: the others are listed whole, one line names it, exit 3', async () => {
    const before = await run(tasks(), ['--cluster', 'alpha', '--cluster', 'bravo', '--json']);
    await takeOffline(bravo);
    const { code, io } = await run(tasks(), ['--cluster', 'all', '--json']);
    assert.equal(code, 3);
    const items = io.stdout.json();
    assert.deepEqual([...new Set(items.map((item) => item.cluster))].sort(), ['alpha', 'charlie']);
    const alphaBefore = before.io.stdout.json().filter((item) => item.cluster === 'alpha');
    assert.deepEqual(
      items.filter((item) => item.cluster === 'alpha').map((item) => item.upid),
      alphaBefore.map((item) => item.upid),
    );
    assert.deepEqual(
      io.stderr.lines().filter((line) => line.startsWith('pvetasks:')),
      [io.stderr.lines().find((line) => line.startsWith('pvetasks: cluster bravo: cannot connect to '))],
    );
  });

  test('a cluster that does not answer at all is left out after 20 s; the others are listed', async () => {
    for (const node of charlie.nodes) await charlie.control.addFault(`latency=600000@${node}`);
    const began = rig.clock.now();
    const { code, io } = await run(tasks(), ['--cluster', 'all', '--json']);
    assert.equal(code, 3);
    assert.ok(rig.clock.now() - began <= 21_000, `${rig.clock.now() - began} ms`);
    assert.deepEqual([...new Set(io.stdout.json().map((item) => item.cluster))].sort(), ['alpha', 'bravo']);
    assert.match(io.stderr.text, /pvetasks: cluster charlie: no answer within 20 s/);
  });
});

describe('pvetasks clusters', () => {
  test('lists and checks every configured cluster: endpoint, credentials, version, privileges', async () => {
    const table = await run(clustersCommand(), []);
    assert.equal(table.code, 0, table.io.stderr.text);
    const [header, ...rows] = table.io.stdout.lines();
    assert.match(header!, /^CLUSTER +ENDPOINT +STATUS +VERSION +USER +PRIVILEGES$/);
    assert.equal(rows.length, 3);
    for (const [index, sim] of rig.sims.entries()) {
      assert.match(rows[index]!, new RegExp(`^${sim.cluster} +${sim.url.replace(/[.]/g, '\\.')} +ok +9\\.\\S+ +root@pam!pvetasks +all$`));
    }
    const json = await run(clustersCommand(), ['--json']);
    const checks = json.io.stdout.json();
    assert.deepEqual(
      checks.map((check) => check.cluster),
      ['alpha', 'bravo', 'charlie'],
    );
    assert.deepEqual(checks[1], {
      cluster: 'bravo',
      source: 'config',
      endpoints: bravo.urls,
      status: 'ok',
      endpoint: bravo.url,
      reachable: true,
      authenticated: true,
      user: 'root@pam!pvetasks',
      version: checks[1]!.version,
      privileges: { 'Sys.Audit': true, 'VM.PowerMgmt': true, 'VM.Backup': true, 'VM.Snapshot': true, 'VM.Migrate': true },
      error: null,
    });
    assert.match(String(checks[1]!.version), /^9\./);
  });

  test('on a colour UTF-8 terminal, a bordered table (ink-table) within its width; plain without colour, borders or a terminal', async () => {
    // The command imports Ink on first use, which takes event-loop turns that runUntil would take for a
    // command stuck waiting: load it first, as the rig does the YAML parser.
    await loadBorderedTables();
    const onTerminal = async (env: NodeJS.ProcessEnv, columns: number, args: string[] = []) => {
      const io = rig.io({ LANG: 'C.UTF-8', ...env });
      io.stdout.isTTY = true;
      io.stdout.columns = columns;
      const code = await rig.clock.runUntil(clustersCommand()(args, io));
      assert.equal(code, 0, io.stderr.text);
      for (const secret of rig.secrets) assert.ok(!io.stdout.text.includes(secret), 'no secret in the output');
      return io.stdout.lines();
    };
    const cells = (line: string) =>
      line
        .split('│')
        .slice(1, -1)
        .map((cell) => cell.trim());
    const lines = await onTerminal({}, 120);
    assert.match(lines[0]!, /^┌─+┬/);
    assert.deepEqual(cells(lines[1]!), ['CLUSTER', 'ENDPOINT', 'STATUS', 'VERSION', 'USER', 'PRIVILEGES']);
    const body = lines.filter((line) => line.startsWith('│')).slice(1);
    assert.equal(lines.length, 3 + 2 * rig.sims.length, 'the borders, the headings, a rule and a line per cluster');
    for (const [index, sim] of rig.sims.entries()) {
      const [cluster, endpoint, status, version, user, privileges] = cells(body[index]!);
      assert.deepEqual([cluster, endpoint, status, user, privileges], [sim.cluster, sim.url, 'ok', 'root@pam!pvetasks', 'all']);
      assert.match(version!, /^9\./);
    }
    assert.equal(new Set(lines.map((line) => stringWidth(line))).size, 1, lines.join('\n'));
    // Narrower: the endpoint and the user are cut, the status never; the table stays within the terminal.
    const narrow = await onTerminal({}, 80);
    assert.match(narrow[0]!, /^┌/);
    assert.ok(
      narrow.every((line) => stringWidth(line) <= 80),
      narrow.join('\n'),
    );
    assert.deepEqual(
      narrow.filter((line) => line.startsWith('│')).map((line) => cells(line)[2]),
      ['STATUS', 'ok', 'ok', 'ok'],
    );
    // Plain columns: with --no-color, NO_COLOR, a locale that is not UTF-8, or a terminal too narrow for the table.
    for (const [env, args, columns] of [
      [{}, ['--no-color'], 120],
      [{ NO_COLOR: '1' }, [], 120],
      [{ LANG: 'C' }, [], 120],
      [{}, [], 40],
    ] as const) {
      const plain = await onTerminal(env, columns, [...args]);
      assert.match(
        plain[0]!,
        /^CLUSTER +ENDPOINT +STATUS +VERSION +USER +PRIVILEGES$/,
        `${JSON.stringify(env)} ${args.join(' ')} ${columns}`,
      );
      // Coloured as before where colour is on (an ASCII locale, a narrow terminal).
      assert.match(plain[1]!.replace(/\u001b\[\d+m/g, ''), /^alpha +http:\S+ +ok /);
      if ('NO_COLOR' in env || args.length > 0) assert.doesNotMatch(plain.join('\n'), /\u001b/);
    }
  });

  test('an offline cluster, refused credentials and a least-privilege token are each told; exit 3', async () => {
    const ops = bravo.control.addToken('ops', { privileges: 'ops' });
    const dir = join(rig.dir, 'mixed');
    const config = writeConfig(
      dir,
      [
        'clusters:',
        `  - name: east`,
        `    endpoints: [${alpha.url}]`,
        `    token: "${alpha.token.slice(0, alpha.token.indexOf('='))}=00000000-0000-0000-0000-000000000000"`,
        `  - name: west`,
        `    endpoints: [${bravo.url}]`,
        `    token: "${ops}"`,
        `  - name: south`,
        `    endpoints: [${charlie.url}]`,
        `    token_env: SOUTH_TOKEN`,
      ].join('\n'),
    );
    await takeOffline(charlie);
    const { code, io } = await run(clustersCommand(), ['--config', config, '--json'], { SOUTH_TOKEN: charlie.token });
    assert.equal(code, 3);
    const [east, west, south] = io.stdout.json();
    assert.deepEqual([east!.status, east!.reachable, east!.authenticated, east!.endpoint], ['credentials refused', true, false, alpha.url]);
    assert.equal(west!.status, 'ok');
    assert.deepEqual(west!.privileges, {
      'Sys.Audit': false,
      'VM.PowerMgmt': true,
      'VM.Backup': true,
      'VM.Snapshot': true,
      'VM.Migrate': true,
    });
    assert.equal(west!.user, 'ops@pve!ops');
    assert.deepEqual([south!.status, south!.reachable, south!.endpoint], ['unreachable', false, null]);
    assert.deepEqual(
      io.stderr.lines().map((line) => /^pvetasks: cluster (\w+): /.exec(line)?.[1]),
      ['east', 'south'],
    );
    const secret = ops.slice(ops.indexOf('=') + 1);
    assert.ok(!io.stdout.text.includes(secret) && !io.stderr.text.includes(secret));
    assert.ok(!io.stdout.text.includes(charlie.token.slice(charlie.token.indexOf('=') + 1)));
    const table = await run(clustersCommand(), ['--config', config], { SOUTH_TOKEN: charlie.token });
    assert.match(table.io.stdout.text, /\nwest +\S+ +ok +\S+ +ops@pve!ops +missing Sys\.Audit\n/);
    assert.match(table.io.stdout.text, /\neast +\S+ +credentials refused\n/);
  });
});
