// An independent PVE client library (cv4pve-api-javascript, from npm) against the simulator over
// HTTPS: ticket login and token auth, a VM start, waiting for its task, reading its log. The library
// polls with setInterval on the wall clock, so this test runs on the system clock at high speed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PveClient } from '@corsinvest/cv4pve-api-javascript';
import { startSimulator, type Simulator } from '../../src/sim/index.js';

describe('cv4pve-api-javascript against the simulator (HTTPS)', () => {
  let sim: Simulator;
  let port: number;
  before(async () => {
    sim = await startSimulator({ tls: true, speed: 100, unauthorizedDelayMs: 0, seed: 17 });
    port = Number(new URL(sim.url).port);
    assert.match(sim.url, /^https:/);
  });
  after(() => sim.close());

  const startAndWait = async (client: PveClient, type: 'qemu' | 'lxc', node: string, vmid: number) => {
    const guests = client.nodes.get(node);
    // The generated methods take every optional parameter positionally; undefined ones are not sent.
    const none = undefined as never;
    const result =
      type === 'qemu'
        ? await guests.qemu.get(vmid).status.start.vmStart(none, none, none, none, none, none, none, none, none, none, none)
        : await guests.lxc.get(vmid).status.start.vmStart(none, none);
    assert.equal(result.statusCode, 200, result.reasonPhrase);
    const upid = result.response.data as string;
    assert.equal(await client.waitForTaskToFinish(upid, 50, 20_000), true);
    const exit = await client.getExitStatusTask(upid);
    const log = await client.nodes
      .get(node)
      .tasks.get(upid)
      .log.readTaskLog(undefined as never, undefined as never, undefined as never);
    return { upid, exit, log: log.response as { data: Array<{ n: number; t: string }>; total: number } };
  };

  test('ticket login (user, password, realm), start a VM, wait for its task, read its log', async () => {
    const client = new PveClient('127.0.0.1', port);
    client.logEnabled = false;
    assert.equal(await client.login('root', sim.password, 'pam'), true);
    const guest = sim.control.guestWithRole('stoppedQemu');
    const { upid, exit, log } = await startAndWait(client, 'qemu', guest.node, guest.vmid);
    assert.match(upid, /:qmstart:\d+:root@pam:$/);
    assert.equal(exit, 'OK');
    assert.deepEqual(log.data, [{ n: 1, t: 'TASK OK' }]);
    assert.equal(log.total, 1);
    assert.equal(sim.control.guest(guest.vmid)?.status, 'running');
    const wrong = new PveClient('127.0.0.1', port);
    wrong.logEnabled = false;
    assert.equal(await wrong.login('root', 'not-the-password', 'pam'), false);
  });

  test('API token: start a VM that fails, wait, read the error from status and log', async () => {
    const client = new PveClient('127.0.0.1', port);
    client.logEnabled = false;
    client.apiToken = sim.token;
    const version = await client.version.version();
    assert.equal(version.response.data.release, '9.1');
    const guest = sim.control.guestWithRole('failsToStart');
    const { upid, exit, log } = await startAndWait(client, 'qemu', guest.node, guest.vmid);
    assert.match(upid, /:qmstart:\d+:root@pam!pvetasks:$/);
    assert.equal(exit, 'start failed: QEMU exited with code 1');
    assert.equal(log.data.at(-1)?.t, 'TASK ERROR: start failed: QEMU exited with code 1');
    const ct = sim.control.guestWithRole('stoppedLxc');
    const lxc = await startAndWait(client, 'lxc', ct.node, ct.vmid);
    assert.equal(lxc.exit, 'OK');
  });
});
