// The board over three simulated clusters: one runtime per cluster (its own client, poller and queue),
// one view over their stores (cluster-view.ts) and one router of actions (cluster-actions.ts), all on one
// ManualClock. What it shows, one cluster's outage, an action routed to one cluster, the filter by name.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createPveClient, type PveClient } from '../../src/api/index.js';
import { startSimulators, type Simulator } from '../../src/sim/index.js';
import { routeActions } from '../../src/tasks/cluster-actions.js';
import { combineStores } from '../../src/tasks/cluster-view.js';
import { createRuntime, type Runtime } from '../../src/tasks/runtime.js';
import { createTaskStore, rowsOf } from '../../src/tasks/store.js';
import { livenessText } from '../../src/ui/components/clusters-header.js';
import { createTheme } from '../../src/ui/theme.js';
import { renderSummary } from '../../src/ui/summary.js';
import { ManualClock } from '../../src/util/clock.js';
import { storeReaches } from '../helpers/cluster.js';
import { KEY, cleanup, lineWith, linesOf, mountBoard, settle } from './helpers.js';

interface Setup {
  clock: ManualClock;
  sims: Simulator[];
  clients: PveClient[];
  runtimes: Runtime[];
  close(): Promise<void>;
}

let setup: Setup | undefined;

afterEach(async () => {
  cleanup();
  await setup?.close();
  setup = undefined;
});

async function start(count: number, size = { columns: 120, rows: 40 }) {
  const clock = new ManualClock();
  const sims = await startSimulators({ clusters: count, clock, nodes: 2, guests: 14, unauthorizedDelayMs: 0, seed: 5 });
  const clients = sims.map((sim) => createPveClient({ endpoint: sim.url, token: sim.token, clock }));
  const runtimes = sims.map((sim, index) =>
    createRuntime({
      client: clients[index]!,
      clock,
      intervalMs: 2000,
      scope: 'cluster',
      watchAfterTimeout: true,
      info: { endpoint: sim.url, user: clients[index]!.userid, cluster: sim.cluster, demo: false, intervalMs: 2000, readOnly: false },
    }),
  );
  const parts = sims.map((sim, index) => ({ name: sim.cluster, store: runtimes[index]!.store, actions: runtimes[index]!.actions }));
  const view = combineStores(parts, clock);
  const actions = routeActions(parts, view.notify);
  setup = {
    clock,
    sims,
    clients,
    runtimes,
    async close() {
      view.close();
      await clock.runUntil(Promise.all(runtimes.map((runtime) => runtime.close())), { limitMs: 60_000 });
      await Promise.all(clients.map((client) => client.close()));
      await Promise.all(sims.map((sim) => sim.close()));
    },
  };
  for (const runtime of runtimes) runtime.poller.start();
  const board = await mountBoard({ store: view.store, actions, clock, size, initialScope: 'cluster' });
  await clock.runUntil(
    storeReaches(view.store, (state) => state.guestOrder.length === sims.reduce((sum, sim) => sum + sim.control.guests().length, 0)),
    { limitMs: 60_000 },
  );
  await settle();
  return { clock, sims, view, board, runtimes };
}

/** Another user's long task on each cluster's first node, seen by the board. */
async function consoles(ctx: Awaited<ReturnType<typeof start>>): Promise<string[]> {
  const upids = ctx.sims.map((sim) =>
    sim.control.spawnTask({
      node: sim.nodes[0]!,
      type: 'vncproxy',
      id: String(sim.control.guests()[0]!.vmid),
      user: 'admin@pve',
      durationMs: Infinity,
    }),
  );
  await ctx.clock.runUntil(
    storeReaches(ctx.view.store, (state) => upids.every((upid) => state.keyOf(upid) !== undefined)),
    { limitMs: 60_000 },
  );
  await settle();
  return upids;
}

const taskRows = (frame: string) => linesOf(frame).filter((line) => /^[> ] [●✓✗…⏱?-] /.test(line));

test('three clusters: rows of all three under a CLUSTER column, the header says each is live, the footer tallies all', async () => {
  const ctx = await start(3);
  await consoles(ctx);
  const frame = ctx.board.frame();
  assert.match(linesOf(frame)[0]!, /alpha live · bravo live · charlie live/);
  assert.match(frame, /CLUSTER TASK/);
  const clusters = new Set(taskRows(frame).map((line) => line.slice(4).split(' ')[0]));
  assert.deepEqual([...clusters].sort(), ['alpha', 'bravo', 'charlie']);
  const total = ctx.runtimes.reduce((sum, runtime) => sum + runtime.store.getState().tallies.cluster.total, 0);
  assert.match(frame, new RegExp(`${total} tasks`));

  // The guests of all three, each with its cluster.
  await ctx.board.press(KEY.tab);
  const guests = ctx.board.frame();
  assert.match(guests, /CLUSTER VMID/);
  const first = ctx.sims[0]!.control.guests()[0]!;
  assert.match(lineWith(guests, ` ${first.vmid} `)!, new RegExp(`^> +alpha +${first.vmid} +${first.name}`));
  await ctx.board.press('G');
  const last = ctx.sims[2]!.control.guests().at(-1)!;
  assert.match(
    linesOf(ctx.board.frame()).find((line) => line.startsWith('> '))!,
    new RegExp(`^> +charlie +${last.vmid} +${last.name}`),
  );
});

test('one cluster offline: the header names it, its rows stay, the other two keep updating', async () => {
  const ctx = await start(3);
  await consoles(ctx);
  const bravo = ctx.sims[1]!;
  await bravo.control.addFault(`listener-down=${bravo.nodes[0]}`);
  // Two cycles without an answer from bravo.
  await ctx.clock.runUntil(
    storeReaches(ctx.runtimes[1]!.store, (state) => state.connection?.outage !== undefined),
    { limitMs: 120_000 },
  );
  // A task that starts on alpha while bravo is down shows up.
  const alpha = ctx.sims[0]!;
  const late = alpha.control.spawnTask({
    node: alpha.nodes[1]!,
    type: 'qmstart',
    id: String(alpha.control.guests()[1]!.vmid),
    durationMs: Infinity,
  });
  await ctx.clock.runUntil(
    storeReaches(ctx.view.store, (state) => state.keyOf(late) !== undefined),
    { limitMs: 60_000 },
  );
  await ctx.clock.advance(1000);
  await settle();
  const frame = ctx.board.frame();
  assert.match(linesOf(frame)[0]!, /alpha live · bravo offline \d+s · charlie live/);
  assert.match(linesOf(frame)[1]!, /! bravo: cannot reach the API at /);
  // bravo's rows are still listed (as they were, marked !bravo: not current), next to alpha's and charlie's.
  const clusters = new Set(taskRows(frame).map((line) => line.slice(4).split(' ')[0]));
  assert.deepEqual([...clusters].sort(), ['!bravo', 'alpha', 'charlie']);

  // It comes back: live again.
  await bravo.control.removeFault(`listener-down=${bravo.nodes[0]}`);
  await ctx.clock.runUntil(
    storeReaches(ctx.runtimes[1]!.store, (state) => state.connection?.outage === undefined),
    { limitMs: 120_000 },
  );
  await ctx.clock.advance(2000);
  await settle();
  assert.match(linesOf(ctx.board.frame())[0]!, /alpha live · bravo live · charlie live/);
  assert.doesNotMatch(ctx.board.frame(), /!bravo/);
});

test('start on a marked guest of bravo reaches bravo only (counted by each simulator)', async () => {
  const ctx = await start(3);
  const [alpha, bravo, charlie] = ctx.sims as [Simulator, Simulator, Simulator];
  const target = bravo.control.guestWithRole('stoppedQemu');
  // alpha has a guest with the same name: the filter picks bravo's by its cluster's name too.
  for (const sim of ctx.sims) sim.control.resetCounters();
  const starts = (sim: Simulator) =>
    Object.entries(sim.control.counters().byRoute)
      .filter(([route]) => /^POST .*\/status\/start$/.test(route))
      .reduce((sum, [, count]) => sum + count, 0);
  const before = ctx.sims.map(starts);

  await ctx.board.press(KEY.tab, '/', `bravo ${target.vmid}`, KEY.enter);
  const cursorLine = linesOf(ctx.board.frame()).find((line) => line.startsWith('> '))!;
  assert.match(cursorLine, new RegExp(`^>   bravo +${target.vmid} `));
  await ctx.board.press(' ', KEY.esc, 's');
  assert.match(ctx.board.frame(), new RegExp(`Start guest ${target.vmid} .*on ${target.node} in bravo\\?`), 'the dialog names the cluster');
  await ctx.board.press('y');
  await ctx.clock.runUntil(
    storeReaches(ctx.runtimes[1]!.store, (state) => state.tallies.mine.ok === 1),
    { limitMs: 5 * 60_000 },
  );
  await settle();
  assert.deepEqual(
    ctx.sims.map((sim, index) => starts(sim) - before[index]!),
    [0, 1, 0],
  );
  assert.equal(bravo.control.guest(target.vmid)!.status, 'running');
  assert.equal(alpha.control.tasks({ user: ctx.runtimes[0]!.client.userid }).length, 0);
  assert.equal(charlie.control.tasks({ user: ctx.runtimes[2]!.client.userid }).length, 0);
  const frame = ctx.board.frame();
  assert.match(frame, /\[Tasks: mine\]/);
  assert.match(lineWith(frame, target.name!)!, /✓ bravo +VM \d+ - Start .*OK$/);
  // The exit summary names the cluster of each task.
  const summary = renderSummary(rowsOf(ctx.view.store.getState(), 'mine'), {
    ascii: false,
    color: false,
    columns: 120,
    rows: 40,
    now: ctx.clock.now(),
  });
  // Short enough for the bordered table: a CLUSTER column.
  assert.match(summary, /│ STATE +│ CLUSTER │ TASK/);
  assert.match(lineWith(summary, target.name!)!, /│ ✓ ok +│ bravo +│ VM \d+ - Start/);
  // Too long for the screen: the compact form, `bravo:web-01`.
  const compact = renderSummary(rowsOf(ctx.view.store.getState(), 'mine'), {
    ascii: false,
    color: false,
    columns: 120,
    rows: 4,
    now: ctx.clock.now(),
  });
  assert.match(lineWith(compact, target.name!)!, new RegExp(`bravo:${target.name}`));
});

test('the filter matches the cluster name; the footer tallies the filtered rows', async () => {
  const ctx = await start(3);
  await consoles(ctx);
  await ctx.board.press('/', 'charlie', KEY.enter);
  const frame = ctx.board.frame();
  const rows = taskRows(frame);
  assert.ok(rows.length > 0);
  for (const line of rows) assert.match(line, /^[> ] . charlie /);
  const charlie = ctx.runtimes[2]!.store.getState().tallies.cluster.total;
  assert.match(frame, new RegExp(`filter "charlie": ${charlie} of`));
});

test('the launch limits apply to each cluster, and the dialog says so', async () => {
  const ctx = await start(3);
  await ctx.board.press('L');
  assert.match(ctx.board.frame(), /1 to \d+ each, per cluster; launches already sent go on/);
  await ctx.board.press(KEY.backspace, '2', KEY.tab, KEY.backspace, '1', KEY.enter);
  assert.deepEqual(
    ctx.runtimes.map((runtime) => runtime.store.getState().queue),
    ctx.runtimes.map(() => ({ paused: false, parallel: 2, perNode: 1 })),
  );
});

test('one cluster: no CLUSTER column, the header as before, keys unchanged', async () => {
  const ctx = await start(1);
  await consoles(ctx);
  assert.equal(ctx.view.store, ctx.runtimes[0]!.store, 'the view over one cluster is its own store');
  const frame = ctx.board.frame();
  assert.doesNotMatch(frame, /CLUSTER/);
  assert.match(linesOf(frame)[0]!, /alpha · root@pam!\S+ · live/);
});

test('the liveness line narrows: long words, then short ones, then counts naming the clusters down', () => {
  const now = 1_000_000;
  const part = (name: string, outageSince?: number) => {
    const store = createTaskStore();
    store.getState().update((tx) => {
      tx.setPoll({ lastSuccessAt: now - 1000 });
      if (outageSince !== undefined)
        tx.setConnection({ endpoint: 'x:8006', endpoints: ['x:8006'], outage: { since: outageSince, reason: 'refused' } });
    });
    return { name, state: store.getState() };
  };
  const parts = [part('alpha'), part('bravo', now - 12_000), part('charlie')];
  const theme = createTheme({ color: false, ascii: false });
  assert.equal(livenessText(parts, now, theme, 80), 'alpha live · bravo offline 12s · charlie live');
  assert.equal(livenessText(parts, now, theme, 40), 'alpha ok bravo off 12s charlie ok');
  assert.equal(livenessText(parts, now, theme, 30), '3 clusters, 2 up, down: bravo');
});

test('migrate and drain over several clusters: each within its own cluster, counted by each simulator', async () => {
  const ctx = await start(3);
  const [alpha, bravo, charlie] = ctx.sims as [Simulator, Simulator, Simulator];
  const migrations = (sim: Simulator) =>
    Object.entries(sim.control.counters().byRoute)
      .filter(([route]) => /^POST .*\/migrate$/.test(route))
      .reduce((sum, [, count]) => sum + count, 0);
  const before = ctx.sims.map(migrations);
  // On shared storage: a live migration moves only its RAM.
  const guest = charlie.control.guestWithRole('sharedDiskQemu');
  /** The board's frame once it shows `pattern` (the dialogs ask their cluster over HTTP). */
  const shows = (pattern: RegExp) =>
    ctx.clock
      .runUntil(
        new Promise<string>((resolve) => {
          const check = () => (pattern.test(ctx.board.frame()) ? resolve(ctx.board.frame()) : setImmediate(check));
          check();
        }),
        { limitMs: 60_000 },
      )
      .catch((error: unknown) => assert.fail(`${String(error)}: the board never showed ${pattern}:\n${ctx.board.frame()}`));

  // A guest of charlie: the dialog offers charlie's nodes, the check and the request go to charlie.
  await ctx.board.press(KEY.tab, '/', `charlie ${guest.vmid}`, KEY.enter, ' ', KEY.esc, 'm');
  const target = charlie.nodes.find((node) => node !== guest.node)!;
  const dialog = await shows(new RegExp(`‹ ${target} ›`));
  assert.match(dialog, new RegExp(`Migrate guest ${guest.vmid} .* in charlie\\?`));
  await ctx.board.press(KEY.enter);
  await shows(/1 to migrate/);
  await ctx.board.press(KEY.enter);
  await ctx.clock.runUntil(
    storeReaches(ctx.runtimes[2]!.store, (state) => state.tallies.mine.ok === 1),
    { limitMs: 10 * 60_000 },
  );
  assert.deepEqual(
    ctx.sims.map((sim, index) => migrations(sim) - before[index]!),
    [0, 0, 1],
  );
  assert.equal(charlie.control.guest(guest.vmid)!.node, target);

  // Guests of two clusters marked at once: a migration is refused, nothing is sent.
  await ctx.board.press(KEY.tab, '/', KEY.backspace, KEY.enter);
  const first = (sim: Simulator) => sim.control.guests({ status: 'stopped' }).find((g) => !g.template)!;
  await ctx.board.press('/', `alpha ${first(alpha).vmid}`, KEY.enter, ' ', '/', `bravo ${first(bravo).vmid}`, KEY.enter, ' ', 'm');
  assert.match(ctx.board.frame(), /migrate moves guests within their cluster: mark the guests of one \(marked: alpha, bravo\)/);
  await ctx.board.press(KEY.esc);

  // Drain the node of a bravo guest: bravo plans it (its guests, its nodes); y sends to bravo only.
  const onNode = bravo.control.guests().find((g) => !g.template)!;
  await ctx.board.press('/', `bravo ${onNode.vmid}`, KEY.enter, 'D');
  const frame = await shows(/guests? to bravo-/);
  assert.match(frame, new RegExp(`Drain bravo/${onNode.node}: migrate every guest off it\\?`));
  assert.ok(!/\b\d{10}\b/.test(frame), `no view-internal guest id is shown:\n${frame}`);
  const beforeDrain = ctx.sims.map(migrations);
  await ctx.board.press('y');
  // The queue sends the drain's migrations four at a time: the first ones are enough to see where they went.
  await ctx.clock.runUntil(
    storeReaches(ctx.runtimes[1]!.store, (state) => rowsOf(state, 'mine').some((row) => row.type === 'qmigrate' && row.upid)),
    { limitMs: 60_000 },
  );
  const sent = ctx.sims.map((sim, index) => migrations(sim) - beforeDrain[index]!);
  assert.equal(sent[0], 0);
  assert.ok(sent[1]! > 0, 'bravo migrates its guests');
  assert.equal(sent[2], 0);
});
