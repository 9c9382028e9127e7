// A task's whole log saved to a file (the board's `s` in the detail view), and a UPID started elsewhere
// watched like one launched here (`a`, --watch): the runtime's actions on a simulated cluster.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { logFileName, MAX_SAVED_LINES, writeLogFile } from '../../src/tasks/log-file.js';
import { createRuntime } from '../../src/tasks/runtime.js';
import { startTestCluster } from '../helpers/cluster.js';

function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'pvetasks-log-'));
}

test('a log file is named after the UPID with only letters, digits, dot, dash and underscore', () => {
  assert.equal(
    logFileName('UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam!ci:'),
    'UPID_pve1_0001A2B3_00C0FFEE_6700AB12_qmstart_100_root_pam_ci.log',
  );
  assert.equal(logFileName('UPID:../../etc/passwd:x:'), 'UPID_.._.._etc_passwd_x.log', 'no slash survives');
  assert.equal(logFileName('..'), 'task.log');
  assert.ok(logFileName(`UPID:${'a'.repeat(500)}:`).length <= 204);
});

test('the whole log is saved, sanitized, mode 0600, in the state dir; the message says where', async () => {
  const cluster = await startTestCluster();
  const stateDir = join(scratchDir(), 'state');
  const cwd = scratchDir();
  try {
    const hostile = ['INFO: starting', 'evil \u001b]52;c;aGVsbG8=\u0007 clipboard', 'bidi \u202e txt.exe', 'tab\there'];
    const lines = [...hostile, ...Array.from({ length: 2400 }, (_, i) => `INFO: line ${i + 1}`)];
    const upid = cluster.sim.control.spawnTask({ node: 'pve1', type: 'vzdump', id: '100', durationMs: 0, log: lines });
    const runtime = createRuntime({ client: cluster.client, clock: cluster.clock, logDirs: [stateDir, cwd] });
    const key = runtime.actions.watchTask(upid)!;
    const path = await cluster.clock.runUntil(runtime.actions.saveTaskLog(key));
    assert.equal(path, join(stateDir, logFileName(upid)));
    const text = readFileSync(path!, 'utf8');
    const saved = text.trimEnd().split('\n');
    // Every line in order across the pages of 1000 (the board keeps only the last 2000 for the view).
    assert.equal(saved[0], 'INFO: starting');
    assert.ok(saved.includes('INFO: line 1') && saved.includes('INFO: line 2400'));
    assert.equal(saved.indexOf('INFO: line 2400') - saved.indexOf('INFO: line 1'), 2399);
    assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u007f\u202e]/, 'no control or bidi character reaches the file');
    assert.match(text, /evil \^\[ clipboard/);
    assert.equal(statSync(path!).mode & 0o777, 0o600);
    assert.equal(statSync(stateDir).mode & 0o777, 0o700);
    const message = runtime.store.getState().message!;
    assert.equal(message.level, 'info');
    assert.ok(message.text.includes(path!), message.text);
    assert.match(message.text, /^saved \d+ lines of the log to /);
    await runtime.close();
  } finally {
    await cluster.close();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('a state dir that cannot be used (here a file) is passed over: the log goes to the working directory', () => {
  const base = scratchDir();
  try {
    const stateDir = join(base, 'state');
    writeFileSync(stateDir, 'not a directory');
    const path = writeLogFile([stateDir, base], 'UPID:pve1:1:2:3:qmstart:100:root@pam:', ['a', 'b'], false);
    assert.equal(path, join(base, 'UPID_pve1_1_2_3_qmstart_100_root_pam.log'));
    assert.equal(readFileSync(path, 'utf8'), 'a\nb\n');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a link planted where the log file goes is replaced, not followed', () => {
  const dir = scratchDir();
  const state = join(dir, 'state');
  const target = join(dir, 'victim');
  try {
    mkdirSync(state, { mode: 0o700 });
    writeFileSync(target, 'keep me');
    const upid = 'UPID:pve1:1:2:3:qmstart:100:root@pam:';
    symlinkSync(target, join(state, logFileName(upid)));
    assert.equal(writeLogFile([state], upid, ['log'], false), join(state, logFileName(upid)));
    assert.equal(readFileSync(target, 'utf8'), 'keep me');
    assert.equal(readFileSync(join(state, logFileName(upid)), 'utf8'), 'log\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a runaway log is cut, and the file says so', () => {
  const dir = scratchDir();
  try {
    const path = writeLogFile([dir], 'UPID:x:', ['a'], true);
    assert.match(readFileSync(path, 'utf8'), /^a\n\[pvetasks: the log was cut after 1 lines\]\n$/);
    assert.ok(MAX_SAVED_LINES >= 100_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('watchTask: a UPID started elsewhere becomes a row of this session with the board --timeout; a bad one is refused', async () => {
  const cluster = await startTestCluster();
  try {
    const upid = cluster.sim.control.spawnTask({ node: 'pve2', type: 'qmstart', id: '101', durationMs: 60_000 });
    const runtime = createRuntime({ client: cluster.client, clock: cluster.clock, scope: 'cluster', timeoutMs: 30_000 });
    assert.equal(runtime.actions.watchTask('UPID:not-a-upid'), undefined);
    assert.match(runtime.store.getState().message!.text, /^invalid UPID/);
    assert.equal(runtime.store.getState().message!.level, 'error');
    const key = runtime.actions.watchTask(upid)!;
    const row = runtime.store.getState().row(key)!;
    assert.equal(row.mine, true);
    assert.equal(row.deadline, cluster.clock.now() + 30_000, 'the deadline is --timeout, not the 2 min of a start');
    assert.match(runtime.store.getState().message!.text, /^watching /);
    assert.equal(runtime.actions.watchTask(upid), key, 'watching it again keeps the one row');
    assert.match(runtime.store.getState().message!.text, /^already watched/);
    await runtime.close();
  } finally {
    await cluster.close();
  }
});
