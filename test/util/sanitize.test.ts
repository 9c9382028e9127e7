// The sanitizer against real attack strings, then fast-check properties over random strings, many of
// them built from fragments of control sequences.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  ESCAPE_PLACEHOLDER,
  MIN_MAX_LENGTH,
  PLACEHOLDER,
  isSafeText,
  jsonLine,
  safeString,
  sanitizeText,
} from '../../src/util/sanitize.js';

const ESC = '\u001b';
const BEL = '\u0007';
const ST = `${ESC}\\`;

/** Every character a terminal acts on or reorders; `allow` lists the ones a mode keeps. */
function unsafeChars(text: string, allow = ''): string[] {
  const found: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff) {
      i++;
      continue;
    }
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
    const bidi = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(char);
    const separator = code === 0x2028 || code === 0x2029;
    const surrogate = code >= 0xd800 && code <= 0xdfff;
    if ((control || bidi || separator || surrogate) && !allow.includes(char)) found.push(`U+${code.toString(16).padStart(4, '0')}`);
  }
  return found;
}

describe('sanitizeText: attack strings', () => {
  const cases: Array<[what: string, input: string, expected: string]> = [
    ['OSC 52 clipboard write (BEL)', `OK${ESC}]52;c;ZWNobyBwd25lZAo=${BEL}`, `OK${ESCAPE_PLACEHOLDER}`],
    ['OSC 52 clipboard write (ST)', `job errors${ESC}]52;c;ZWNobyBwd25lZAo=${ST} done`, `job errors${ESCAPE_PLACEHOLDER} done`],
    ['OSC 0 window title', `${ESC}]0;pwned${BEL}web01`, `${ESCAPE_PLACEHOLDER}web01`],
    ['ESC[2J clear screen and cursor home', `${ESC}[2J${ESC}[Hfake prompt`, `${ESCAPE_PLACEHOLDER}fake prompt`],
    [
      'OSC 8 hyperlink',
      `see ${ESC}]8;;https://evil.example/${ST}docs${ESC}]8;;${ST}!`,
      `see ${ESCAPE_PLACEHOLDER}docs${ESCAPE_PLACEHOLDER}!`,
    ],
    ['DCS (sixel, DECRQSS)', `a${ESC}Pq#0;2;0;0;0#0~~@@${ST}b${ESC}P$qm${ST}c`, `a${ESCAPE_PLACEHOLDER}b${ESCAPE_PLACEHOLDER}c`],
    [
      'SOS, PM and APC',
      `1${ESC}Xsos${ST}2${ESC}^pm${ST}3${ESC}_apc${BEL}4`,
      `1${ESCAPE_PLACEHOLDER}2${ESCAPE_PLACEHOLDER}3${ESCAPE_PLACEHOLDER}4`,
    ],
    ['8-bit CSI U+009B', `a\u009b31mred\u009b0m`, `a${ESCAPE_PLACEHOLDER}red${ESCAPE_PLACEHOLDER}`],
    ['8-bit OSC U+009D with C1 ST', `a\u009d52;c;cHduZWQ=\u009cb`, `a${ESCAPE_PLACEHOLDER}b`],
    ['an unterminated OSC runs to the end', `name ${ESC}]52;c;ZWNobyBwd25lZAo= and the rest`, `name ${ESCAPE_PLACEHOLDER}`],
    [
      'short escapes: reset, charset, save cursor',
      `a${ESC}cb${ESC}(0c${ESC}7d`,
      `a${ESCAPE_PLACEHOLDER}b${ESCAPE_PLACEHOLDER}c${ESCAPE_PLACEHOLDER}d`,
    ],
    ['a lone ESC at the end', `tail${ESC}`, `tail${ESCAPE_PLACEHOLDER}`],
    ['RLO U+202E scrambling a guest name', 'web\u202e10bew', `web${PLACEHOLDER}10bew`],
    ['isolates and marks', '\u2066a\u2069\u200eb\u200f\u061cc', `${PLACEHOLDER}a${PLACEHOLDER}b${PLACEHOLDER}c`],
    ['NUL bytes, one placeholder per run', 'a\u0000\u0000\u0000b\u0000', `a${PLACEHOLDER}b${PLACEHOLDER}`],
    ['BEL, backspace and DEL', `x${BEL}y\u0008z\u007f`, `x${PLACEHOLDER}y${PLACEHOLDER}z${PLACEHOLDER}`],
    ['other C1 controls (NEL, ST alone)', 'a\u0085b\u009cc', `a${PLACEHOLDER}b${PLACEHOLDER}c`],
    ['lone surrogates', 'x\ud800y\udc00z', `x${PLACEHOLDER}y${PLACEHOLDER}z`],
    ['a sequence next to a control: one placeholder for the run', `a${ESC}[31m\u0000${ESC}[0mb`, `a${ESCAPE_PLACEHOLDER}b`],
    ['a carriage return that would overwrite the line', 'OK\rFAILED', 'OK FAILED'],
  ];
  for (const [what, input, expected] of cases) {
    test(what, () => {
      const out = sanitizeText(input);
      assert.equal(out, expected);
      assert.deepEqual(unsafeChars(out), []);
    });
  }

  test('keeps CJK, emoji (pairs and ZWJ sequences), accents and valid surrogate pairs as they are', () => {
    const text = '数据库-01 🚀 👩‍💻 café 𝔘';
    assert.equal(sanitizeText(text), text);
    assert.equal(sanitizeText(text, { multiline: true }), text);
    assert.ok(isSafeText(text));
  });
});

describe('sanitizeText: lines and tabs', () => {
  test('one-line (the default): a run of breaks and the blanks around it is one space, none at the ends', () => {
    assert.equal(sanitizeText('Parameter verification failed.\n'), 'Parameter verification failed.');
    assert.equal(sanitizeText('vmid: invalid format \n\n  storage: missing\r\n'), 'vmid: invalid format storage: missing');
    assert.equal(sanitizeText('\nleading'), 'leading');
    assert.equal(sanitizeText('a\u2028b\u2029c'), 'a b c');
  });

  test('multi-line: every break is \\n (a lone CR too), tabs go to the next stop of 8', () => {
    assert.equal(sanitizeText('one\r\ntwo\rthree\nfour\n', { multiline: true }), 'one\ntwo\nthree\nfour\n');
    assert.equal(sanitizeText('ab\tc\n\td', { multiline: true }), 'ab      c\n        d');
  });

  test('one-line: a tab is one space', () => {
    assert.equal(sanitizeText('a\tb'), 'a b');
  });
});

describe('sanitizeText: the length cap', () => {
  test('a 10 MB log line is cut with a marker saying how much was not shown', () => {
    const line = 'INFO: ' + 'x'.repeat(10 * 1024 * 1024);
    const out = sanitizeText(line, { maxLength: 4096 });
    assert.ok(out.length <= 4096, String(out.length));
    assert.match(out, /^INFO: x+… \[cut 10\.0 MiB\]$/);
  });

  test('the figure counts UTF-8 bytes; a surrogate pair is never split; a hostile rest is cut too', () => {
    const out = sanitizeText('🚀'.repeat(100), { maxLength: 41 });
    assert.match(out, /^(🚀)+… \[cut \d+ B\]$/);
    assert.ok(out.length <= 41);
    const kept = out.slice(0, out.indexOf('…')).length / 2;
    assert.equal(Number(/cut (\d+) B/.exec(out)![1]), (100 - kept) * 4);
    const hostile = sanitizeText('y'.repeat(100) + `${ESC}]52;c;AAAA${BEL}`, { maxLength: 40 });
    assert.ok(!hostile.includes(ESC));
    assert.match(hostile, /… \[cut \d+ B\]$/);
  });

  test('a cap below the minimum is raised to it; a text within the cap is untouched', () => {
    assert.ok(sanitizeText('z'.repeat(200), { maxLength: 1 }).length <= MIN_MAX_LENGTH);
    assert.equal(sanitizeText('short', { maxLength: 40 }), 'short');
  });
});

describe('safeString: a JSON value that should have been a string', () => {
  test('numbers, booleans, null, objects and arrays become one safe line', () => {
    assert.equal(safeString(42), '42');
    assert.equal(safeString(true), 'true');
    assert.equal(safeString(null), '');
    assert.equal(safeString(undefined), '');
    assert.equal(safeString({ status: `${ESC}]52;c;x${BEL}` }), '{"status":"\\u001b]52;c;x\\u0007"}');
    assert.equal(safeString(['a', 1]), '["a",1]');
    assert.equal(safeString(`two\nlines${ESC}[2J`), `two lines${ESCAPE_PLACEHOLDER}`);
  });

  test('a huge or deeply nested object is cut, and nothing throws', () => {
    const big = safeString({ data: 'q'.repeat(100_000) });
    assert.ok(big.length <= 256, String(big.length));
    assert.match(big, /… \[cut/);
    let deep: unknown = 'bottom';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assert.equal(typeof safeString(deep), 'string');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(safeString(cyclic), '[object]');
    assert.equal(safeString(10n), '10');
  });
});

describe('jsonLine: --json output that cat cannot turn against the terminal', () => {
  const hostile = `a${ESC}]52;c;ZWNobyBwd25lZAo=${BEL}b\u009b2J\u202eevil\u2066\u0000\u007f\ud800\u2028end`;

  test('JSON.parse gives the original back; the raw line holds no control, bidi control or lone surrogate', () => {
    const line = jsonLine({ event: 'finished', message: hostile, nested: [hostile] });
    assert.ok(line.endsWith('\n'));
    assert.equal(line.indexOf('\n'), line.length - 1, 'one line');
    assert.deepEqual(JSON.parse(line), { event: 'finished', message: hostile, nested: [hostile] });
    assert.deepEqual(unsafeChars(line.slice(0, -1)), []);
    assert.match(line, /\\u009b/);
    assert.match(line, /\\u202e/);
  });

  test('plain values are written exactly as JSON.stringify writes them', () => {
    const value = { upid: 'UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:', n: 1, name: '数据库 🚀' };
    assert.equal(jsonLine(value), JSON.stringify(value) + '\n');
  });

  test('property: any string round-trips and leaves no unsafe character in the line', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const line = jsonLine({ text });
        assert.equal(JSON.parse(line).text, text);
        assert.deepEqual(unsafeChars(line.slice(0, -1)), []);
      }),
      { numRuns: 500 },
    );
  });
});

// Fragments of control sequences, so that random strings hit the parser's edges often.
const fragments = fc.constantFrom(
  ESC,
  `${ESC}[`,
  `${ESC}]`,
  `${ESC}P`,
  `${ESC}X`,
  `${ESC}^`,
  `${ESC}_`,
  `${ESC}(`,
  ST,
  BEL,
  '\u009b',
  '\u009c',
  '\u009d',
  '\u0090',
  '\u009f',
  '52;c;',
  '8;;',
  '0;',
  '2J',
  '31m',
  '?1049h',
  ';',
  '\\',
  '[',
  ']',
  '\r',
  '\n',
  '\r\n',
  '\t',
  ' ',
  '\u0000',
  '\u007f',
  '\u0085',
  '\u202e',
  '\u2066',
  '\u200f',
  '\u061c',
  '\u2028',
  '\ud800',
  '\udc00',
  '\ud83d\ude80',
  '数',
  'a',
  'OK',
);
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const anyText = fc.string({ unit: fc.oneof(fragments, anyCodeUnit, fc.string({ unit: 'binary', maxLength: 3 })), maxLength: 60 });
const options = fc.record({ multiline: fc.boolean(), maxLength: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }) });

describe('sanitizeText: properties', () => {
  test('the result never holds ESC, C0 (but \\n in multi-line text), DEL, C1, a bidi control or a lone surrogate', () => {
    fc.assert(
      fc.property(anyText, options, (text, opts) => {
        const out = sanitizeText(text, opts);
        assert.deepEqual(unsafeChars(out, opts.multiline ? '\n' : ''), [], JSON.stringify(out));
        assert.ok(isSafeText(out.replace(/\n/g, ' ')));
      }),
      { numRuns: 3000 },
    );
  });

  test('it is idempotent', () => {
    fc.assert(
      fc.property(anyText, options, (text, opts) => {
        const once = sanitizeText(text, opts);
        assert.equal(sanitizeText(once, opts), once);
      }),
      { numRuns: 3000 },
    );
  });

  test('with a cap, the result fits it', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: MIN_MAX_LENGTH, max: 80 }), (text, maxLength) => {
        assert.ok(sanitizeText(text, { maxLength }).length <= maxLength);
      }),
    );
  });

  test('something removed always leaves a placeholder', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const hostile = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(text);
        if (!hostile) return;
        const out = sanitizeText(text);
        assert.ok(out.includes(PLACEHOLDER) || out.includes(ESCAPE_PLACEHOLDER), JSON.stringify([text, out]));
      }),
      { numRuns: 2000 },
    );
  });

  test('plain printable text passes unchanged', () => {
    const printable = fc
      .string({ unit: fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }), fc.constantFrom(' ', '数', '🚀', 'é')) })
      .filter((text) => unsafeChars(text).length === 0);
    fc.assert(
      fc.property(printable, (text) => {
        assert.equal(sanitizeText(text), text);
        assert.equal(sanitizeText(text, { multiline: true }), text);
        assert.ok(isSafeText(text));
      }),
      { numRuns: 2000 },
    );
  });
});

test('a large hostile text is sanitized in one pass (a quadratic pass would take minutes)', { timeout: 30_000 }, () => {
  const parts = [`${ESC}[31m`, 'a ', '\n', '\t', '\u0000', ' ', '\u202e', '\ud800', '数'];
  const text = Array.from({ length: 1_000_000 }, (_, i) => parts[i % parts.length]).join('');
  for (const multiline of [false, true]) {
    const out = sanitizeText(text, { multiline });
    assert.deepEqual(unsafeChars(out, multiline ? '\n' : ''), []);
  }
});
