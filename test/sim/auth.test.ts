import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/util/clock.js';
import { startTestSim, type TestSim } from './helpers.js';

describe('simulator authentication', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ seed: 2, ticketLifetimeMs: 3600_000 });
  });
  after(() => t.close());

  const login = (form: Record<string, string>) => t.api('/access/ticket', { method: 'POST', form, auth: 'none' });

  test('API token: accepted with "=" or a space; a wrong secret or no credentials is an empty 401', async () => {
    assert.equal((await t.api('/version')).status, 200);
    const spaced = await t.api('/version', { headers: { authorization: `PVEAPIToken ${t.sim.token}` } });
    assert.equal(spaced.status, 200);
    const wrong = await t.api('/version', { headers: { authorization: `PVEAPIToken=${t.sim.token}x` } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.reason, 'Authentication failed!');
    assert.equal(wrong.text, '');
    const none = await t.api('/version', { auth: 'none' });
    assert.equal(none.status, 401);
    assert.equal(none.reason, 'No ticket');
    assert.equal(none.text, '');
  });

  test('ticket login returns username, ticket, CSRF token, cap and clustername; GET needs only the cookie', async () => {
    const reply = await login({ username: 'root@pam', password: t.sim.password });
    assert.equal(reply.status, 200);
    const data = reply.json.data;
    assert.equal(data.username, 'root@pam');
    assert.match(data.ticket, /^PVE:root@pam:[0-9A-F]{8}::\S+$/);
    assert.match(data.CSRFPreventionToken, /^[0-9A-F]{8}:\S+$/);
    assert.equal(typeof data.cap, 'object');
    assert.equal(data.clustername, 'sim');
    const cookie = `PVEAuthCookie=${encodeURIComponent(data.ticket)}`;
    assert.equal((await t.api('/cluster/tasks', { headers: { cookie } })).status, 200);
    // The ticket also works as `PVEAuthCookie=` in the Authorization header.
    assert.equal((await t.api('/version', { headers: { authorization: `PVEAuthCookie=${data.ticket}` } })).status, 200);

    const guest = t.sim.control.guestWithRole('stoppedQemu');
    const path = `/nodes/${guest.node}/qemu/${guest.vmid}/status/start`;
    const noCsrf = await t.api(path, { method: 'POST', headers: { cookie } });
    assert.equal(noCsrf.status, 401);
    assert.equal(noCsrf.reason, 'Permission denied - invalid csrf token');
    const withCsrf = await t.api(path, { method: 'POST', headers: { cookie, csrfpreventiontoken: data.CSRFPreventionToken } });
    assert.equal(withCsrf.status, 200);
    assert.match(withCsrf.json.data, /:qmstart:\d+:root@pam:$/);
  });

  test('realm is appended unconditionally; a wrong password is 401 "authentication failure" with a JSON body', async () => {
    assert.equal((await login({ username: 'root', realm: 'pam', password: t.sim.password })).status, 200);
    const doubled = await login({ username: 'root@pam', realm: 'pam', password: t.sim.password });
    assert.equal(doubled.status, 401);
    assert.equal(doubled.reason, 'authentication failure');
    assert.equal(doubled.json.data, null);
    const wrong = await login({ username: 'root@pam', password: 'nope' });
    assert.equal(wrong.status, 401);
    const missing = await login({ username: 'root@pam' });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.json.errors, { password: 'property is missing and it is not optional' });
  });

  test('tickets expire after their lifetime (+5 min grace) and renew by posting the ticket as password', async () => {
    const first = (await login({ username: 'root@pam', password: t.sim.password })).json.data;
    await t.run(t.clock.sleep(3000_000));
    const renewed = await login({ username: 'root@pam', password: first.ticket });
    assert.equal(renewed.status, 200);
    assert.notEqual(renewed.json.data.ticket, first.ticket);
    await t.run(t.clock.sleep(3600_000 + 1000));
    const oldCookie = `PVEAuthCookie=${encodeURIComponent(first.ticket)}`;
    const expired = await t.api('/version', { headers: { cookie: oldCookie } });
    assert.equal(expired.status, 401);
    assert.equal(expired.reason, 'Authentication failed!');
    const fresh = `PVEAuthCookie=${encodeURIComponent(renewed.json.data.ticket)}`;
    assert.equal((await t.api('/version', { headers: { cookie: fresh } })).status, 200);
    const stale = await login({ username: 'root@pam', password: first.ticket });
    assert.equal(stale.status, 401);
  });

  test('expireTickets kills every ticket at once', async () => {
    const data = (await login({ username: 'root@pam', password: t.sim.password })).json.data;
    const cookie = `PVEAuthCookie=${encodeURIComponent(data.ticket)}`;
    assert.equal((await t.api('/version', { headers: { cookie } })).status, 200);
    t.sim.control.expireTickets();
    assert.equal((await t.api('/version', { headers: { cookie } })).status, 401);
  });

  test('a stale cookie next to a valid token is a 401: the cookie is checked first', async () => {
    const reply = await t.api('/version', {
      headers: { cookie: 'PVEAuthCookie=PVE:root@pam:00000000::forged', authorization: `PVEAPIToken=${t.sim.token}` },
    });
    assert.equal(reply.status, 401);
  });

  test('GET /access/ticket needs nothing; POST with a token header is 403', async () => {
    const get = await t.api('/access/ticket', { auth: 'none' });
    assert.deepEqual(get.json, { data: null });
    const post = await t.api('/access/ticket', { method: 'POST', form: { username: 'root@pam', password: 'x' } });
    assert.equal(post.status, 403);
    assert.match(post.reason, /not available with API token, need proper ticket/);
  });

  test('a TFA user gets a NeedTFA ticket that allows nothing else', async () => {
    const { username, password } = t.sim.control.tfaUser;
    const reply = await login({ username, password });
    assert.equal(reply.status, 200);
    assert.equal(reply.json.data.NeedTFA, 1);
    assert.equal('cap' in reply.json.data, false);
    const cookie = `PVEAuthCookie=${encodeURIComponent(reply.json.data.ticket)}`;
    assert.equal((await t.api('/version', { headers: { cookie } })).status, 401);
  });

  test("tokens without Sys.Audit: /nodes without stats, others' tasks forbidden", async () => {
    const token = t.sim.control.addToken('noaudit', { audit: false });
    const nodes = await t.api('/nodes', { headers: { authorization: `PVEAPIToken=${token}` } });
    assert.equal(nodes.status, 200);
    assert.equal('maxcpu' in nodes.json.data[0], false);
    assert.equal('maxcpu' in (await t.api('/nodes')).json.data[0], true);
  });
});

test('every 401 is delayed 3 s by default (on the shared clock)', async () => {
  const clock = new ManualClock();
  const t = await startTestSim({ clock, unauthorizedDelayMs: 3000 });
  try {
    const started = clock.now();
    const reply = await clock.runUntil(t.api('/version', { auth: 'none' }));
    assert.equal(reply.status, 401);
    assert.equal(clock.now() - started, 3000);
    const login = await clock.runUntil(
      t.api('/access/ticket', { method: 'POST', form: { username: 'root@pam', password: 'bad' }, auth: 'none' }),
    );
    assert.equal(login.status, 401);
    assert.equal(clock.now() - started, 6000);
    const ok = await clock.runUntil(t.api('/version'));
    assert.equal(ok.status, 200);
    assert.equal(clock.now() - started, 6000);
  } finally {
    await t.close();
  }
});
