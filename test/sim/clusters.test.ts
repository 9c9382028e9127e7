// Several independent simulated clusters: names, nodes, VMIDs that collide on purpose, a token per
// cluster, and one cluster's faults or load leaving the others alone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSimulators, type Simulator } from '../../src/sim/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { rawRequest } from './helpers.js';

describe('startSimulators', () => {
  const clock = new ManualClock();
  let sims: Simulator[];
  before(async () => {
    sims = await startSimulators({ clusters: 3, nodes: 2, guests: 40, clock, unauthorizedDelayMs: 0, pveVersions: [9, 8] });
  });
  after(() => Promise.all(sims.map((sim) => sim.close())));
  const get = (sim: Simulator, path: string, token = sim.token, listener = 0) =>
    clock.track(rawRequest(`${sim.urls[listener]}/api2/json${path}`, { headers: { authorization: `PVEAPIToken=${token}` } }));

  test('three clusters: alpha, bravo, charlie, each its own listeners, nodes, PVE major and token', async () => {
    assert.deepEqual(
      sims.map((sim) => [sim.cluster, sim.pveVersion, sim.nodes]),
      [
        ['alpha', 9, ['alpha-pve1', 'alpha-pve2']],
        ['bravo', 8, ['bravo-pve1', 'bravo-pve2']],
        ['charlie', 9, ['charlie-pve1', 'charlie-pve2']],
      ],
    );
    assert.equal(new Set(sims.flatMap((sim) => sim.urls)).size, 6);
    assert.equal(new Set(sims.map((sim) => sim.token)).size, 3);
    for (const sim of sims) {
      const status = await get(sim, '/cluster/status');
      assert.equal(status.json.data[0].name, sim.cluster);
      assert.deepEqual(
        status.json.data.slice(1).map((item: { name: string }) => item.name),
        sim.nodes,
      );
      assert.equal((await get(sim, '/version')).json.data.release.split('.')[0], String(sim.pveVersion));
    }
    // A token is valid on its own cluster only.
    assert.equal((await get(sims[0]!, '/version', sims[1]!.token)).status, 401);
  });

  test('VMIDs: neighbouring clusters share some (alpha and bravo 120-139), alpha and charlie none', async () => {
    const vmids = await Promise.all(
      sims.map(
        async (sim) => new Set<number>((await get(sim, '/cluster/resources?type=vm')).json.data.map((item: { vmid: number }) => item.vmid)),
      ),
    );
    const shared = (a: Set<number>, b: Set<number>) => [...a].filter((vmid) => b.has(vmid)).sort((x, y) => x - y);
    assert.deepEqual(
      shared(vmids[0]!, vmids[1]!),
      Array.from({ length: 20 }, (_, i) => 120 + i),
    );
    assert.deepEqual(shared(vmids[0]!, vmids[2]!), []);
    // The same VMID is a different guest in each cluster.
    const alpha = sims[0]!.control.guest(125)!;
    const bravo = sims[1]!.control.guest(125)!;
    assert.ok(alpha.node.startsWith('alpha-') && bravo.node.startsWith('bravo-'));
  });

  test('an action in one cluster reaches that cluster only; a node offline in one leaves the others live', async () => {
    for (const sim of sims) sim.control.resetCounters();
    const guest = sims[1]!.control.guestWithRole('stoppedQemu');
    const started = await clock.track(
      rawRequest(`${sims[1]!.url}/api2/json/nodes/${guest.node}/qemu/${guest.vmid}/status/start`, {
        method: 'POST',
        headers: { authorization: `PVEAPIToken=${sims[1]!.token}` },
      }),
    );
    assert.equal(started.status, 200);
    assert.equal(sims[1]!.control.counters().byRoute['POST /nodes/{node}/qemu/{vmid}/status/start'], 1);
    assert.equal(sims[0]!.control.counters().total, 0);
    assert.equal(sims[2]!.control.counters().total, 0);

    await sims[0]!.control.addFault('offline=alpha-pve2:refuse');
    try {
      const alphaNodes = await get(sims[0]!, '/nodes');
      assert.equal(alphaNodes.json.data.find((item: { node: string }) => item.node === 'alpha-pve2').status, 'offline');
      const charlie = await get(sims[2]!, '/nodes');
      assert.ok(charlie.json.data.every((item: { status: string }) => item.status === 'online'));
    } finally {
      await sims[0]!.control.clearFaults();
    }
  });
});
