// The detail view of a backup job lists each guest's result; a launch already sent cannot be cancelled.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore, type TaskStore } from '../../src/tasks/store.js';
import { FakeActions, KEY, T0, cleanup, guest, lineWith, linesOf, mountBoard, setGuests, upid } from './helpers.js';

afterEach(() => cleanup());

/** A backup job of `vmids` on pve1, as the launch queue and poller leave it. */
function addBackupJob(store: TaskStore, vmids: number[]): string {
  let key = '';
  store.getState().update((tx) => {
    key = tx.add({
      upid: upid('pve1', '', T0 - 60_000, 'vzdump', 'root@pam!pvetasks'),
      vmids,
      mine: true,
      firstSeenAt: T0 - 60_000,
      description: 'Backup Job',
    });
  });
  return key;
}

function setLog(store: TaskStore, key: string, lines: string[]) {
  store.getState().update((tx) => tx.setFocusLog({ key, lines, read: lines.length }));
}

function guestStore(vmids: number[]) {
  const store = createTaskStore();
  setGuests(
    store,
    vmids.map((vmid, i) => guest(vmid, { node: 'pve1', name: ['db01', 'web01', 'cache', 'mail', 'dns'][i % 5] })),
  );
  return store;
}

test("a finished backup job lists each guest: outcome, its own time and PVE's message per VMID", async () => {
  const store = guestStore([101, 102, 103]);
  const key = addBackupJob(store, [101, 102, 103]);
  store.getState().update((tx) =>
    tx.finish(key, 'failed', {
      exitStatus: 'job errors',
      endedAt: T0 - 5000,
      guestResults: {
        101: { outcome: 'ok', durationSeconds: 31 },
        102: { outcome: 'warnings', message: 'unable to open guest agent socket - skipping fs-freeze for VM 102', durationSeconds: 78 },
        103: { outcome: 'failed', message: 'job failed with err -5 - Input/output error' },
      },
    }),
  );
  const board = await mountBoard({ store });
  // The job's row in the list: how its guests fared, not just `job errors`.
  assert.match(lineWith(board.frame(), 'Backup Job')!, /^> ✗ Backup Job .* 1 ok, 1 warnings, 1 fail/);
  await board.press(KEY.enter);
  const frame = board.frame();
  assert.match(lineWith(frame, 'Status')!, /✗ failed +job errors/);
  assert.match(lineWith(frame, 'Guests')!, /^Guests +3: 1 ok, 1 warnings, 1 failed$/);
  assert.match(lineWith(frame, ' 101 ')!, /^ +101 db01 +✓ ok {12}31s$/);
  assert.match(lineWith(frame, ' 102 ')!, /^ +102 web01 +! warnings {3}1m 18s {2}unable to open guest agent socket/);
  // No time in the log (it failed before its backup started): the reason lines up with the others.
  assert.match(lineWith(frame, ' 103 ')!, /^ +103 cache +✗ failed {13}job failed with err -5 - Input\/output error$/);
  assert.equal(linesOf(frame).length, 23, 'the frame keeps its rows - 1 lines');
});

test('while the job runs, the log tail tells which guests are done, which runs, which wait', async () => {
  const store = guestStore([101, 102, 103]);
  const key = addBackupJob(store, [101, 102, 103]);
  const board = await mountBoard({ store });
  await board.press(KEY.enter);
  setLog(store, key, [
    'INFO: starting new backup job: vzdump 101 102 103 --storage local --mode snapshot',
    'INFO: Starting Backup of VM 101 (qemu)',
    'INFO: Finished Backup of VM 101 (00:00:42)',
    'INFO: Starting Backup of VM 102 (qemu)',
    'INFO:  37% (12.0 GiB of 32.0 GiB) in 10s, read: 1.2 GiB/s, write: 300.0 MiB/s',
  ]);
  await board.press();
  const frame = board.frame();
  assert.match(lineWith(frame, 'Guests')!, /3: 1 ok, 1 running, 1 waiting/);
  assert.match(lineWith(frame, ' 101 ')!, /✓ ok {12}42s$/);
  assert.match(lineWith(frame, ' 102 ')!, /● running/);
  assert.match(lineWith(frame, ' 103 ')!, /… waiting/);
  // The log still shows below the guests.
  assert.match(frame, /INFO: {2}37% \(12\.0 GiB of 32\.0 GiB\)/);
});

test('a job of many guests keeps half the room for the log: the rest are summed up', async () => {
  const vmids = Array.from({ length: 12 }, (_, i) => 101 + i);
  const store = guestStore(vmids);
  const key = addBackupJob(store, vmids);
  const results = Object.fromEntries(
    vmids.map((vmid) => [
      vmid,
      { outcome: vmid === 112 ? ('failed' as const) : ('ok' as const), ...(vmid === 112 ? { message: 'no space left' } : {}) },
    ]),
  );
  store.getState().update((tx) => tx.finish(key, 'failed', { exitStatus: 'job errors', endedAt: T0, guestResults: results }));
  const board = await mountBoard({ store });
  await board.press(KEY.enter);
  setLog(
    store,
    key,
    Array.from({ length: 40 }, (_, i) => `INFO: log line ${i + 1}`),
  );
  await board.press();
  const frame = board.frame();
  assert.match(lineWith(frame, 'Guests')!, /12: 11 ok, 1 failed/);
  // 24 rows: 19 body lines, 7 task fields, 12 left: 6 for the guests (heading, 4 guests, the rest), 6 for the log.
  assert.match(frame, / \+8 more: 105 ok, .*112 failed/);
  const logShown = linesOf(frame).filter((line) => line.startsWith('INFO: log line'));
  assert.equal(logShown.length, 6);
  assert.equal(logShown.at(-1), 'INFO: log line 40');
  assert.match(frame, /lines 35-40 of 40/);
  // Paging through the log moves by what is shown.
  await board.press(KEY.pageUp);
  assert.match(board.frame(), /lines 29-34 of 40/);
  assert.equal(linesOf(board.frame()).length, 23);
});

test('a single-guest backup or any other task shows no guest list', async () => {
  const store = guestStore([101]);
  store.getState().update((tx) => {
    tx.add({ upid: upid('pve1', 101, T0 - 1000, 'vzdump'), mine: true, firstSeenAt: T0 - 1000 });
  });
  const board = await mountBoard({ store });
  await board.press(KEY.enter);
  assert.match(board.frame(), /\[Task detail\]/);
  assert.equal(lineWith(board.frame(), 'Guests'), undefined);
});

test('x on a queued launch that was already sent says it cannot be cancelled any more', async () => {
  const store = guestStore([101]);
  const actions = new FakeActions(store);
  let key = '';
  store.getState().update((tx) => {
    key = tx.add({
      mine: true,
      node: 'pve1',
      type: 'qmstart',
      taskId: '101',
      vmids: [101],
      firstSeenAt: T0,
      description: 'Start VM 101',
      guestName: 'db01',
    });
    tx.patch(key, { sentAt: T0 });
  });
  const board = await mountBoard({ store, actions });
  await board.press('x');
  assert.deepEqual(actions.callsOf('cancelLaunch'), []);
  assert.deepEqual(actions.callsOf('stopTask'), []);
  assert.match(board.frame(), /^! already sent, cannot be cancelled any more; x stops the task once it runs$/m);
  assert.match(lineWith(board.frame(), 'Start VM 101 db01')!, /queued$/, 'the row stays');
  // The detail view says so too, and x there answers the same.
  await board.press(KEY.enter);
  assert.match(lineWith(board.frame(), 'UPID')!, /\(sent \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, waiting for PVE's answer\)/);
  await board.press('x');
  assert.deepEqual(actions.callsOf('cancelLaunch'), []);
  assert.match(board.frame(), /already sent, cannot be cancelled any more/);
  // Once PVE answered with a UPID it runs, and x offers to stop it.
  store.getState().update((tx) => tx.patch(key, { upid: upid('pve1', 101, T0), state: 'running', sentAt: undefined }));
  await board.press('x');
  assert.match(board.frame(), /Stop this task on pve1\?/);
});
