// Session files have their own versioned schema: a file written by pvetasks 0.1 (version 1, raw store
// rows) still loads into the same rows, today's format is pinned by a literal (renaming a row field
// cannot change it silently), and a malformed entry is skipped and counted, never thrown.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openSession } from '../../src/tasks/session.js';
import { createTaskStore, type TaskRow } from '../../src/tasks/store.js';
import { ManualClock } from '../../src/util/clock.js';

// Written by pvetasks 0.1's openSession and a store holding one row of each kind: running (with
// progress and a poll error, which are not saved), a queued backup whose intent was sent, a finished
// multi-guest backup with per-guest results, a start that timed out and ended later, a checked
// snapshot, a refused launch; and a row not ours, which is not saved.
const V1_FIXTURE = fileURLToPath(new URL('../fixtures/session-v1.json', import.meta.url));
const SAVED_AT = Date.UTC(2026, 10, 20, 10, 0, 0);

/** A state dir holding `text` (or the fixture) as the session file of lab / ops@pve!ci. */
function stateDirWith(text?: string): { stateDir: string; path: string } {
  const stateDir = mkdtempSync(join(tmpdir(), 'pvetasks-schema-'));
  const path = join(stateDir, 'lab@ops@pve!ci.json');
  if (text === undefined) copyFileSync(V1_FIXTURE, path);
  else writeFileSync(path, text);
  return { stateDir, path };
}

function open(stateDir: string, warnings: string[] = []) {
  return openSession({
    stateDir,
    cluster: 'lab',
    user: 'ops@pve!ci',
    clock: new ManualClock(SAVED_AT),
    onWarning: (w) => warnings.push(w),
  });
}

const byKey = (rows: readonly TaskRow[]) => Object.fromEntries(rows.map((row) => [row.key, row]));

/** Today's file for the fixture's rows, field by field. */
const EXPECTED_FILE = {
  version: 2,
  cluster: 'lab',
  user: 'ops@pve!ci',
  savedAt: 1795168800000,
  tasks: [
    {
      key: 'queued-backup',
      node: 'pve2',
      type: 'vzdump',
      taskId: '',
      description: 'Backup Job',
      vmids: [102, 103],
      firstSeenAt: 1795165190000,
      state: 'queued',
      deadline: 1795168790000,
      launch: {
        action: 'backup',
        node: 'pve2',
        guests: [
          {
            vmid: 102,
            type: 'qemu',
            name: 'db',
          },
          {
            vmid: 103,
            type: 'lxc',
          },
        ],
        params: {
          storage: 'pbs',
          mode: 'snapshot',
          remove: false,
          'notes-template': '{{guestname}}',
        },
      },
      sentAt: 1795165198000,
    },
    {
      key: 'running-start',
      node: 'pve1',
      type: 'qmstart',
      taskId: '101',
      description: 'VM 101 - Start',
      vmids: [101],
      firstSeenAt: 1795165141000,
      state: 'running',
      upid: 'UPID:pve1:0001A2B3:00C0FFEE:6B000BD4:qmstart:101:ops@pve!ci:',
      user: 'ops@pve!ci',
      startedAt: 1795165140000,
      guestName: 'web1',
      deadline: 1795165441000,
    },
    {
      key: 'refused-start',
      node: 'pve1',
      type: 'qmstart',
      taskId: '108',
      description: 'VM 108 - Start',
      vmids: [108],
      firstSeenAt: 1795165170000,
      state: 'failed',
      guestName: 'old',
      endedAt: 1795165170000,
      message: 'refused: 403 Permission check failed (/vms/108, VM.PowerMgmt)',
      launch: {
        action: 'start',
        node: 'pve1',
        guests: [
          {
            vmid: 108,
            type: 'qemu',
            name: 'old',
          },
        ],
        params: {},
      },
    },
    {
      key: 'snapshot-ok',
      node: 'pve2',
      type: 'qmsnapshot',
      taskId: '107',
      description: 'VM 107 - Snapshot',
      vmids: [107],
      firstSeenAt: 1795165081000,
      state: 'ok',
      upid: 'UPID:pve2:00002222:00C0FFEE:6B000B98:qmsnapshot:107:ops@pve!ci:',
      user: 'ops@pve!ci',
      startedAt: 1795165080000,
      deadline: 1795165681000,
      exitStatus: 'OK',
      endedAt: 1795165100000,
      postCheck: {
        kind: 'snapshot-exists',
        node: 'pve2',
        guestType: 'qemu',
        vmid: 107,
        snapname: 'before_upgrade',
      },
    },
    {
      key: 'timed-out-start',
      node: 'pve1',
      type: 'hastart',
      taskId: '106',
      description: 'HA 106 - Start',
      vmids: [106],
      firstSeenAt: 1795164301000,
      state: 'timeout',
      upid: 'UPID:pve1:000B0B0B:00C0FFEE:6B00088C:hastart:106:ops@pve!ci:',
      user: 'ops@pve!ci',
      startedAt: 1795164300000,
      guestName: 'mail',
      deadline: 1795164421000,
      lateOutcome: 'ok',
      lateExitStatus: 'OK',
      endedAt: 1795164900000,
      postCheck: {
        kind: 'guest-running',
        vmid: 106,
      },
    },
    {
      key: 'finished-backup',
      node: 'pve3',
      type: 'vzdump',
      taskId: '',
      description: 'Backup Job',
      vmids: [104, 105],
      firstSeenAt: 1795161601000,
      state: 'failed',
      upid: 'UPID:pve3:00004F37:0039E469:6AFFFE00:vzdump::ops@pve!ci:',
      user: 'ops@pve!ci',
      startedAt: 1795161600000,
      deadline: 1795165201000,
      exitStatus: 'job errors',
      endedAt: 1795163400000,
      postCheck: {
        kind: 'backup-guests',
      },
      guestResults: {
        '104': {
          outcome: 'ok',
        },
        '105': {
          outcome: 'failed',
          message: 'unable to open file',
        },
      },
    },
  ],
};

describe('session file schema', () => {
  test('a version 1 file written by pvetasks 0.1 loads into the same rows', async () => {
    const fixture = JSON.parse(readFileSync(V1_FIXTURE, 'utf8')) as { version: number; rows: TaskRow[] };
    assert.equal(fixture.version, 1);
    const { stateDir } = stateDirWith();
    const warnings: string[] = [];
    const session = open(stateDir, warnings);
    assert.deepEqual(warnings, []);
    assert.deepEqual(byKey(session.restored), byKey(fixture.rows));
    const store = createTaskStore();
    session.attach(store);
    const { row, order } = store.getState();
    assert.deepEqual(byKey(order.mine.map((key) => row(key)!)), byKey(fixture.rows), 'the store holds exactly the saved rows');
    await session.close();
  });

  test('the file written is version 2, exactly this literal; reopened, it gives the same rows back', async () => {
    const { stateDir, path } = stateDirWith();
    const first = open(stateDir);
    const firstRows = first.restored;
    first.attach(createTaskStore());
    assert.deepEqual(first.restored, [], 'once in the store, the session keeps no copy of the rows');
    await first.close();
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), EXPECTED_FILE);
    const again = open(stateDir);
    assert.deepEqual(byKey(again.restored), byKey(firstRows));
    await again.close();
  });

  test('malformed entries are skipped and counted in one warning, the good ones kept', () => {
    const good = EXPECTED_FILE.tasks.find((task) => task.key === 'running-start')!;
    const tasks = [
      good,
      null,
      42,
      { key: 'only-a-key' },
      { ...good, key: 'bad-state', state: 'exploded' },
      { ...good, key: 'bad-vmids', vmids: ['101'] },
      { ...good, key: 'bad-launch', launch: { action: 'start', node: 'pve1', guests: 'all', params: {} } },
      { ...good, key: 'bad-check', postCheck: { kind: 'guest-running' } },
      { ...good, key: 'bad-results', guestResults: { 104: { outcome: 'splendid' } } },
      { ...good, key: 'bad-count', guestResults: { 104: { outcome: 'warnings', warningCount: -1 } } },
      { ...good, key: '' },
    ];
    const { stateDir } = stateDirWith(JSON.stringify({ ...EXPECTED_FILE, tasks }));
    const warnings: string[] = [];
    const session = open(stateDir, warnings);
    assert.deepEqual(
      session.restored.map((row) => row.key),
      ['running-start'],
    );
    assert.deepEqual(warnings, [`session file ${join(stateDir, 'lab@ops@pve!ci.json')}: 10 malformed entries skipped`]);
  });

  test('a file of a newer version is kept aside, not overwritten', () => {
    const text = JSON.stringify({ version: 3, cluster: 'lab', user: 'ops@pve!ci', savedAt: 0, things: [] });
    const { stateDir } = stateDirWith(text);
    const warnings: string[] = [];
    const session = open(stateDir, warnings);
    assert.deepEqual(session.restored, []);
    assert.match(warnings[0]!, /is of a newer format \(version 3\); kept it as .*\.unknown-/);
    const aside = readdirSync(stateDir).find((name) => name.includes('.unknown-'))!;
    assert.equal(readFileSync(join(stateDir, aside), 'utf8'), text);
  });

  test('a maintenance launch round-trips: its action, its target and the guest state its post-check waits for', async () => {
    const migrate = {
      key: 'hamigrate',
      node: 'pve1',
      type: 'hamigrate',
      taskId: '106',
      description: 'HA 106 - Migrate',
      vmids: [106],
      firstSeenAt: 1795165141000,
      state: 'running',
      upid: 'UPID:pve1:0001A2B3:00C0FFEE:6B000BD4:hamigrate:106:ops@pve!ci:',
      postCheck: { kind: 'guest-state', vmid: 106, node: 'pve2', status: 'running' },
      launch: { action: 'migrate', node: 'pve1', guests: [{ vmid: 106, type: 'qemu' }], params: { target: 'pve2', running: true } },
    };
    const reboot = {
      ...migrate,
      key: 'reboot',
      type: 'qmreboot',
      description: 'VM 106 - Reboot',
      upid: 'UPID:pve1:0001A2B4:00C0FFEE:6B000BD4:qmreboot:106:ops@pve!ci:',
      postCheck: { kind: 'guest-state', vmid: 106, status: 'running', bootedAfter: 1795165141000 },
      launch: { action: 'reboot', node: 'pve1', guests: [{ vmid: 106, type: 'qemu' }], params: { timeout: 120 } },
    };
    const { stateDir, path } = stateDirWith(JSON.stringify({ ...EXPECTED_FILE, tasks: [migrate, reboot] }));
    const session = open(stateDir);
    assert.deepEqual(
      session.restored.map((row) => [row.key, row.postCheck, row.launch?.action]),
      [
        ['hamigrate', migrate.postCheck, 'migrate'],
        ['reboot', reboot.postCheck, 'reboot'],
      ],
    );
    session.attach(createTaskStore());
    await session.close();
    const saved = JSON.parse(readFileSync(path, 'utf8')).tasks as Array<Record<string, unknown>>;
    assert.deepEqual(saved.map((task) => [task.key, task.postCheck, task.launch]).sort(), [
      ['hamigrate', migrate.postCheck, migrate.launch],
      ['reboot', reboot.postCheck, reboot.launch],
    ]);
  });
});
