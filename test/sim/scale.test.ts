// 1,000 running tasks on 8 nodes, polled through the active lists and /cluster/tasks every cycle as
// the poller does: answers stay right while tasks end in the middle (cost is reported, not asserted).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestSim } from './helpers.js';

test('1,000 running tasks on 8 nodes stay cheap to list and settle', async (t) => {
  const sim = await startTestSim({ nodes: 8, guests: 200, seed: 5 });
  try {
    const nodes = sim.sim.control.nodes().map((node) => node.node);
    const durations = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const durationMs = 5_000 + ((i * 7919) % 60) * 1000;
      const upid = sim.sim.control.spawnTask({ node: nodes[i % 8]!, type: 'qmstart', id: String(100 + i), durationMs, log: ['starting'] });
      durations.set(upid, durationMs);
    }
    const began = performance.now();
    let requests = 0;
    for (let cycle = 0; cycle < 20; cycle++) {
      const elapsed = cycle * 2000;
      const expectedRunning = [...durations.values()].filter((ms) => ms > elapsed).length;
      let running = 0;
      const replies = await Promise.all(nodes.map((node, i) => sim.api(`/nodes/${node}/tasks?source=active&limit=1000`, { listener: i })));
      for (const reply of replies) {
        assert.equal(reply.status, 200);
        running += reply.json.data.length;
        assert.equal(reply.json.total ?? 0, reply.json.data.length);
      }
      const cluster = await sim.api('/cluster/tasks');
      requests += nodes.length + 1;
      assert.equal(running, expectedRunning, `cycle ${cycle}`);
      const listedRunning = cluster.json.data.filter((item: { status?: string }) => item.status === undefined).length;
      assert.equal(listedRunning, expectedRunning);
      await sim.run(sim.clock.sleep(2000));
    }
    const ms = performance.now() - began;
    t.diagnostic(`${requests} list requests over 1,000 tasks in ${ms.toFixed(0)} ms (${(ms / requests).toFixed(2)} ms each)`);
    assert.equal(sim.sim.control.tasks({ running: true }).length, [...durations.values()].filter((d) => d > 40_000).length);
  } finally {
    await sim.close();
  }
});

test("/cluster/tasks trims a node's list below 32 KiB of JSON: the finished go first, then the newest running", async () => {
  const sim = await startTestSim({ nodes: 2, seed: 5 });
  try {
    const c = sim.sim.control;
    // Finished tasks first, so that the list has some; then far more running ones than 32 KiB hold.
    for (let i = 0; i < 10; i++) c.spawnTask({ node: 'pve1', type: 'qmstop', id: String(500 + i), durationMs: 0 });
    await sim.run(sim.clock.sleep(1000));
    for (let i = 0; i < 400; i++) c.spawnTask({ node: 'pve1', type: 'qmstart', id: String(1000 + i), durationMs: Infinity });
    c.spawnTask({ node: 'pve2', type: 'qmstart', id: '100', durationMs: Infinity });
    const reply = await sim.api('/cluster/tasks');
    const pve1 = reply.json.data.filter((item: { node: string }) => item.node === 'pve1');
    assert.ok(pve1.length > 100 && pve1.length < 400, `${pve1.length} rows for pve1`);
    // As broadcast (token not split yet), the node's list is below 32 KiB.
    assert.ok(JSON.stringify(pve1).length < 32 * 1024);
    assert.ok(
      pve1.every((item: { status?: string }) => item.status === undefined),
      'every finished task fell out before any running one',
    );
    // Running tasks keep their start order: the oldest stay, the newest fall out.
    assert.deepEqual(
      pve1.slice(0, 3).map((item: { id: string }) => item.id),
      ['1000', '1001', '1002'],
    );
    assert.equal(pve1.at(-1).id, String(1000 + pve1.length - 1));
    assert.ok(!pve1.some((item: { id: string }) => item.id === '1399'), 'the newest running task is not listed');
    assert.equal(reply.json.data.filter((item: { node: string }) => item.node === 'pve2').length, 1);
    // The node's own list is complete.
    const active = await sim.api('/nodes/pve1/tasks?source=active&limit=0');
    assert.equal(active.json.total, 400);
  } finally {
    await sim.close();
  }
});
