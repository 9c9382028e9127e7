// The HA stack's migration of a VM, and a drain-like sequence: every guest of one node migrated at
// once, the ones PVE refuses staying behind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseUpid } from '../../src/tasks/upid.js';
import { migrationHelpers as helpers, startTestSim, type TestSim } from './helpers.js';

describe('simulator: HA VM migration and a drain', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ seed: 12, speed: 4 });
  });
  after(() => t.close());
  const { other, migrate, run } = helpers(() => t);

  test('an HA VM: hamigrate, HA state `migrate` meanwhile, then a qmigrate by root@pam that begins "task started by HA resource agent"', async () => {
    const vm = t.sim.control.guestWithRole('haRunningQemu');
    const target = other(vm.node);
    const request = await run(await migrate('qemu', vm, { target, online: 1 }));
    assert.equal(parseUpid(request.upid).type, 'hamigrate');
    assert.deepEqual(request.log, [`Requesting HA migration for VM ${vm.vmid} to node ${target}`, 'TASK OK']);
    const resources = async () =>
      (await t.api('/cluster/resources?type=vm')).json.data.find((item: { vmid: number }) => item.vmid === vm.vmid) as {
        node: string;
        hastate: string;
      };
    assert.deepEqual(await resources().then((item) => [item.node, item.hastate]), [vm.node, 'migrate']);
    await t.run(t.clock.sleep(600_000));
    assert.deepEqual(await resources().then((item) => [item.node, item.hastate]), [target, 'started']);
    const [task] = t.sim.control.tasks({ type: 'qmigrate', id: String(vm.vmid) });
    assert.equal(task?.user, 'root@pam');
    assert.equal(task?.exitStatus, 'OK');
    const log = t.sim.control.task(task!.upid)!.log;
    assert.equal(log[0], 'task started by HA resource agent');
    assert.ok(log.some((line) => line.includes('migration finished successfully')));
  });

  test('a drain: every guest of one node moves to the others (memory follows), but the ones PVE refuses', async () => {
    const c = t.sim.control;
    const source = c.guestWithRole('localDevices').node;
    const targets = c
      .nodes()
      .map((node) => node.node)
      .filter((node) => node !== source);
    // A template among them too.
    const tpl = c.guestWithRole('qemuTemplate');
    if (tpl.node !== source) {
      await t.waitTask(
        (await t.api(`/nodes/${tpl.node}/qemu/${tpl.vmid}/migrate`, { method: 'POST', form: { target: source } })).json.data,
      );
    }
    const onSource = c.guests({ node: source });
    assert.ok(onSource.some((g) => g.status === 'running') && onSource.some((g) => g.status === 'stopped'));
    assert.ok(onSource.some((g) => g.hastate) && onSource.some((g) => g.template) && onSource.some((g) => g.type === 'lxc'));
    const pinned = new Set(
      onSource
        .filter(
          (g) =>
            g.roles.includes('localDevices') ||
            (c.snapshots(source, g.type, g.vmid).length > 0 && g.disks.some((d) => d.storage === 'local-lvm')),
        )
        .map((g) => g.vmid),
    );
    const nodeMemory = async () =>
      Object.fromEntries(
        (await t.api('/cluster/resources?type=node')).json.data.map((item: { node: string; mem: number; maxmem: number }) => [
          item.node,
          item,
        ]),
      ) as Record<string, { mem: number; maxmem: number }>;
    const before = await nodeMemory();
    assert.ok(Object.values(before).every((node) => node.maxmem > node.mem && node.mem > 0));

    const started = await Promise.all(
      onSource.map(async (guest, i) => {
        const form: Record<string, string | number> =
          guest.type === 'qemu' ? { target: targets[i % 2]!, online: 1, 'with-local-disks': 1 } : { target: targets[i % 2]!, restart: 1 };
        const reply = await migrate(guest.type, guest, form);
        assert.equal(reply.status, 200, `${guest.vmid}: ${reply.reason}`);
        return { guest, upid: reply.json.data as string };
      }),
    );
    const ended = await Promise.all(started.map(async (entry) => ({ ...entry, done: await t.waitTask(entry.upid) })));
    await t.run(t.clock.sleep(600_000)); // the HA stack moves its guests in tasks of its own
    for (const { guest, done } of ended) {
      const now = c.guest(guest.vmid)!;
      if (pinned.has(guest.vmid)) {
        assert.equal(done.exitstatus, 'migration aborted', `${guest.vmid}`);
        assert.equal(now.node, source);
      } else {
        assert.equal(done.exitstatus, 'OK', `${guest.vmid}`);
        assert.ok(targets.includes(now.node), `${guest.vmid} is on ${now.node}`);
        assert.equal(now.status, guest.status, `${guest.vmid} keeps its state`);
      }
    }
    assert.deepEqual(
      c
        .guests({ node: source })
        .map((g) => g.vmid)
        .sort(),
      [...pinned].sort(),
    );
    const after = await nodeMemory();
    assert.ok(after[source]!.mem < before[source]!.mem, 'the drained node uses less memory');
  });
});
