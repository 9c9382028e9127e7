// The one colour policy of the board and the commands, as a table of cases (first match wins).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colorEnabled, type ColorContext } from '../../src/util/color.js';

const CASES: Array<[why: string, context: ColorContext, expected: boolean]> = [
  ['a terminal', { env: {}, isTTY: true }, true],
  ['a pipe or file', { env: {}, isTTY: false }, false],
  ['a stream that does not say', { env: {} }, false],
  ['--no-color', { env: {}, flag: false, isTTY: true }, false],
  ['--no-color beats FORCE_COLOR', { env: { FORCE_COLOR: '1' }, flag: false, isTTY: true }, false],
  ['NO_COLOR=1', { env: { NO_COLOR: '1' }, isTTY: true }, false],
  ['NO_COLOR with any value (no-color.org)', { env: { NO_COLOR: 'false' }, isTTY: true }, false],
  ['an empty NO_COLOR does not count', { env: { NO_COLOR: '' }, isTTY: true }, true],
  ['NO_COLOR beats FORCE_COLOR', { env: { NO_COLOR: '1', FORCE_COLOR: '1' }, isTTY: true }, false],
  ['FORCE_COLOR=1 without a terminal', { env: { FORCE_COLOR: '1' }, isTTY: false }, true],
  ['FORCE_COLOR=3', { env: { FORCE_COLOR: '3' }, isTTY: false }, true],
  ['FORCE_COLOR=true', { env: { FORCE_COLOR: 'true' }, isTTY: false }, true],
  ['FORCE_COLOR=0 on a terminal', { env: { FORCE_COLOR: '0' }, isTTY: true }, false],
  ['FORCE_COLOR=false on a terminal', { env: { FORCE_COLOR: 'false' }, isTTY: true }, false],
  ['an empty FORCE_COLOR counts as unset', { env: { FORCE_COLOR: '' }, isTTY: false }, false],
  ['TERM=dumb on a terminal', { env: { TERM: 'dumb' }, isTTY: true }, false],
  ['FORCE_COLOR beats TERM=dumb', { env: { TERM: 'dumb', FORCE_COLOR: '1' }, isTTY: true }, true],
  ['another TERM', { env: { TERM: 'xterm-256color' }, isTTY: true }, true],
];

for (const [why, context, expected] of CASES) {
  test(`colour ${expected ? 'on' : 'off'}: ${why}`, () => {
    assert.equal(colorEnabled(context), expected);
  });
}
