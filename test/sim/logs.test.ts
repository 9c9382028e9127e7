// Backup logs in PVE's real formats: GNU tar totals and format_size for containers, backups to a
// Proxmox Backup Server (dirty bitmaps, incremental totals), LXC suspend and stop modes, and the
// renderers they use.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatVzdumpSize, renderDdStats, renderTarSize, roundPowerOf2 } from '../../src/sim/format.js';
import { startTestSim, type TestSim } from './helpers.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

test('renderers: tar totals, format_size, dd statistics, the migration cache size', () => {
  assert.equal(renderTarSize(880_834_560), '841MiB');
  assert.equal(renderTarSize(85 * MiB + 1), '86MiB');
  assert.equal(renderTarSize(4.21 * GiB), '4.3GiB');
  assert.equal(renderTarSize(9.99 * GiB), '10GiB');
  assert.equal(renderTarSize(10_240), '10KiB');
  assert.equal(renderTarSize(512), '512B');
  assert.equal(formatVzdumpSize(900 * 1024), '900KB');
  assert.equal(formatVzdumpSize(862.7 * MiB), '862MB');
  assert.equal(formatVzdumpSize(3.18 * GiB), '3.18GB');
  assert.equal(formatVzdumpSize(1536 * GiB), '1.50TB');
  assert.equal(renderDdStats(1_291_714_560, 3, false), '1291714560 bytes (1.3 GB, 1.2 GiB) copied, 3 s, 431 MB/s');
  assert.equal(renderDdStats(34_359_738_368, 85.37214, true), '34359738368 bytes (34 GB, 32 GiB) copied, 85.3721 s, 402 MB/s');
  assert.equal(roundPowerOf2((4 * GiB) / 10), 512 * MiB);
  assert.equal(roundPowerOf2((8 * GiB) / 10), GiB);
});

describe('simulator backup logs', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim({ seed: 14 });
  });
  after(() => t.close());
  const backup = async (node: string, form: Record<string, string | number>) => {
    const reply = await t.api(`/nodes/${node}/vzdump`, { method: 'POST', form });
    assert.equal(reply.status, 200, reply.reason);
    const done = await t.waitTask(reply.json.data);
    return { exitstatus: done.exitstatus as string, log: await t.log(reply.json.data) };
  };
  const info = (log: string[]) => log.filter((line) => line.startsWith('INFO: ')).map((line) => line.slice(6));

  test('a CT to a file: GNU tar totals (no space, no fixed decimals) and format_size, no percentage', async () => {
    const ct = t.sim.control.guestWithRole('runningLxc');
    const { exitstatus, log } = await backup(ct.node, { vmid: ct.vmid, storage: 'local', compress: 'zstd' });
    assert.equal(exitstatus, 'OK');
    const lines = info(log);
    assert.ok(
      lines.some((line) => /^Total bytes written: \d+ \(\d+(\.\d)?[KMGT]iB, \d+(\.\d)?[KMGT]iB\/s\)$/.test(line)),
      lines.join('\n'),
    );
    assert.ok(lines.some((line) => /^archive file size: (\d+(KB|MB)|\d+\.\d\dGB)$/.test(line)));
    assert.ok(!log.some((line) => /\d+%/.test(line)), 'a CT backup prints no percentage');
    const archive = new RegExp(
      `^creating vzdump archive '/var/lib/vz/dump/vzdump-lxc-${ct.vmid}-\\d{4}_\\d\\d_\\d\\d-\\d\\d_\\d\\d_\\d\\d\\.tar\\.zst'$`,
    );
    assert.ok(lines.some((line) => archive.test(line)));
  });

  test('a running CT in suspend mode: two rsync passes around the freeze; in stop mode "stopping virtual guest" and back online', async () => {
    const ct = t.sim.control.guestWithRole('runningLxc');
    const suspend = info((await backup(ct.node, { vmid: ct.vmid, storage: 'backup-nfs', mode: 'suspend' })).log);
    const order = [
      'backup mode: suspend',
      'starting first sync',
      'first sync finished - transferred',
      'suspending guest',
      'starting final sync',
      'final sync finished - transferred',
      'resuming guest',
      'guest is online again after',
      "creating vzdump archive '/mnt/pve/backup-nfs/dump/",
      'Total bytes written:',
    ].map((prefix) => suspend.findIndex((line) => line.startsWith(prefix)));
    assert.ok(
      order.every((index, i) => index >= 0 && (i === 0 || index > order[i - 1]!)),
      suspend.join('\n'),
    );
    assert.match(
      suspend.find((line) => line.startsWith('starting first sync'))!,
      /^starting first sync \/proc\/\d+\/root\/ to \/var\/tmp\/vzdumptmp\d+_\d+$/,
    );
    assert.match(
      suspend.find((line) => line.startsWith('first sync finished'))!,
      /^first sync finished - transferred \d+\.\d\d[KMG] bytes in \d+s$/,
    );
    assert.ok(
      suspend.some((line) => /^filesystem type on dumpdir is 'nfs' -using \/var\/tmp\/vzdumptmp\d+_\d+ for temporary files$/.test(line)),
    );

    const stop = info((await backup(ct.node, { vmid: ct.vmid, storage: 'local', mode: 'stop' })).log);
    const stopOrder = [
      'backup mode: stop',
      'stopping virtual guest',
      'creating vzdump archive',
      'Total bytes written:',
      'restarting vm',
      'guest is online again after',
    ].map((prefix) => stop.findIndex((line) => line.startsWith(prefix)));
    assert.ok(
      stopOrder.every((index, i) => index >= 0 && (i === 0 || index > stopOrder[i - 1]!)),
      stop.join('\n'),
    );
    assert.equal(t.sim.control.guest(ct.vmid)?.status, 'running');
  });

  test('a VM to PBS: the archive name, a new dirty bitmap, then an incremental run whose total is the dirty data', async () => {
    const vm = t.sim.control.guestWithRole('runningQemu');
    const first = info((await backup(vm.node, { vmid: vm.vmid, storage: 'pbs-backup' })).log);
    assert.ok(
      first.some((line) =>
        new RegExp(`^creating Proxmox Backup Server archive 'vm/${vm.vmid}/\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ'$`).test(line),
      ),
    );
    assert.ok(first.includes('scsi0: dirty-bitmap status: created new'));
    assert.ok(!first.some((line) => line.startsWith('using fast incremental mode')));
    const full = /^100% \([\d.]+ \w+ of ([\d.]+ \w+)\)/.exec(first.find((line) => line.startsWith('100% '))!)![1];

    await t.run(t.clock.sleep(2 * 3600_000));
    const second = info((await backup(vm.node, { vmid: vm.vmid, storage: 'pbs-backup' })).log);
    const dirty = /^scsi0: dirty-bitmap status: OK \(([\d.]+ \w+) of ([\d.]+ \w+) dirty\)$/.exec(
      second.find((line) => line.startsWith('scsi0: dirty-bitmap'))!,
    );
    assert.ok(dirty, second.join('\n'));
    assert.ok(second.some((line) => line.startsWith(`using fast incremental mode (dirty-bitmap), ${dirty[1]} dirty of `)));
    // Every progress line counts against the dirty data, not the disk.
    const progress = second.filter((line) => /^ *\d+% \(/.test(line));
    assert.ok(progress.length >= 2);
    for (const line of progress) assert.match(line, new RegExp(`^ *\\d+% \\([\\d.]+ \\w+ of ${dirty[1]!.replace('.', '\\.')}\\) in `));
    assert.notEqual(dirty[1], full);
    assert.ok(second.some((line) => /^backup was done incrementally, reused [\d.]+ \w+ \(\d+%\)$/.test(line)));
    assert.ok(second.some((line) => /^transferred [\d.]+ \w+ in \d+ seconds \([\d.]+ \w+\/s\)$/.test(line)));

    // A stop loses the bitmap: the next backup reads everything again.
    const stopped = await t.api(`/nodes/${vm.node}/qemu/${vm.vmid}/status/stop`, { method: 'POST' });
    await t.waitTask(stopped.json.data);
    const cold = info((await backup(vm.node, { vmid: vm.vmid, storage: 'pbs-backup' })).log);
    assert.ok(cold.includes('starting kvm to execute backup task'));
    assert.ok(cold.includes('scsi0: dirty-bitmap status: created new'));
    assert.ok(cold.includes('stopping kvm after backup task'));
  });

  test("a CT to PBS: proxmox-backup-client output, the second run reusing the first one's chunks", async () => {
    const ct = t.sim.control.guests({ type: 'lxc', status: 'running' }).find((g) => g.roles.length === 0 && !g.hastate)!;
    const first = info((await backup(ct.node, { vmid: ct.vmid, storage: 'pbs-backup' })).log);
    assert.ok(first.some((line) => new RegExp(`^creating Proxmox Backup Server archive 'ct/${ct.vmid}/\\S+Z'$`).test(line)));
    assert.ok(first.includes(`Client name: ${ct.node}`));
    assert.ok(first.includes('No previous manifest available.'));
    assert.ok(
      first.some((line) => /^root\.pxar: had to backup [\d.]+ \w+ of [\d.]+ \w+ \(compressed [\d.]+ \w+\) in \d+\.\d\ds$/.test(line)),
    );
    const second = info((await backup(ct.node, { vmid: ct.vmid, storage: 'pbs-backup' })).log);
    assert.ok(second.some((line) => line.startsWith('Downloading previous manifest (')));
    assert.ok(second.some((line) => /^root\.pxar: backup was done incrementally, reused [\d.]+ \w+ \(\d+\.\d%\)$/.test(line)));
  });

  test('/version answers with the PVE major the cluster speaks', async () => {
    const version = await t.api('/version');
    assert.deepEqual(Object.keys(version.json.data).sort(), ['release', 'repoid', 'version']);
    assert.equal(version.json.data.release, '9.1');
  });
});
