import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LaunchQueue } from '../../src/tasks/launch-queue.js';
import { createTaskStore } from '../../src/tasks/store.js';
import { startTestCluster } from '../helpers/cluster.js';

test('after a crash, a sent launch is adopted when its task exists and held (not resent) when it does not', async () => {
  const cluster = await startTestCluster({ nodes: 2 });
  const { sim, clock, client } = cluster;
  const found = sim.control.guestWithRole('stoppedQemu');
  const lost = sim.control.guestWithRole('stoppedLxc');
  // The first run's request for `found` reached PVE; the one for `lost` never did.
  await client.POST('/nodes/{node}/qemu/{vmid}/status/start', { params: { path: { node: found.node, vmid: found.vmid } } });
  const store = createTaskStore();
  const sentAt = clock.now();
  let foundKey = '';
  let lostKey = '';
  store.getState().update((tx) => {
    foundKey = tx.add({
      mine: true,
      node: found.node,
      type: 'qmstart',
      firstSeenAt: sentAt,
      sentAt,
      vmids: [found.vmid],
      launch: { action: 'start', node: found.node, guests: [{ vmid: found.vmid, type: 'qemu' }], params: {} },
    });
    lostKey = tx.add({
      mine: true,
      node: lost.node,
      type: 'vzstart',
      firstSeenAt: sentAt,
      sentAt,
      vmids: [lost.vmid],
      launch: { action: 'start', node: lost.node, guests: [{ vmid: lost.vmid, type: 'lxc' }], params: {} },
    });
  });
  sim.control.resetCounters();
  const queue = new LaunchQueue({ client, store, clock, parallel: 4 });
  const result = await clock.runUntil(queue.recover());
  assert.deepEqual(result, { adopted: 1, requeued: 1, queued: 0 });
  assert.equal(store.getState().row(foundKey)!.state, 'running');
  assert.match(store.getState().row(foundKey)!.upid!, new RegExp(`:qmstart:${found.vmid}:`));
  assert.deepEqual(queue.heldKeys(), [lostKey], 'the unsent launch waits for a decision');
  await clock.runUntil(Promise.resolve());
  const posts = Object.entries(sim.control.counters().byRoute).filter(([route]) => route.startsWith('POST'));
  assert.deepEqual(posts, [], 'nothing was sent again');
  queue.releaseHeld(false);
  assert.equal(store.getState().row(lostKey), undefined);
  queue.close();
  await cluster.close();
});
