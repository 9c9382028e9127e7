// A second window of the same cluster and user sees the first window's launched tasks as read-only
// rows: read from its live session file (bounded, shape-checked, again only when it changed), never
// written there nor saved in our own session, no action on them; when the first window quits, its
// tasks stay until they end and its launches that were never sent go.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PveClient } from '../../src/api/index.js';
import { createActions } from '../../src/tasks/actions.js';
import { createRuntime } from '../../src/tasks/runtime.js';
import type { LaunchQueue } from '../../src/tasks/launch-queue.js';
import type { Poller } from '../../src/tasks/poller/index.js';
import { openSession, type Session } from '../../src/tasks/session.js';
import { OtherWindows, windowNumber } from '../../src/tasks/session-others.js';
import { createTaskStore, rowsOf, type TaskStore } from '../../src/tasks/store.js';
import { formatUpid } from '../../src/tasks/upid.js';
import { MANUAL_CLOCK_EPOCH, ManualClock } from '../../src/util/clock.js';
import { startTestCluster } from '../helpers/cluster.js';

const T0 = MANUAL_CLOCK_EPOCH;
const upid = (vmid: number, type = 'qmstart') =>
  formatUpid({ node: 'pve1', pid: 0x100 + vmid, pstart: 0xabc, starttime: T0 / 1000, type, id: String(vmid), user: 'ops@pve' });

interface Window {
  session: Session;
  store: TaskStore;
}

function openWindow(stateDir: string, clock: ManualClock, cluster = 'prod'): Window {
  const session = openSession({ stateDir, cluster, user: 'ops@pve', clock, writeDelayMs: 0 });
  const store = createTaskStore();
  session.attach(store);
  return { session, store };
}

/** The first window's launches: one queued, one running, one refused, one finished backup job. */
function launchInFirst(first: Window): Record<string, string> {
  const keys: Record<string, string> = {};
  first.store.getState().update((tx) => {
    const launch = { action: 'start' as const, node: 'pve1', guests: [{ vmid: 101, type: 'qemu' as const }], params: {} };
    keys.queued = tx.add({ mine: true, firstSeenAt: T0, node: 'pve1', type: 'qmstart', vmids: [101], description: 'Start VM 101', launch });
    keys.running = tx.add({ upid: upid(102), mine: true, firstSeenAt: T0, deadline: T0 + 120_000, guestName: 'web02' });
    keys.refused = tx.add({
      mine: true,
      firstSeenAt: T0,
      node: 'pve1',
      type: 'qmstart',
      vmids: [103],
      state: 'failed',
      message: 'no VM.PowerMgmt',
    });
    keys.backup = tx.add({
      upid: upid(0, 'vzdump').replace(':0:ops', '::ops'),
      mine: true,
      firstSeenAt: T0,
      vmids: [104, 105],
      description: 'Backup Job',
    });
    tx.finish(keys.backup, 'failed', {
      exitStatus: 'job errors',
      endedAt: T0 + 60_000,
      guestResults: {
        104: { outcome: 'ok', durationSeconds: 31 },
        105: { outcome: 'failed', message: 'no space left', durationSeconds: 12 },
      },
    });
  });
  first.session.flush();
  return keys;
}

const windowRows = (store: TaskStore) => rowsOf(store.getState(), 'cluster').filter((row) => row.window !== undefined);

test('session files are numbered as windows: 1 for <base>.json, N for <base>.N.json', () => {
  assert.equal(windowNumber('prod@ops@pve.json', 'prod@ops@pve'), 1);
  assert.equal(windowNumber('prod@ops@pve.3.json', 'prod@ops@pve'), 3);
  for (const name of [
    'prod@ops@pve.json.lock',
    'prod@ops@pve.x.json',
    'prod@ops@pve.0.json',
    'other@ops@pve.json',
    'prod@ops@pve.2.json.1.tmp',
  ])
    assert.equal(windowNumber(name, 'prod@ops@pve'), undefined, name);
});

test("the second window shows the first one's tasks read-only, marked, and never writes them anywhere", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-others-'));
  const clock = new ManualClock();
  const first = openWindow(stateDir, clock);
  const second = openWindow(stateDir, clock);
  assert.match(second.session.path, /prod@ops@pve\.2\.json$/);
  const keys = launchInFirst(first);
  const firstFile = readFileSync(first.session.path, 'utf8');

  const others = new OtherWindows({ ownPath: second.session.path, cluster: 'prod', user: 'ops@pve', store: second.store });
  others.refresh();
  const rows = windowRows(second.store);
  assert.equal(rows.length, 4);
  for (const row of rows) {
    assert.equal(row.window, 1);
    assert.equal(row.mine, false, 'not ours: not in the mine scope, not saved, no deadline of ours');
  }
  const byVmid = (vmid: number) => rows.find((row) => row.vmids.includes(vmid))!;
  assert.equal(byVmid(101).state, 'queued');
  assert.equal(byVmid(102).upid, upid(102));
  assert.equal(byVmid(102).guestName, 'web02');
  assert.equal(byVmid(103).message, 'no VM.PowerMgmt');
  assert.deepEqual(byVmid(104).guestResults, {
    104: { outcome: 'ok', durationSeconds: 31 },
    105: { outcome: 'failed', message: 'no space left', durationSeconds: 12 },
  });
  assert.equal(second.store.getState().order.mine.length, 0);

  // Nothing of them goes into our own file; theirs is untouched.
  second.session.flush();
  assert.deepEqual(JSON.parse(readFileSync(second.session.path, 'utf8')).tasks, []);
  assert.equal(readFileSync(first.session.path, 'utf8'), firstFile);

  // Read again only when the file changed.
  const version = second.store.getState().rowsChange.version;
  others.refresh();
  assert.equal(second.store.getState().rowsChange.version, version, 'an unchanged file is not merged again');
  first.store.getState().update((tx) => tx.finish(keys.running!, 'ok', { exitStatus: 'OK', endedAt: T0 + 5000 }));
  first.session.flush();
  others.refresh();
  assert.equal(byVmid(102).state, 'running', '(the row object read before)');
  assert.equal(windowRows(second.store).find((row) => row.vmids.includes(102))!.state, 'ok');
  assert.equal(windowRows(second.store).length, 4, 'the same rows, brought up to date');

  // The first window quits: what runs stays until it ends; what it never sent goes.
  first.store.getState().update((tx) => tx.add({ upid: upid(106), mine: true, firstSeenAt: T0 + 9000 }));
  first.session.flush();
  others.refresh();
  await first.session.close();
  others.refresh();
  const left = windowRows(second.store);
  assert.deepEqual(left.map((row) => row.vmids[0]).sort(), [102, 103, 104, 106]);
  assert.equal(left.find((row) => row.vmids.includes(106))!.state, 'running');
  assert.equal(left.find((row) => row.vmids.includes(106))!.window, 1, "still marked as the first window's");
  await second.session.close();
});

test('the state dir is listed again only when it changed; a window killed without leaving is still found by its lock', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-others-'));
  const clock = new ManualClock();
  const first = openWindow(stateDir, clock);
  const second = openWindow(stateDir, clock);
  launchInFirst(first);
  // As an idle board finds it: nothing added, renamed or removed for a while (always the same time).
  const past = new Date(Date.now() - 60_000);
  const settle = () => {
    utimesSync(stateDir, past, past);
    return statSync(stateDir).mtimeMs;
  };
  const others = new OtherWindows({ ownPath: second.session.path, cluster: 'prod', user: 'ops@pve', store: second.store });
  settle();
  others.refresh();
  assert.equal(windowRows(second.store).length, 4);

  // A file changed in place (no pvetasks writes so) leaves the directory as it was: it is not listed.
  const stamp = settle();
  writeFileSync(first.session.path, readFileSync(first.session.path, 'utf8').replace('web02', 'web99'));
  assert.equal(statSync(stateDir).mtimeMs, stamp);
  others.refresh();
  assert.equal(windowRows(second.store).find((row) => row.vmids.includes(102))!.guestName, 'web02', 'not read again');

  // A save renames its file into place: seen at the next cycle.
  first.store.getState().update((tx) => tx.add({ upid: upid(106), mine: true, firstSeenAt: T0 + 9000 }));
  first.session.flush();
  others.refresh();
  assert.ok(windowRows(second.store).some((row) => row.vmids.includes(106)));

  // The first window is killed: its lock stays, held by a pid that is gone; the directory is as it was.
  settle();
  others.refresh();
  writeFileSync(`${first.session.path}.lock`, '999999999');
  settle();
  others.refresh();
  assert.deepEqual(
    windowRows(second.store)
      .map((row) => row.vmids[0])
      .sort(),
    [102, 103, 104, 106],
    'its launch that was never sent (101) is gone; what runs stays',
  );
  await second.session.close();
});

test('a task the cluster listing already showed becomes the window row (one row per task); our own rows stay ours', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-others-'));
  const clock = new ManualClock();
  const first = openWindow(stateDir, clock);
  const second = openWindow(stateDir, clock);
  launchInFirst(first);
  let adopted = '';
  let own = '';
  second.store.getState().update((tx) => {
    adopted = tx.add({ upid: upid(102), mine: false, firstSeenAt: T0 + 1000 });
    own = tx.add({ upid: upid(0, 'vzdump').replace(':0:ops', '::ops'), mine: true, firstSeenAt: T0 });
  });
  new OtherWindows({ ownPath: second.session.path, cluster: 'prod', user: 'ops@pve', store: second.store }).refresh();
  const state = second.store.getState();
  assert.equal(state.keyOf(upid(102)), adopted);
  assert.equal(state.row(adopted)!.window, 1);
  assert.equal(state.row(adopted)!.guestName, 'web02');
  assert.equal(state.row(own)!.window, undefined, 'a task of ours is not taken by another window');
  assert.equal(state.row(own)!.mine, true);
  assert.equal(rowsOf(state, 'cluster').filter((row) => row.upid === upid(102)).length, 1);
});

test("another cluster's file under the same name, a corrupt one, a link: not shown, said once, never moved or written", () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-others-'));
  const clock = new ManualClock();
  const ours = openWindow(stateDir, clock);
  // Live locks (this process) on files that are not sessions of ours.
  const plant = (n: number, text: string) => {
    writeFileSync(join(stateDir, `prod@ops@pve.${n}.json`), text, { mode: 0o600 });
    writeFileSync(join(stateDir, `prod@ops@pve.${n}.json.lock`), String(process.pid), { mode: 0o600 });
  };
  plant(3, JSON.stringify({ version: 2, cluster: 'prod ', user: 'ops@pve', savedAt: T0, tasks: [{ key: 'x' }] }));
  plant(4, '{"version": 2, "tasks": [');
  // A link to a real session of ours, planted as window 5: not followed.
  const real = openWindow(stateDir, clock);
  launchInFirst(real);
  symlinkSync(real.session.path, join(stateDir, 'prod@ops@pve.5.json'));
  writeFileSync(join(stateDir, 'prod@ops@pve.5.json.lock'), String(process.pid), { mode: 0o600 });
  const warnings: string[] = [];
  const others = new OtherWindows({
    ownPath: ours.session.path,
    cluster: 'prod',
    user: 'ops@pve',
    store: ours.store,
    onWarning: (text) => warnings.push(text),
  });
  others.refresh();
  others.refresh();
  assert.deepEqual(
    windowRows(ours.store).map((row) => row.window),
    [2, 2, 2, 2],
    'only the real session (window 2) is shown',
  );
  assert.equal(warnings.length, 3, warnings.join('\n'));
  assert.match(warnings.join('\n'), /\.5\.json of another window is a symbolic link \(not followed\); not shown/);
  assert.match(warnings.join('\n'), /\.3\.json belongs to another cluster or user; not shown/);
  assert.match(warnings.join('\n'), /\.4\.json of another window is corrupt; not shown/);
  assert.equal(readFileSync(join(stateDir, 'prod@ops@pve.4.json'), 'utf8'), '{"version": 2, "tasks": [', 'left as it was');
});

test('no action on a row of another window: stop and cancel say why and send nothing', async () => {
  const store = createTaskStore();
  let key = '';
  let queued = '';
  store.getState().update((tx) => {
    key = tx.add({ upid: upid(102), mine: false, firstSeenAt: T0 });
    tx.patch(key, { window: 2 });
    queued = tx.add({ mine: false, firstSeenAt: T0, node: 'pve1', type: 'qmstart', vmids: [101] });
    tx.patch(queued, { window: 2 });
  });
  const sent: string[] = [];
  const messages: string[] = [];
  const actions = createActions({
    client: { DELETE: async (path: string) => sent.push(path) } as unknown as PveClient,
    clock: new ManualClock(),
    store,
    queue: { cancel: () => assert.fail('the queue is not asked') } as unknown as LaunchQueue,
    poller: { refreshNow: () => {} } as unknown as Poller,
    notify: (text) => messages.push(text),
    track: () => assert.fail('nothing is tracked'),
  });
  await actions.stopTask(key);
  actions.cancelLaunch(queued);
  assert.deepEqual(sent, []);
  assert.deepEqual(messages, [
    'this task belongs to pvetasks window w2: read-only here, act on it there',
    'this task belongs to pvetasks window w2: read-only here, act on it there',
  ]);
  assert.ok(store.getState().row(queued), 'still there');
});

test('on a cluster: the second runtime follows what the first one launches, to its end, through the file and its own polls', async () => {
  const cluster = await startTestCluster({ speed: 10 });
  const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-others-'));
  const open = () => openSession({ stateDir, cluster: 'sim', user: cluster.client.userid, clock: cluster.clock, writeDelayMs: 0 });
  const first = createRuntime({ client: cluster.client, clock: cluster.clock, session: open(), scope: 'cluster', resourcesEveryMs: 2000 });
  const second = createRuntime({
    client: cluster.client,
    clock: cluster.clock,
    session: open(),
    otherWindows: true,
    scope: 'cluster',
    resourcesEveryMs: 2000,
  });
  try {
    const target = cluster.sim.control
      .guests({ status: 'stopped' })
      .find((guest) => guest.roles.length === 0 && !guest.hastate && !guest.template)!;
    first.poller.start();
    second.poller.start();
    await cluster.clock.runUntil(cluster.clock.sleep(5000));
    first.actions.launch({ action: 'start', vmids: [target.vmid] });
    const seen = () => windowRows(second.store).find((row) => row.vmids.includes(target.vmid));
    await cluster.clock.runUntil(cluster.clock.sleep(20_000));
    const row = seen();
    assert.ok(row, 'the launch shows in the second runtime');
    assert.equal(row.window, 1);
    assert.equal(row.state, 'ok');
    assert.match(row.upid ?? '', new RegExp(`:qmstart:${target.vmid}:`));
    assert.equal(second.store.getState().order.mine.length, 0);
  } finally {
    await second.close();
    await first.close();
    await cluster.close();
  }
});

test('a window that quits and comes back (a restart): its rows are the same rows, none twice', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-others-'));
  const clock = new ManualClock();
  const first = openWindow(stateDir, clock);
  const second = openWindow(stateDir, clock);
  launchInFirst(first);
  const others = new OtherWindows({ ownPath: second.session.path, cluster: 'prod', user: 'ops@pve', store: second.store });
  others.refresh();
  const before = windowRows(second.store)
    .map((row) => row.key)
    .sort();
  await first.session.close();
  others.refresh();
  const again = openSession({ stateDir, cluster: 'prod', user: 'ops@pve', clock, writeDelayMs: 0 });
  assert.equal(again.path, first.session.path, 'the restart takes its file back');
  again.attach(createTaskStore());
  others.refresh();
  const after = windowRows(second.store);
  assert.deepEqual(after.map((row) => row.key).sort(), before.filter((key) => after.some((row) => row.key === key)).sort());
  assert.equal(new Set(after.map((row) => `${row.vmids.join()}`)).size, after.length, 'one row per task');
  assert.equal(after.length, 4, 'the queued launch is back too (the restart holds it)');
  await again.close();
  await second.session.close();
});
