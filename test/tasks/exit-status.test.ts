import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyExitStatus, isSuccessfulOutcome, warningCount } from '../../src/tasks/exit-status.js';

test('OK is ok and WARNINGS: N is a success of its own class', () => {
  assert.equal(classifyExitStatus('OK'), 'ok');
  assert.equal(classifyExitStatus('WARNINGS: 1'), 'warnings');
  assert.equal(classifyExitStatus('WARNINGS: 12'), 'warnings');
  assert.equal(isSuccessfulOutcome('warnings'), true);
  assert.equal(warningCount('WARNINGS: 12'), 12);
  assert.equal(warningCount('OK'), undefined);
});

test('an empty status and "unexpected status" are unknown', () => {
  for (const status of [undefined, null, '', 'unexpected status']) {
    assert.equal(classifyExitStatus(status), 'unknown', String(status));
  }
});

test('every other string is the error message of a failed task', () => {
  for (const status of [
    'received interrupt',
    'interrupted by signal',
    'job errors',
    'migration aborted',
    'VM 100 already running',
    "clone failed: lvcreate 'pve-vm01/vm-103-disk-0' error: ...",
    "snapshot name 'before-update' already used",
    'unable to open file - No such file or directory',
    // Close to the success forms, but not PVE's own strings.
    'ok',
    'OK ',
    'WARNINGS',
    'WARNINGS: ',
    'WARNINGS: two',
    'RUNNING',
  ]) {
    assert.equal(classifyExitStatus(status), 'failed', status);
  }
  assert.equal(isSuccessfulOutcome('failed'), false);
  assert.equal(isSuccessfulOutcome('timeout'), false);
  assert.equal(isSuccessfulOutcome('unknown'), false);
});
