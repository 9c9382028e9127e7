// Path parameters meet PVE's own formats before any URL is built: a node name from a hostile
// /cluster/resources cannot redirect a request to another endpoint.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { PveApiError, createPveClient } from '../../src/api/index.js';
import { pathParameterProblem } from '../../src/api/path-params.js';
import { fillPath } from '../../src/api/serialize.js';
import { ManualClock } from '../../src/util/clock.js';

const SECRET = '0b7e4f2c-1111-2222-3333-444455556666';
const PVE_UPID = 'UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:ops@pve!ci:';
const PBS_UPID = 'UPID:pbs:00004F37:0039E469:00000000:5CA78B83:garbage_collection::root@pam:';

test('each path parameter is checked against its PVE format', () => {
  const cases: Record<string, { good: unknown[]; bad: unknown[] }> = {
    node: {
      good: ['pve1', 'a', 'PVE-node-2', 'x'.repeat(63)],
      bad: ['..', '.', '', '-pve', 'pve-', 'pve_1', 'pve 1', 'pve1/..', 'x'.repeat(64), 42.5],
    },
    vmid: { good: [100, '100', 999_999_999, '4711'], bad: [99, 1_000_000_000, '0100', 100.5, '100abc', '..', '', -100, Number.NaN] },
    storage: { good: ['local', 'local-lvm', 'nfs.backup_1', 'a1'], bad: ['1local', 'local-', 'a', '..', 'local/x'] },
    snapname: { good: ['before_upgrade', 'pre-1', 'ab', 'x'.repeat(40)], bad: ['a', 'x'.repeat(41), '1snap', 'snap shot', '..'] },
    upid: {
      good: [PVE_UPID, PBS_UPID],
      bad: ['..', '', 'UPID:..:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:', PVE_UPID.slice(0, -1)],
    },
    other: { good: ['anything', 'a/b', 'UPID-ish'], bad: ['', '.', '..', { toString: () => 'x' }, true] },
  };
  for (const [name, { good, bad }] of Object.entries(cases)) {
    for (const value of good) assert.equal(pathParameterProblem(name, value), undefined, `${name} ${String(value)}`);
    for (const value of bad) assert.ok(pathParameterProblem(name, value), `${name} ${String(value)} passed`);
  }
  assert.equal(pathParameterProblem('node', undefined), 'is missing');
  assert.throws(() => fillPath('/nodes/{node}/tasks', { node: '..' }), /path parameter 'node' is not a node name/);
  assert.throws(() => fillPath('/nodes/{node}/tasks', {}), /path parameter 'node' is missing/);
});

describe('a hostile node name in a guest list', () => {
  let requests: string[] = [];
  let connections = 0;
  let url = '';
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    const body =
      request.url === '/api2/json/cluster/resources'
        ? { data: [{ type: 'qemu', vmid: 102, node: '..', status: 'stopped', id: 'qemu/102' }] }
        : { data: { ticket: 'PVE:root@pam:0000', CSRFPreventionToken: 'x', username: 'root@pam' } };
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(body));
  });
  server.on('connection', () => connections++);
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const clock = new ManualClock();

  test("a guest on node '..' cannot make /api2/json/qemu/102/status/start: the start is refused and nothing is sent", async () => {
    const client = createPveClient({ endpoint: url, token: `root@pam!ci=${SECRET}`, clock });
    try {
      const [guest] = (await client.GET('/cluster/resources')).data;
      requests = [];
      await assert.rejects(
        client.POST('/nodes/{node}/qemu/{vmid}/status/start', { params: { path: { node: guest!.node!, vmid: guest!.vmid! } } }),
        (error: unknown) => {
          assert.ok(error instanceof PveApiError);
          assert.equal(error.kind, 'config');
          assert.equal(error.notSent, true);
          assert.equal(
            error.message,
            "POST /nodes/{node}/qemu/{vmid}/status/start: path parameter 'node' is not a node name (letters, digits and inner '-', at most 63 characters); not sent",
          );
          return true;
        },
      );
      assert.deepEqual(requests, [], 'no request reached the server');
    } finally {
      await client.close();
    }
  });

  test('with a ticket, not even the login is sent; a value that may be a secret is never repeated', async () => {
    const client = createPveClient({ endpoint: url, username: 'root@pam', password: 'hunter2', clock });
    const before = connections;
    try {
      const pasted = `root@pam!ci=${SECRET}`;
      await assert.rejects(
        client.GET('/nodes/{node}/tasks/{upid}/status', { params: { path: { node: 'pve1', upid: pasted } } }),
        (error: unknown) => {
          assert.ok(error instanceof PveApiError && error.kind === 'config');
          assert.match(error.message, /path parameter 'upid' is not a UPID/);
          assert.ok(!error.message.includes(SECRET) && !JSON.stringify(error).includes(SECRET));
          return true;
        },
      );
      assert.equal(connections, before, 'no connection was made');
      assert.deepEqual(requests, []);
    } finally {
      await client.close();
    }
  });
});
