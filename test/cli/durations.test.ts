import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidDurationError, formatDuration, formatElapsed, parseDuration } from '../../src/util/duration.js';

test('durations as operators type them', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration(' 1.5s '), 1_500);
  for (const bad of ['', '2', '2 m', '2d', 'm', '-1s', '0s', '1h 30m', 'PT2M']) {
    assert.throws(() => parseDuration(bad), InvalidDurationError, bad);
  }
  assert.throws(() => parseDuration('90'), /add a unit/);
});

test('durations as messages and the board show them', () => {
  assert.equal(formatDuration(500), '500ms');
  assert.equal(formatDuration(30_000), '30s');
  assert.equal(formatDuration(120_000), '2m');
  assert.equal(formatDuration(3_600_000), '1h');
  assert.equal(formatDuration(5_400_000), '1h 30m');
  assert.equal(formatElapsed(42_000), '42s');
  assert.equal(formatElapsed(187_000), '3m 07s');
  assert.equal(formatElapsed(3_720_000), '1h 02m');
  assert.equal(formatElapsed(183_600_000), '2d 03h');
  assert.equal(formatElapsed(-5), '0s');
});
