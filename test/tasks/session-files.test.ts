// The state dir and the session files are opened so that nobody else's file is ever written through
// them: each rule here has a test that fails without it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openSession, StateDirError } from '../../src/tasks/session.js';
import { createTaskStore } from '../../src/tasks/store.js';
import { ManualClock } from '../../src/util/clock.js';

const posix = process.platform !== 'win32';
const scratch = () => mkdtempSync(join(tmpdir(), 'pvetasks-files-'));
const base = 'lab@ops@pve.json';

/** A file that is not ours to change, and what it holds. */
function victim(dir: string, text = 'precious\n'): { path: string; unchanged(): void } {
  const path = join(dir, 'victim.txt');
  writeFileSync(path, text);
  return { path, unchanged: () => assert.equal(readFileSync(path, 'utf8'), text, 'the victim file was written through a link') };
}

/** Opens a session, saves one task in it and closes it; returns what it restored and warned. */
async function runSession(stateDir: string) {
  const clock = new ManualClock();
  const warnings: string[] = [];
  const session = openSession({ stateDir, cluster: 'lab', user: 'ops@pve', clock, onWarning: (w) => warnings.push(w) });
  const store = createTaskStore();
  session.attach(store);
  store.getState().update((tx) => void tx.add({ key: 'ours', mine: true, node: 'pve1', type: 'qmstart', firstSeenAt: clock.now() }));
  session.flush();
  await session.close();
  return { session, warnings };
}

function savedKeys(path: string): string[] {
  assert.ok(lstatSync(path).isFile(), `${path} is a regular file`);
  return (JSON.parse(readFileSync(path, 'utf8')) as { tasks: Array<{ key: string }> }).tasks.map((task) => task.key);
}

describe('the state dir', { skip: !posix && 'no owners or modes on Windows' }, () => {
  test('is created 0700', () => {
    const stateDir = join(scratch(), 'state', 'pvetasks');
    openSession({ stateDir, cluster: 'lab', user: 'ops@pve' });
    assert.equal(statSync(stateDir).mode & 0o777, 0o700);
  });

  test('an existing one writable by its group or by others is refused, naming the dir and the fix; nothing is written there', () => {
    for (const [mode, who] of [
      [0o770, 'its group'],
      [0o707, 'others'],
      [0o777, 'others'],
    ] as const) {
      const stateDir = join(scratch(), 'shared');
      mkdirSync(stateDir);
      chmodSync(stateDir, mode);
      assert.throws(
        () => openSession({ stateDir, cluster: 'lab', user: 'ops@pve' }),
        (error: unknown) =>
          error instanceof StateDirError &&
          error.message ===
            `the state dir ${stateDir} is writable by ${who}, who could plant files in it; refused. Fix: chmod 700 ${stateDir}`,
      );
      assert.deepEqual(readdirSync(stateDir), []);
    }
  });

  test('an existing one that belongs to another user is refused', () => {
    let stateDir = '/';
    if (process.getuid!() === 0) {
      stateDir = join(scratch(), 'theirs');
      mkdirSync(stateDir, { mode: 0o700 });
      chownSync(stateDir, 65534, 65534);
    }
    assert.throws(
      () => openSession({ stateDir, cluster: 'lab', user: 'ops@pve' }),
      (error: unknown) => error instanceof StateDirError && error.message.startsWith(`the state dir ${stateDir} belongs to another user`),
    );
  });
});

describe('links planted in the state dir are never followed', { skip: !posix && 'POSIX links and FIFOs' }, () => {
  test('a link at the temp file path: the write goes to a new file, not through the link', async () => {
    const stateDir = scratch();
    const target = victim(scratch());
    symlinkSync(target.path, join(stateDir, `${base}.${process.pid}.tmp`));
    const { session } = await runSession(stateDir);
    target.unchanged();
    assert.deepEqual(savedKeys(session.path), ['ours']);
  });

  test('a link at the lock path: the lock is a new file of ours, not a write through the link', async () => {
    const stateDir = scratch();
    const target = victim(scratch());
    symlinkSync(target.path, join(stateDir, `${base}.lock`));
    const { session } = await runSession(stateDir);
    assert.equal(session.path, join(stateDir, base));
    target.unchanged();
  });

  test('a link at the lock path is not read as a lock: a linked file holding a live pid does not push us to .2.json', async () => {
    const stateDir = scratch();
    const target = victim(scratch(), String(process.pid));
    symlinkSync(target.path, join(stateDir, `${base}.lock`));
    const { session } = await runSession(stateDir);
    assert.equal(session.path, join(stateDir, base));
    target.unchanged();
  });

  test('a link at the session path: not read (its tasks are not restored), replaced by our file, the linked file unchanged', async () => {
    const stateDir = scratch();
    const planted = JSON.stringify({
      version: 2,
      cluster: 'lab',
      user: 'ops@pve',
      savedAt: 0,
      tasks: [
        { key: 'planted', node: 'pve1', type: 'qmstart', taskId: '100', description: 'x', vmids: [100], firstSeenAt: 0, state: 'running' },
      ],
    });
    const target = victim(scratch(), planted);
    symlinkSync(target.path, join(stateDir, base));
    const { session, warnings } = await runSession(stateDir);
    assert.deepEqual(session.restored, []);
    assert.match(warnings[0]!, /is a symbolic link \(not followed\); kept it as .*\.symlink-/);
    assert.deepEqual(savedKeys(session.path), ['ours']);
    target.unchanged();
  });

  test('a FIFO at the session path does not hang the open', async () => {
    const stateDir = scratch();
    execFileSync('mkfifo', [join(stateDir, base)]);
    const { session, warnings } = await runSession(stateDir);
    assert.match(warnings[0]!, /is unreadable \(not a regular file\)/);
    assert.deepEqual(savedKeys(session.path), ['ours']);
  });
});
