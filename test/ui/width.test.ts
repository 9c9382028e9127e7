// Text is fitted by display width: CJK and emoji take two columns, and a cut never splits a wide
// character or an emoji sequence.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import stringWidth from 'string-width';
import { clip, fit, listTargets, tallyLine, textWidth } from '../../src/ui/format.js';
import { formatTable } from '../../src/ui/plain-table.js';
import { guest } from './helpers.js';

test('textWidth counts display columns', () => {
  assert.equal(textWidth('web01'), 5);
  assert.equal(textWidth('数据库'), 6);
  assert.equal(textWidth('🚀'), 2);
  assert.equal(textWidth('👩‍💻'), 2);
  assert.equal(textWidth('café'), 4);
});

test('fit pads and cuts by display width; a wide character is never cut in half', () => {
  assert.equal(fit('数据库', 8, '…'), '数据库  ');
  assert.equal(fit('数据库', 8, '…', 'right'), '  数据库');
  assert.equal(
    fit('数据库服务器', 6, '…'),
    '数据… ',
    'the ellipsis goes where the third character would not fit, and a space fills the column',
  );
  assert.equal(fit('数据库服务器', 7, '…'), '数据库…');
  assert.equal(fit('👩‍💻👩‍💻👩‍💻', 5, '~'), '👩‍💻👩‍💻~');
  assert.equal(fit('e\u0301e\u0301e\u0301', 2, '~'), 'e\u0301~', 'a combining accent stays with its letter');
  for (let width = 0; width <= 14; width++) {
    const out = fit('a数b🚀c据d', width, '…');
    assert.equal(stringWidth(out), width, `width ${width}: '${out}'`);
    assert.ok(!out.includes('\ufffd'), 'no broken surrogate pair');
  }
  assert.equal(fit('数', 1, '…'), ' ', 'too narrow for the character: a blank, not half of it');
  assert.equal(clip('数据库服务器', 7, '~'), '数据库~');
  assert.equal(clip('数据', 9, '~'), '数据');
});

test('listTargets counts columns, so CJK names are cut in time', () => {
  const guests = [guest(101, { name: '数据库服务器' }), guest(102, { name: 'web' })];
  // Counted in UTF-16 units both names fit in 24 (19 units), on screen they take 25 columns.
  const text = listTargets(guests, 24, '…');
  assert.ok(stringWidth(text) <= 24, text);
  assert.equal(text, '101 数据库服务器, +1 mo…');
  assert.equal(listTargets(guests, 25, '…'), '101 数据库服务器, 102 web');
});

test('the plain table aligns CJK and emoji cells by display width', () => {
  const table = formatTable(
    ['NAME', 'NODE'],
    [
      ['数据库', 'pve1'],
      ['web🚀', 'pve2'],
      ['plain', 'pve3'],
    ],
  );
  const lines = table.trimEnd().split('\n');
  const nodeAt = lines.map((line) => stringWidth(line.slice(0, line.search(/NODE|pve\d/))));
  assert.deepEqual(nodeAt, [8, 8, 8, 8], table);
});

test('the one tally line: the total, then each count that is not zero', () => {
  assert.equal(tallyLine(0, 'target', []), '0 targets');
  assert.equal(
    tallyLine(3, 'task', [
      [2, 'ok'],
      [0, 'failed'],
      [1, 'still running on the server'],
    ]),
    '3 tasks: 2 ok, 1 still running on the server',
  );
});
