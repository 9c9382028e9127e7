// The client against the simulator over plain HTTP on loopback, on a shared ManualClock.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isConnectionError, isNodeUnreachable } from '../../src/api/index.js';
import { parseUpid } from '../../src/tasks/upid.js';
import { setup, type Setup } from './support.js';

const ROUTE_START = 'POST /nodes/{node}/qemu/{vmid}/status/start';
const ROUTE_TICKET = 'POST /access/ticket';

describe('PVE client over HTTP', () => {
  let t: Setup;
  before(async () => {
    t = await setup();
  });
  after(() => t.close());

  const counter = (route: string) => t.sim.control.counters().byRoute[route] ?? 0;
  // The simulator counts /access/ticket under 'POST (unknown)'; nothing else here posts to an unknown route.
  const logins = () => counter(ROUTE_TICKET) + counter('POST (unknown)');
  const ticketClient = () => t.client({ token: undefined, username: t.sim.username, password: t.sim.password });

  test('API token: typed GETs with the envelope, userid is user@realm!tokenid', async () => {
    const client = t.client();
    assert.equal(client.auth, 'token');
    assert.equal(client.userid, t.sim.token.slice(0, t.sim.token.lastIndexOf('=')));
    await t.run(client.ensureAuthenticated());
    const version = await t.run(client.GET('/version'));
    assert.equal(typeof version.data.release, 'string');
    const resources = await t.run(client.GET('/cluster/resources', { params: { query: { type: 'vm' } } }));
    assert.ok(resources.data.length > 0);
    assert.ok(resources.data.every((item) => item.type === 'qemu' || item.type === 'lxc'));
    const nodes = await t.run(client.GET('/nodes'));
    assert.deepEqual(nodes.data.map((node) => node.node).sort(), ['pve1', 'pve2', 'pve3']);
  });

  test('ticket login: cookie on reads, CSRF token on writes, userid from the login', async () => {
    const client = ticketClient();
    assert.equal(client.auth, 'ticket');
    const loginsBefore = logins();
    await t.run(client.login());
    assert.equal(client.userid, 'root@pam');
    await t.run(client.GET('/cluster/tasks'));
    const guest = t.sim.control.guestWithRole('stoppedQemu');
    const starts = counter(ROUTE_START);
    // The simulator, like PVE, answers a write without the CSRF token with 401; one POST proves it was sent.
    const started = await t.run(
      client.POST('/nodes/{node}/qemu/{vmid}/status/start', { params: { path: { node: guest.node, vmid: guest.vmid } } }),
    );
    assert.equal(parseUpid(started.data).user, 'root@pam');
    assert.equal(counter(ROUTE_START), starts + 1);
    assert.equal(logins(), loginsBefore + 1);
  });

  test('a ticket is renewed before it expires: after 15 min the ticket is posted as the password', async () => {
    const client = ticketClient();
    await t.run(client.ensureAuthenticated());
    const loginsBefore = logins();
    const reads = counter('GET /version');
    await t.run(t.clock.sleep(10 * 60_000));
    await t.run(client.GET('/version'));
    assert.equal(logins(), loginsBefore, 'no renewal before 15 min');
    await t.run(t.clock.sleep(6 * 60_000));
    await t.run(client.GET('/version'));
    assert.equal(logins(), loginsBefore + 1, 'renewed once');
    assert.equal(counter('GET /version'), reads + 2, 'no request was refused and repeated');
  });

  test('a ticket revoked mid-run: one 401, a new login, and the write repeated once', async () => {
    const client = ticketClient();
    await t.run(client.login());
    t.sim.control.expireTickets();
    const guest = t.sim.control.guestWithRole('runningQemu');
    const loginsBefore = logins();
    const route = 'POST /nodes/{node}/qemu/{vmid}/snapshot';
    const before = counter(route);
    const created = await t.run(
      client.POST('/nodes/{node}/qemu/{vmid}/snapshot', {
        params: { path: { node: guest.node, vmid: guest.vmid } },
        body: { snapname: 'renewed', vmstate: true },
      }),
    );
    assert.equal(parseUpid(created.data).type, 'qmsnapshot');
    assert.equal(counter(route), before + 2, 'the refused request and its one repetition');
    assert.equal(logins(), loginsBefore + 1);
    // The snapshot was made once.
    assert.equal(t.sim.control.tasks({ type: 'qmsnapshot', id: String(guest.vmid) }).length, 1);
  });

  test('booleans go out as 1/0 in queries and forms (the simulator rejects "true")', async () => {
    const client = t.client();
    const tasks = await t.run(
      client.GET('/nodes/{node}/tasks', { params: { path: { node: 'pve1' }, query: { errors: true, source: 'all', limit: 500 } } }),
    );
    assert.ok(Array.isArray(tasks.data));
    const guest = t.sim.control.guestWithRole('runningLxc');
    const snapshot = await t.run(
      client.POST('/nodes/{node}/lxc/{vmid}/snapshot', {
        params: { path: { node: guest.node, vmid: guest.vmid } },
        body: { snapname: 'flags', description: 'a b & c' },
      }),
    );
    assert.match(snapshot.data, /^UPID:/);
    const vm = t.sim.control.guestWithRole('runningQemu');
    const withState = await t.run(
      client.POST('/nodes/{node}/qemu/{vmid}/snapshot', {
        params: { path: { node: vm.node, vmid: vm.vmid } },
        body: { snapname: 'withstate', vmstate: false },
      }),
    );
    assert.match(withState.data, /^UPID:/);
  });

  test('UPIDs of token users (with @ and !) work in paths: status, log, stop', async () => {
    const client = t.client();
    const guest = t.sim.control.guestWithRole('stoppedLxc');
    const started = await t.run(
      client.POST('/nodes/{node}/lxc/{vmid}/status/start', { params: { path: { node: guest.node, vmid: guest.vmid } } }),
    );
    const upid = started.data;
    assert.match(upid, /!/);
    const path = { node: guest.node, upid };
    const status = await t.run(client.GET('/nodes/{node}/tasks/{upid}/status', { params: { path } }));
    assert.equal(status.data.upid, upid);
    const log = await t.run(client.GET('/nodes/{node}/tasks/{upid}/log', { params: { path, query: { start: 0, limit: 0 } } }));
    assert.ok(log.total && log.total >= 1);
    assert.notEqual(log.data[0]?.t, 'unable to open file - No such file or directory');
    const index = await t.run(client.GET('/nodes/{node}/tasks/{upid}', { params: { path } }));
    assert.deepEqual(index.data.map((entry) => entry.name).sort(), ['log', 'status']);

    const long = t.sim.control.spawnTask({ node: 'pve2', type: 'vzdump', user: client.userid, durationMs: Infinity });
    assert.ok(long.includes(`:${client.userid}:`));
    await t.run(client.DELETE('/nodes/{node}/tasks/{upid}', { params: { path: { node: 'pve2', upid: long } } }));
    await t.run(t.clock.sleep(5_000));
    t.sim.control.settle();
    assert.notEqual(t.sim.control.task(long)?.endedAt, undefined, 'the stop reached the task');
  });

  test('400 parameter errors and 500s become PveApiError with status, reason, message and errors', async () => {
    const client = t.client();
    const guest = t.sim.control.guestWithRole('runningQemu');
    const bad = await t.failure(
      client.POST('/nodes/{node}/qemu/{vmid}/snapshot', {
        params: { path: { node: guest.node, vmid: guest.vmid } },
        body: { snapname: 'x' },
      }),
    );
    assert.equal(bad.kind, 'http');
    assert.equal(bad.status, 400);
    assert.equal(bad.reason, 'Parameter verification failed.');
    assert.match(bad.errors?.snapname ?? '', /invalid format/);
    assert.match(
      bad.message,
      new RegExp(
        `^POST /nodes/${guest.node}/qemu/${guest.vmid}/snapshot: 400 Parameter verification failed\\. \\(snapname: invalid format`,
      ),
    );

    // Stays stopped: its starts fail.
    const stopped = t.sim.control.guestWithRole('failsToStart');
    const reboot = await t.failure(
      client.POST('/nodes/{node}/qemu/{vmid}/status/reboot', { params: { path: { node: stopped.node, vmid: stopped.vmid } } }),
    );
    assert.equal(reboot.status, 500);
    assert.equal(reboot.kind, 'http');
    assert.match(reboot.message, new RegExp(`: 500 VM ${stopped.vmid} not running$`));
    assert.equal(reboot.endpoint, t.sim.url);

    await t.sim.control.addFault('error500=1');
    try {
      const failed = await t.failure(client.GET('/version'));
      assert.equal(failed.status, 500);
      assert.match(failed.message, /^GET \/version: 500 ipcc_send_rec/);
      assert.ok(!isNodeUnreachable(failed));
    } finally {
      await t.sim.control.clearFaults();
    }
  });

  test('595 for an unreachable target node is an HTTP error that marks the node unreachable, not our endpoint', async () => {
    const client = t.client();
    await t.sim.control.addFault('offline=pve3:refuse');
    try {
      const upid = 'UPID:pve3:00001234:00ABCDEF:6900AB12:qmstart:100:root@pam!ci:';
      const error = await t.failure(client.GET('/nodes/{node}/tasks/{upid}/status', { params: { path: { node: 'pve3', upid } } }));
      assert.equal(error.status, 595);
      assert.equal(error.kind, 'http');
      assert.equal(error.reason, 'Errors during connection establishment, proxy handshake: Connection refused');
      assert.equal(
        error.message,
        `GET /nodes/pve3/tasks/${upid}/status: 595 Errors during connection establishment, proxy handshake: Connection refused`,
      );
      assert.ok(isNodeUnreachable(error));
      assert.ok(!isConnectionError(error));
    } finally {
      await t.sim.control.clearFaults();
    }
  });

  test('401: a wrong token secret, a wrong password, both without the secret in the error', async () => {
    const wrongToken = t.client({ token: `${t.sim.token.slice(0, t.sim.token.lastIndexOf('='))}=not-the-secret` });
    const refused = await t.failure(wrongToken.GET('/version'));
    assert.equal(refused.status, 401);
    assert.equal(refused.kind, 'auth');
    assert.equal(refused.reason, 'Authentication failed!');
    assert.match(refused.message, /^GET \/version: 401 Authentication failed! \(the API token was refused/);
    assert.ok(!refused.message.includes('not-the-secret'));

    const wrongPassword = t.client({ token: undefined, username: 'root@pam', password: `${t.sim.password}-wrong` });
    const login = await t.failure(wrongPassword.GET('/version'));
    assert.equal(login.status, 401);
    assert.equal(login.kind, 'auth');
    assert.match(login.message, /^POST \/access\/ticket: 401 authentication failure \(login as root@pam refused/);
    assert.ok(!login.message.includes(`${t.sim.password}-wrong`));
  });

  test('a user with two-factor authentication gets a plain message pointing at API tokens', async () => {
    const { username, password } = t.sim.control.tfaUser;
    const client = t.client({ token: undefined, username, password });
    const error = await t.failure(client.login());
    assert.equal(error.kind, 'auth');
    assert.match(error.message, /two-factor/);
    assert.match(error.message, /API token/);
    assert.match(error.message, /PROXMOX_VE_API_TOKEN/);
  });

  test('timeouts run on the clock: no answer within timeoutMs is a timeout error with status 0', async () => {
    const client = t.client({ timeoutMs: 5_000 });
    await t.sim.control.addFault('latency=60000');
    try {
      const startedAt = t.clock.now();
      const error = await t.failure(client.GET('/version'));
      assert.equal(error.kind, 'timeout');
      assert.equal(error.status, 0);
      assert.equal(error.message, `GET /version: no answer from ${t.sim.url} within 5s`);
      assert.ok(isConnectionError(error) && isNodeUnreachable(error));
      // One endpoint: a timed-out GET is not repeated.
      assert.equal(t.clock.now() - startedAt, 5_000);
      const quick = await t.failure(client.GET('/version', { timeoutMs: 1_000 }));
      assert.match(quick.message, /within 1s$/);
    } finally {
      await t.sim.control.clearFaults();
    }
  });

  test('an AbortSignal stops a request: kind aborted', async () => {
    const client = t.client();
    await t.sim.control.addFault('latency=10000');
    try {
      const controller = new AbortController();
      const pending = client.GET('/version', { signal: controller.signal });
      void t.clock.sleep(2_000).then(() => controller.abort());
      const error = await t.failure(pending);
      assert.equal(error.kind, 'aborted');
      assert.equal(error.status, 0);
      const already = await t.failure(client.GET('/version', { signal: AbortSignal.abort() }));
      assert.equal(already.kind, 'aborted');
    } finally {
      await t.sim.control.clearFaults();
    }
  });

  test('a POST is never repeated: a connection cut mid-answer or a timeout fails after one request', async () => {
    const client = t.client({ timeoutMs: 5_000 });
    const guest = t.sim.control.guestWithRole('stoppedQemu');
    const path = { node: guest.node, vmid: guest.vmid };
    await t.sim.control.addFault('drop=1');
    try {
      const before = counter(ROUTE_START);
      const cut = await t.failure(client.POST('/nodes/{node}/qemu/{vmid}/status/start', { params: { path } }));
      assert.equal(cut.kind, 'connection');
      assert.equal(counter(ROUTE_START), before + 1);
      // A GET may be repeated once after such a reset.
      const reads = counter('GET /version');
      await t.failure(client.GET('/version'));
      assert.equal(counter('GET /version'), reads + 2);
    } finally {
      await t.sim.control.clearFaults();
    }
    await t.sim.control.addFault('slow=60000');
    try {
      const before = counter('POST /nodes/{node}/qemu/{vmid}/status/stop');
      const late = await t.failure(client.POST('/nodes/{node}/qemu/{vmid}/status/stop', { params: { path } }));
      assert.equal(late.kind, 'timeout');
      assert.equal(counter('POST /nodes/{node}/qemu/{vmid}/status/stop'), before + 1);
    } finally {
      await t.sim.control.clearFaults();
    }
  });

  test('an answer that is not PVE JSON is a protocol error', async () => {
    const client = t.client();
    await t.sim.control.addFault('malformed=1');
    try {
      const error = await t.failure(client.GET('/cluster/resources'));
      assert.equal(error.kind, 'protocol');
      assert.match(error.message, /not JSON/);
    } finally {
      await t.sim.control.clearFaults();
    }
  });
});

describe('PVE client with PVE-like timings', () => {
  let t: Setup;
  before(async () => {
    // PVE's own 3 s delay on every 401, and tickets that expire well before 15 min.
    t = await setup({ unauthorizedDelayMs: 3_000, ticketLifetimeMs: 5 * 60_000 });
  });
  after(() => t.close());

  test('a ticket that expired before its renewal: 401 (3 s late), new login, request repeated', async () => {
    const client = t.client({ token: undefined, username: t.sim.username, password: t.sim.password });
    await t.run(client.login());
    await t.run(t.clock.sleep(11 * 60_000)); // past 5 min + 5 min grace
    const before = t.clock.now();
    const tasks = await t.run(client.GET('/cluster/tasks'));
    assert.ok(Array.isArray(tasks.data));
    assert.equal(t.clock.now() - before, 3_000, 'one delayed 401, then the repeat');
    const counters = t.sim.control.counters().byRoute;
    assert.equal((counters[ROUTE_TICKET] ?? 0) + (counters['POST (unknown)'] ?? 0), 2);
    assert.equal(counters['GET /cluster/tasks'], 2);
  });

  test('past 15 min an expired ticket cannot renew itself: the client logs in with the password', async () => {
    const client = t.client({ token: undefined, username: t.sim.username, password: t.sim.password });
    await t.run(client.login());
    const logins = () => {
      const counters = t.sim.control.counters().byRoute;
      return (counters[ROUTE_TICKET] ?? 0) + (counters['POST (unknown)'] ?? 0);
    };
    const before = logins();
    await t.run(t.clock.sleep(20 * 60_000));
    await t.run(client.GET('/version'));
    assert.equal(logins(), before + 2, 'refused renewal, then a password login');
  });
});
