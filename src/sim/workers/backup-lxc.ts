/**
 * A container's part of a vzdump job, as pve-container's PVE/VZDump/LXC.pm and pve-manager's
 * VZDump.pm log it. No percentages: GNU tar prints one total at the end (`Total bytes written: N
 * (841MiB, 82MiB/s)`), proxmox-backup-client its upload summary. Suspend mode copies the CT with two
 * rsync passes around a short freeze; stop mode stops it and starts it again afterwards.
 */
import type { TaskWorker, WorkerContext } from '../engine.js';
import { formatVzdumpSize, renderTarSize } from '../format.js';
import type { GuestState } from '../model.js';
import { fail, MiB, setRunning, setStopped } from './common.js';
import { archivePath, compressionRatio, lxcTmpdir, pbsSnapshot, type GuestBackup } from './vzdump.js';

export function* backupLxc(ctx: WorkerContext, guest: GuestState, job: GuestBackup): TaskWorker {
  const { log, plan, storage } = job;
  const wasRunning = guest.status === 'running';
  const mode = wasRunning ? plan.mode : 'stop';
  const pbs = storage.type === 'pbs';
  const prepare = () => {
    log(`CT Name: ${guest.name}`);
    log(`including mount point rootfs ('/') in backup`);
  };
  // VZDump.pm prepares snapshot mode before it logs the mode, the others after.
  if (mode === 'snapshot') prepare();
  log(`backup mode: ${mode}`);
  log('ionice priority: 7');
  if (mode !== 'snapshot') prepare();
  const seconds = (rate: number) => Math.max(2, Math.round(guest.diskUsed / rate));
  let stoppedAt: number | undefined;
  const sourceDir = mode === 'suspend' ? `/proc/${20_000 + guest.vmid * 13}/root/` : '/mnt/vzsnap0/';
  const tmpdir = pbs || storage.type === 'nfs' ? lxcTmpdir(ctx, guest) : archivePath(guest, job, 'tmp').replace(/\.tmp.*$/, '.tmp');
  if (mode === 'snapshot') {
    log(`create storage snapshot 'vzdump'`);
  } else if (mode === 'stop' && wasRunning) {
    log('stopping virtual guest');
    stoppedAt = ctx.now();
    yield { sleep: ctx.rng.range(1500, 6000) };
    setStopped(guest);
  } else if (mode === 'suspend') {
    // LXC.pm: a first rsync while the CT runs, a final one while it is frozen.
    const first = guest.diskUsed;
    log(`starting first sync ${sourceDir} to ${tmpdir}`);
    const firstSeconds = seconds(ctx.rng.range(150, 400) * MiB);
    yield { sleep: firstSeconds * 1000 };
    log(`first sync finished - transferred ${rsyncSize(first)} bytes in ${firstSeconds}s`);
    log('suspending guest');
    stoppedAt = ctx.now();
    const final = Math.round(first * ctx.rng.range(0.0005, 0.01));
    log(`starting final sync ${sourceDir} to ${tmpdir}`);
    const finalSeconds = Math.max(1, Math.round(final / (200 * MiB)));
    yield { sleep: finalSeconds * 1000 };
    log(`final sync finished - transferred ${rsyncSize(final)} bytes in ${finalSeconds}s`);
    log('resuming guest');
    log(`guest is online again after ${onlineAfter(ctx, stoppedAt)} seconds`);
  }
  log(
    pbs
      ? `creating Proxmox Backup Server archive '${pbsSnapshot(guest, job)}'`
      : `creating vzdump archive '${archivePath(guest, job, 'tar')}'`,
  );
  for (const warning of guest.backupWarnings ?? []) ctx.warn(warning);
  const rate = ctx.rng.range(80, 250) * MiB;
  if (guest.backupError) {
    yield { sleep: (seconds(rate) * 1000) / 3 };
    if (pbs) throw fail(`command '/usr/bin/proxmox-backup-client backup ...' failed: exit code 255`);
    throw fail(`command 'set -o pipefail && lxc-usernsexec -m u:0:100000:65536 -m g:0:100000:65536 -- tar cpf - ...' failed: exit code 2`);
  }
  if (pbs) yield* pbsClient(ctx, guest, job, mode === 'suspend' ? tmpdir : sourceDir, tmpdir);
  else {
    yield { sleep: seconds(rate) * 1000 };
    log(`Total bytes written: ${guest.diskUsed} (${renderTarSize(guest.diskUsed)}, ${renderTarSize(rate)}/s)`);
    log(`archive file size: ${formatVzdumpSize(guest.diskUsed * compressionRatio(plan.compress))}`);
  }
  if (mode === 'snapshot') {
    log(`cleanup temporary 'vzdump' snapshot`);
    if (guest.disks[0]?.storage === 'local-lvm') ctx.log(`  Logical volume "snap_vm-${guest.vmid}-disk-0_vzdump" successfully removed.`);
  }
  if (mode === 'stop' && wasRunning) {
    log('restarting vm');
    yield { sleep: ctx.rng.range(1500, 4000) };
    setRunning(guest, ctx.now());
    log(`guest is online again after ${onlineAfter(ctx, stoppedAt!)} seconds`);
  }
}

/**
 * proxmox-backup-client's output (proxmox-backup: proxmox-backup-client/src/main.rs, pbs-client
 * backup_writer.rs), each line prefixed INFO: by vzdump; sizes as HumanByte prints them.
 */
function* pbsClient(ctx: WorkerContext, guest: GuestState, job: GuestBackup, rootDir: string, tmpdir: string): TaskWorker {
  const { log, storage } = job;
  const snapshot = pbsSnapshot(guest, job);
  const repository = `root@pam@pbs.example.com:${storage.datastore ?? 'store1'}`;
  const node = guest.node;
  log(
    `run: lxc-usernsexec -m u:0:100000:65536 -m g:0:100000:65536 -- /usr/bin/proxmox-backup-client backup --crypt-mode=none ` +
      `pct.conf:${tmpdir}/etc/vzdump/pct.conf root.pxar:${rootDir.replace(/\/$/, '')} --include-dev ${rootDir}./ --skip-lost-and-found ` +
      `--exclude=/tmp/?* --exclude=/var/tmp/?* --exclude=/var/run/?*.pid --backup-type ct --backup-id ${guest.vmid} ` +
      `--backup-time ${Math.floor(job.startedAt / 1000)} --repository ${repository}`,
  );
  log(`Starting backup: ${snapshot}`);
  log(`Client name: ${node}`);
  log(`Starting backup protocol: ${ctime(ctx.now())}`);
  const previous = guest.pbsLastBackupAt;
  log(previous === undefined ? 'No previous manifest available.' : `Downloading previous manifest (${ctime(previous)})`);
  const server = `root@pam@pbs.example.com:8007:${storage.datastore ?? 'store1'}`;
  log(`Upload config file '${tmpdir}/etc/vzdump/pct.conf' to '${server}' as pct.conf.blob`);
  log(`Upload directory '${rootDir.replace(/\/$/, '') || '/'}' to '${server}' as root.pxar.didx`);
  const size = guest.diskUsed;
  const dirty = previous === undefined ? size : Math.min(size, Math.round(size * ctx.rng.range(0.02, 0.15)));
  const rate = ctx.rng.range(60, 200) * MiB;
  const seconds = Math.max(1, size / (rate * 4) + dirty / rate);
  yield { sleep: seconds * 1000 };
  log(
    `root.pxar: had to backup ${humanByte(dirty)} of ${humanByte(size)} (compressed ${humanByte(dirty * 0.4)}) in ${seconds.toFixed(2)}s`,
  );
  log(`root.pxar: average backup speed: ${humanByte(dirty / seconds)}/s`);
  if (size > dirty)
    log(`root.pxar: backup was done incrementally, reused ${humanByte(size - dirty)} (${(((size - dirty) * 100) / size).toFixed(1)}%)`);
  log(`Uploaded backup catalog (${humanByte(Math.max(200_000, size / 2000))})`);
  log(`Duration: ${(seconds + 0.4).toFixed(2)}s`);
  log(`End Time: ${ctime(ctx.now())}`);
  guest.pbsLastBackupAt = ctx.now();
  return undefined;
}

function onlineAfter(ctx: WorkerContext, since: number): string {
  const seconds = Math.round(((ctx.now() - since) / 1000) * ctx.engine.speed);
  return seconds < 1 ? '<1' : String(seconds);
}

/** rsync `-h --stats` sizes: units of 1000 with two decimals (`1.23G`). */
function rsyncSize(bytes: number): string {
  const units = ['', 'K', 'M', 'G', 'T'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? String(Math.round(value)) : `${value.toFixed(2)}${units[unit]}`;
}

/** proxmox HumanByte: base-1024 units, up to three decimals without trailing zeros (`4 MiB`, `10.943 GiB`). */
function humanByte(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? Math.round(value) : Number(value.toFixed(3))} ${units[unit]}`;
}

/** strftime `%c` in the C locale on UTC: `Wed Sep 10 12:00:01 2026`. */
function ctime(ms: number): string {
  const date = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (value: number) => String(value).padStart(2, '0');
  return (
    `${days[date.getUTCDay()]} ${months[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${date.getUTCFullYear()}`
  );
}
