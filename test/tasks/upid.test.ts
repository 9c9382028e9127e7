import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidUpidError, escapeSystemdId, formatUpid, isUpid, parseUpid, splitAuthId } from '../../src/tasks/upid.js';

// Upstream test vectors (pve-common test/upid-test.pl), quoted in pve-api-facts.md "Samples".
const APTUPDATE = 'UPID:example-node:0000C346:165A0CE4:68D7279C:aptupdate::root@pam:';
const HASTART = 'UPID:example-node:000934AF:0D015579:68BF3A41:hastart:100:root@pam:';
const TOKEN_VZDUMP = 'UPID:example-node:000934AF:0D015579:68BF3A41:vzdump:100:91a1da29-a47d-11f0-84e0-fafbfc944d00@pam!some-token:';
const NINE_DIGIT_PSTART = 'UPID:example-node:000934AF:FFFFFFFFF:68BF3A41:fake-but-valid-type:100:root@pam:';
const BROKEN_TYPE = 'UPID:example-node:000934AF:0D015579:68BF3A41:broken type string:100:root@pam:';
const PBS_GC = 'UPID:elsa:00004F37:0039E469:00000000:5CA78B83:garbage_collection::root@pam:';

test('upstream vectors: an empty id, an HA start, a token user', () => {
  assert.deepEqual(parseUpid(APTUPDATE), {
    upid: APTUPDATE,
    node: 'example-node',
    pid: 0xc346,
    pstart: 0x165a0ce4,
    starttime: 0x68d7279c,
    type: 'aptupdate',
    id: '',
    user: 'root@pam',
  });
  const ha = parseUpid(HASTART);
  assert.equal(ha.type, 'hastart');
  assert.equal(ha.id, '100');
  assert.equal(ha.starttime, 1757362753);
  const token = parseUpid(TOKEN_VZDUMP);
  assert.equal(token.user, '91a1da29-a47d-11f0-84e0-fafbfc944d00@pam!some-token');
  assert.deepEqual(splitAuthId(token.user), {
    userid: '91a1da29-a47d-11f0-84e0-fafbfc944d00@pam',
    tokenid: 'some-token',
  });
  assert.deepEqual(splitAuthId('root@pam'), { userid: 'root@pam' });
});

test('a 9-digit pstart (after about 497 days of uptime) is valid', () => {
  const parsed = parseUpid(NINE_DIGIT_PSTART);
  assert.equal(parsed.pstart, 0xfffffffff);
  assert.equal(parsed.type, 'fake-but-valid-type');
  assert.equal(formatUpid(parsed), NINE_DIGIT_PSTART);
});

test('real UPIDs from logs and issues parse', () => {
  for (const upid of [
    'UPID:host01:0000377E:19E15146:5F3C0469:vzshutdown:100:root@pam:',
    'UPID:pve-nd03:0001D301:15925672:69E05EBF:qmigrate:802:admin01@pve:',
    'UPID:node01:00003263:16167ACE:621EE230:srvreload:networking:root@pam:',
    'UPID:node1:00003A02:5F1C52E9:5869E1D6:vzdump::root@pam:',
    'UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmsnapshot:100:root@pam:',
  ]) {
    assert.equal(isUpid(upid), true, upid);
    assert.equal(formatUpid(parseUpid(upid)), upid);
  }
  assert.equal(parseUpid('UPID:node01:00003263:16167ACE:621EE230:srvreload:networking:root@pam:').id, 'networking');
});

test('lower-case hex is accepted, and formatting writes upper case as PVE does', () => {
  const lower = 'UPID:pve1:0001a2b3:00c0ffee:6700ab12:qmstart:100:root@pam:';
  const parsed = parseUpid(lower);
  assert.equal(parsed.pid, 0x1a2b3);
  assert.equal(formatUpid(parsed), 'UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:');
});

test('PBS UPIDs carry a task id, and only their ids are unescaped', () => {
  const gc = parseUpid(PBS_GC);
  assert.equal(gc.taskId, 0);
  assert.equal(gc.starttime, 0x5ca78b83);
  assert.equal(gc.type, 'garbage_collection');
  assert.equal(gc.id, '');
  assert.equal(formatUpid(gc), PBS_GC);

  const escaped = 'UPID:pbs1:00000A1B:0000C0DE:0000000000000012:65000000:backup:store1\\x3avm-100:root@pam!tok:';
  const backup = parseUpid(escaped);
  assert.equal(backup.taskId, 0x12);
  assert.equal(backup.id, 'store1:vm/100');
  assert.equal(escapeSystemdId('store1:vm/100'), 'store1\\x3avm-100');
  assert.equal(escapeSystemdId('a-b c'), 'a\\x2db\\x20c');
  assert.equal(escapeSystemdId('.hidden.x'), '\\x2ehidden.x');

  // A PVE id with a dash stays as it is (the web UI's blanket unescape would turn it into a '/').
  assert.equal(parseUpid('UPID:pve1:00001234:00005678:6700AB12:srvrestart:cluster-mon:root@pam:').id, 'cluster-mon');
});

test('PBS ids with escapes round-trip through formatUpid', () => {
  for (const id of ['datastore1:ns/a/vm/100', 'with space', 'dash-and.dot', 'ü-utf8', '']) {
    const upid = formatUpid({
      node: 'pbs1',
      pid: 0x10,
      pstart: 0x20,
      taskId: 3,
      starttime: 0x65000000,
      type: 'verify',
      id,
      user: 'backup@pbs',
    });
    const parsed = parseUpid(upid);
    assert.equal(parsed.id, id, upid);
    assert.equal(formatUpid(parsed), upid);
  }
});

test('PVE round trips: fields to text to fields', () => {
  const fields = {
    node: 'pve-a1',
    pid: 0xdeadbeef,
    pstart: 0x1ffffffff,
    starttime: 0x6700ab12,
    type: 'qmstart',
    id: '999999999',
    user: 'ops@pve!ci',
  };
  const text = formatUpid(fields);
  assert.equal(text, 'UPID:pve-a1:DEADBEEF:1FFFFFFFF:6700AB12:qmstart:999999999:ops@pve!ci:');
  assert.deepEqual(parseUpid(text), { upid: text, ...fields });
});

test('the pstart-less form of older docs is named as such', () => {
  assert.throws(
    () => parseUpid('UPID:pve1:00001234:5F123456:qmstart:100:root@pam:'),
    (error: unknown) =>
      error instanceof InvalidUpidError && /lacks the pstart field/.test(error.message) && error.reason.includes('pstart'),
  );
});

test('every invalid form is refused with a reason', () => {
  const cases: Array<[string, RegExp]> = [
    [BROKEN_TYPE, /type/],
    ['', /starts with 'UPID:'/],
    ['upid:pve1:00001234:00005678:6700AB12:qmstart:100:root@pam:', /starts with 'UPID:'/],
    ['UPID:pve1:00001234:00005678:6700AB12:qmstart:100:root@pam', /ends with ':'/],
    ['UPID:pve1:00001234:00005678:6700AB12:qmstart:100:root@pam: OK', /ends with ':'/],
    ['UPID:pve1:00001234:00005678:6700AB12:qmstart:root@pam:', /pstart|7 fields/],
    // Eight fields read as a PBS UPID, whose starttime field then is not hex.
    ['UPID:pve1:00001234:00005678:6700AB12:qmstart:100:root@pam:extra:', /starttime|fields/],
    ['UPID:pve1:00001234:00005678:6700AB12:qmstart:100:root@pam:a:b:', /fields/],
    ['UPID:-pve1:00001234:00005678:6700AB12:qmstart:100:root@pam:', /node/],
    ['UPID:pve-:00001234:00005678:6700AB12:qmstart:100:root@pam:', /node/],
    ['UPID:pve_1:00001234:00005678:6700AB12:qmstart:100:root@pam:', /node/],
    ['UPID::00001234:00005678:6700AB12:qmstart:100:root@pam:', /node/],
    ['UPID:pve1:1234:00005678:6700AB12:qmstart:100:root@pam:', /pid/],
    ['UPID:pve1:0000123G:00005678:6700AB12:qmstart:100:root@pam:', /pid/],
    ['UPID:pve1:00001234:0005678:6700AB12:qmstart:100:root@pam:', /pstart/],
    ['UPID:pve1:00001234:1000056789:6700AB12:qmstart:100:root@pam:', /pstart/],
    ['UPID:pve1:00001234:00005678:6700AB1:qmstart:100:root@pam:', /starttime/],
    ['UPID:pve1:00001234:00005678:6700AB12::100:root@pam:', /type/],
    ['UPID:pve1:00001234:00005678:6700AB12:qm/start:100:root@pam:', /type/],
    ['UPID:pve1:00001234:00005678:6700AB12:qmstart:1 00:root@pam:', /id/],
    ['UPID:pve1:00001234:00005678:6700AB12:qmstart:local/100:root@pam:', /id/],
    ['UPID:pve1:00001234:00005678:6700AB12:qmstart:100::', /user/],
    ['UPID:pve1:00001234:00005678:6700AB12:qmstart:100:root/x@pam:', /user/],
    ['UPID:pve1:00001234:00005678:6700AB12:qmstart:100:root @pam:', /user/],
    // PBS: a task id out of range, a bad escape.
    ['UPID:pbs1:00001234:00005678:1234567:6700AB12:verify::root@pam:', /task id/],
    ['UPID:pbs1:00001234:00005678:00000001:6700AB12:verify:a\\x4:root@pam:', /escape/],
  ];
  for (const [text, reason] of cases) {
    assert.throws(
      () => parseUpid(text),
      (error: unknown) => error instanceof InvalidUpidError && error.upid === text && reason.test(error.reason),
      text,
    );
    assert.equal(isUpid(text), false, text);
  }
  assert.throws(() => parseUpid(undefined as unknown as string), InvalidUpidError);
  assert.throws(() => parseUpid(42 as unknown as string), InvalidUpidError);
});

test('formatUpid refuses fields that would not read back', () => {
  const base = { node: 'pve1', pid: 1, pstart: 2, starttime: 3, type: 'qmstart', id: '100', user: 'root@pam' };
  assert.throws(() => formatUpid({ ...base, id: 'a:b' }), InvalidUpidError);
  assert.throws(() => formatUpid({ ...base, user: '' }), InvalidUpidError);
  assert.throws(() => formatUpid({ ...base, node: 'bad node' }), InvalidUpidError);
  assert.throws(() => formatUpid({ ...base, pid: 2 ** 33 }), InvalidUpidError);
});
