import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_TASK_TIMEOUT_MS, defaultTimeoutFor } from '../../src/tasks/timeouts.js';

const MIN = 60_000;

test('deadlines by task type follow DESIGN.md', () => {
  for (const type of [
    'qmstart',
    'qmstop',
    'qmshutdown',
    'qmreboot',
    'vzstart',
    'vzstop',
    'vzshutdown',
    'vzreboot',
    'hastart',
    'hastop',
    'hashutdown',
  ]) {
    assert.equal(defaultTimeoutFor(type), 2 * MIN, type);
  }
  assert.equal(defaultTimeoutFor('qmcreate'), 10 * MIN);
  assert.equal(defaultTimeoutFor('vzcreate'), 10 * MIN);
  assert.equal(defaultTimeoutFor('qmsnapshot'), 5 * MIN);
  assert.equal(defaultTimeoutFor('vzsnapshot'), 5 * MIN);
  assert.equal(defaultTimeoutFor('vzdump'), 120 * MIN);
  for (const type of ['qmigrate', 'vzmigrate', 'hamigrate', 'qmclone', 'vzclone', 'qmtemplate', 'vztemplate']) {
    assert.equal(defaultTimeoutFor(type), 60 * MIN, type);
  }
});

test('anything else gets 30 minutes', () => {
  assert.equal(DEFAULT_TASK_TIMEOUT_MS, 30 * MIN);
  for (const type of ['aptupdate', 'qmmove', 'qmrollback', 'srvreload', 'startall', 'unknown', 'constructor']) {
    assert.equal(defaultTimeoutFor(type), 30 * MIN, type);
  }
});
