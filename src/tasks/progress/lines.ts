/**
 * What one task log line says about progress, as an event for the parser. The formats and the files
 * that print them (pve-api-facts.md section 5 and "Additions for the second round"):
 *
 * - vzdump, QEMU (qemu-server VZDump/QemuServer.pm), three generations:
 *   `INFO:  89% (13.4 GiB of 15.0 GiB) in 1m 42s, read: 124.0 MiB/s, write: ...`        (since 2020-08)
 *   `INFO: status: 12% (1.2 GiB of 10.0 GiB), duration 5, read: 200.0 MiB/s, write: ...` (2020-03..08)
 *   `INFO: status: 12% (1234567/10000000), sparse 3% (123), duration 5, read/write 200/150 MB/s`
 *   and `INFO: using fast incremental mode (dirty-bitmap), 6.4 GiB dirty of 200.0 GiB total` (PBS).
 * - vzdump job framing (pve-manager VZDump.pm): `starting new backup job: vzdump 101 102 ...`, `skip
 *   external VMs: 102` (guests of other nodes, backed up by their own node's task),
 *   `Starting Backup of VM 101 (qemu)`; containers: GNU tar's `Total bytes written: N (838MiB, 82MiB/s)`,
 *   rsync passes `first sync finished - transferred 2.74G bytes in 25s` (no percentage for either).
 * - block jobs (QemuServer/BlockJob.pm): `mirror-scsi0: transferred 25.7 GiB of 32.0 GiB (80.26%) in 6m 14s`
 *   (`drive-` before PVE 9), PVE 5: `drive-scsi0: transferred: N bytes remaining: N bytes total: N bytes
 *   progression: 0.03 % busy: 1 ready: 0`; qemu-img copies (QemuImage.pm): `transferred 1.2 GiB of 32.0
 *   GiB (3.75%)` after `create full clone of drive scsi0 (...)`.
 * - migration RAM phase (QemuMigrate.pm): `migration active, transferred 1.1 GiB of 4.0 GiB VM-state,
 *   112.2 MiB/s`, `migration completed, transferred 4.0 GiB VM-state`, `migration status: completed`;
 *   PVE 6: `migration status: active (transferred N, remaining N), total N)`.
 * - offline disk copies (pvesm export | pvesm import): dd's `4521984 bytes (4.5 MB, 4.3 MiB) copied, 0.8 s, ...`.
 * - a live migration's local disks (QemuMigrate.pm `scan_local_volumes`): `found local disk 'local-lvm:vm-101-disk-0'
 *   (attached)`, one line per disk, each then mirrored in turn (one block job after the other).
 * - a container's restart migration (pve-container LXC/Migrate.pm): `shutdown CT 104` before its volumes
 *   are copied, `start container on target node` after: stages without bytes.
 * - restores: vma `DEV: dev_id=1 size: N devname: drive-scsi0` then `progress 10% (read N bytes, duration
 *   N sec)`; pbs-restore `progress 55% (read N bytes, zeroes = 82% (N bytes), duration 202 sec)` after
 *   `restore proxmox backup image: ... drive-scsi0.img.fidx ...`, ending `restore image complete (bytes=N, ...)`.
 * - snapshot with RAM (QemuConfig.pm): `1.02 GiB in 1s`, `completed saving the VM state in 5s, saved 3.20 GiB`.
 *
 * Lines may carry a prefix (a timestamp, a vzdump log file name, a guest id), so patterns are not anchored
 * at the line start unless the format is a whole line.
 */
import { DURATION, PERCENT, SIZE, bytesOf, lineTimeOf, rsyncBytesOf, secondsOf } from './units.js';

/** `shutdown` and `start`: a container's restart migration stopping it, then starting it on the target. */
export type ProgressPhase = 'backup' | 'disk' | 'memory' | 'restore' | 'copy' | 'vmstate' | 'shutdown' | 'start';

/** One measurement of a step of the task: a disk, the RAM, the backup of a guest. */
export interface StepReading {
  kind: 'step';
  /** Which step; when absent the parser names it from the drive the log last announced. */
  key?: string;
  phase: ProgressPhase;
  item?: string;
  done?: number;
  total?: number;
  /** As PVE prints it; absent when PVE prints none. */
  percent?: number;
  elapsedSeconds?: number;
  /** A rate PVE states, bytes per second. */
  rate?: number;
  /** The step is over (a final summary line). */
  complete?: true;
}

export type LineEvent =
  | StepReading
  | { kind: 'job'; vmids: number[] }
  | { kind: 'external'; vmids: number[] }
  | { kind: 'guest'; vmid: number }
  | { kind: 'changed-only' }
  | { kind: 'drive'; item: string }
  | { kind: 'vma-device'; bytes: number }
  | { kind: 'memory-status'; remaining: number; total: number; transferred: number; time?: number }
  | { kind: 'memory-done'; transferred?: number }
  /** What the task does now when it moves no bytes (a container shut down or started by its migration). */
  | { kind: 'stage'; phase: ProgressPhase }
  /** A migration found one more attached local disk: it will be mirrored, one after the other. */
  | { kind: 'attached-disk' };

const rate = String.raw`${SIZE}\/s`;

const VZDUMP = new RegExp(String.raw`\bINFO: +(\d{1,3})% \(${SIZE} of ${SIZE}\)(?: in ${DURATION})?(?:, read: ${rate})?`);
const VZDUMP_2020 = new RegExp(String.raw`\bINFO: status: (\d{1,3})% \(${SIZE} of ${SIZE}\)(?:, duration (\d+))?(?:, read: ${rate})?`);
const VZDUMP_OLD =
  /\bINFO: status: (\d{1,3})% \((\d+)\/(\d+)\)(?:, sparse \d+% \(\d+\))?(?:, duration (\d+))?(?:, read\/write (\d+)\/\d+ MB\/s)?/;
const JOB = /\bINFO: starting new backup job: vzdump((?: \d+)*)/;
const EXTERNAL = /\bINFO: skip external VMs: (\d+(?:, \d+)*)/;
const GUEST = /\bINFO: Starting Backup of VM (\d+) /;
const CHANGED_ONLY = /\busing fast incremental mode \(dirty-bitmap\)/;
const TAR_TOTAL = new RegExp(String.raw`\bINFO: Total bytes written: (\d+)(?: \(${SIZE}, ${rate}\))?`);
const RSYNC = /\bINFO: (?:first|final) sync finished - transferred (\d+(?:\.\d+)?)([KMGTP]?) bytes in (\d+)s/;
const BLOCK_JOB = new RegExp(String.raw`(?:^|\s)([A-Za-z][\w.-]*): transferred ${SIZE} of ${SIZE} \(${PERCENT} ?%\)(?: in ${DURATION})?`);
const BLOCK_JOB_PVE5 = new RegExp(
  String.raw`(?:^|\s)([A-Za-z][\w.-]*): transferred: (\d+) bytes remaining: (\d+) bytes total: (\d+) bytes progression: ${PERCENT} ?%`,
);
const QEMU_IMG = new RegExp(String.raw`(?:^|\s)transferred ${SIZE} of ${SIZE} \(${PERCENT} ?%\)`);
const CLONE_DRIVE = /\bcreate full clone of drive ([\w-]+) /;
const MEMORY = new RegExp(String.raw`\bmigration [a-z-]+, transferred ${SIZE} of ${SIZE} VM-state(?:, ${rate})?`);
const MEMORY_COMPLETED = new RegExp(String.raw`\bmigration completed, transferred ${SIZE} VM-state`);
const MEMORY_STATUS_COMPLETED = /\bmigration status: completed\b/;
const MEMORY_PVE6 = /\bmigration status: active \(transferred (\d+), remaining (\d+)\), total (\d+)\)/;
const DD_COPIED = /\b(\d+) bytes (?:\([^)]*\) )?copied, (\d+(?:\.\d+)?) s\b/;
const VMA_DEVICE = /^DEV: dev_id=\d+ size: (\d+) devname: /;
const PBS_IMAGE = /\brestore proxmox backup image: .*\b(drive-[\w-]+)\.img\.fidx\b/;
const RESTORE = /^progress (\d{1,3})% \(read (\d+) bytes, (?:zeroes = \d+% \(\d+ bytes\), )?duration (\d+) sec\)/;
const RESTORE_COMPLETE = /^restore image complete \(bytes=(\d+), duration=(\d+(?:\.\d+)?)s/;
const VMSTATE = new RegExp(String.raw`^${SIZE} in ${DURATION}$`);
const VMSTATE_DONE = new RegExp(String.raw`^completed saving the VM state in ${DURATION}, saved ${SIZE}`);
const ATTACHED_DISK = /\bfound local disk '[^']+' \(attached\)$/;
const CT_SHUTDOWN = /\bshutdown CT \d+$/;
const CT_START_ON_TARGET = /\bstart container on target node$/;

/** The progress event a line states, or undefined when it states none. */
export function readLine(line: string): LineEvent | undefined {
  let m: RegExpExecArray | null;
  if ((m = VZDUMP.exec(line)) || (m = VZDUMP_2020.exec(line))) {
    return defined(
      { kind: 'step', key: 'backup', phase: 'backup', percent: Number(m[1]) },
      {
        done: bytesOf(m[2]!, m[3]!),
        total: bytesOf(m[4]!, m[5]!),
        elapsedSeconds: m[6] === undefined ? undefined : /^\d+$/.test(m[6]) ? Number(m[6]) : secondsOf(m[6]),
        rate: m[7] === undefined ? undefined : bytesOf(m[7], m[8]!),
      },
    );
  }
  if ((m = VZDUMP_OLD.exec(line))) {
    return defined(
      { kind: 'step', key: 'backup', phase: 'backup', percent: Number(m[1]) },
      {
        done: Number(m[2]),
        total: Number(m[3]),
        elapsedSeconds: m[4] === undefined ? undefined : Number(m[4]),
        rate: m[5] === undefined ? undefined : Number(m[5]) * 1000 ** 2,
      },
    );
  }
  if ((m = BLOCK_JOB.exec(line))) {
    return defined(
      { kind: 'step', key: m[1]!, item: m[1]!, phase: 'disk', percent: Number(m[6]) },
      {
        done: bytesOf(m[2]!, m[3]!),
        total: bytesOf(m[4]!, m[5]!),
        elapsedSeconds: m[7] === undefined ? undefined : secondsOf(m[7]),
      },
    );
  }
  if ((m = BLOCK_JOB_PVE5.exec(line))) {
    return { kind: 'step', key: m[1]!, item: m[1]!, phase: 'disk', done: Number(m[2]), total: Number(m[4]), percent: Number(m[5]) };
  }
  if ((m = QEMU_IMG.exec(line))) {
    return { kind: 'step', phase: 'disk', done: bytesOf(m[1]!, m[2]!), total: bytesOf(m[3]!, m[4]!), percent: Number(m[5]) };
  }
  if ((m = MEMORY.exec(line))) {
    return defined(
      { kind: 'step', key: 'memory', phase: 'memory' },
      {
        done: bytesOf(m[1]!, m[2]!),
        total: bytesOf(m[3]!, m[4]!),
        rate: m[5] === undefined ? undefined : bytesOf(m[5], m[6]!),
      },
    );
  }
  if ((m = MEMORY_COMPLETED.exec(line))) return { kind: 'memory-done', transferred: bytesOf(m[1]!, m[2]!) };
  if (MEMORY_STATUS_COMPLETED.test(line)) return { kind: 'memory-done' };
  if ((m = MEMORY_PVE6.exec(line))) {
    const event: LineEvent = { kind: 'memory-status', transferred: Number(m[1]), remaining: Number(m[2]), total: Number(m[3]) };
    const time = lineTimeOf(line);
    if (time !== undefined) event.time = time;
    return event;
  }
  if ((m = RESTORE.exec(line))) {
    const elapsed = Number(m[3]);
    return { kind: 'step', phase: 'restore', percent: Number(m[1]), done: Number(m[2]), elapsedSeconds: elapsed };
  }
  if ((m = RESTORE_COMPLETE.exec(line))) {
    const bytes = Number(m[1]);
    return { kind: 'step', phase: 'restore', done: bytes, total: bytes, percent: 100, elapsedSeconds: Number(m[2]), complete: true };
  }
  if ((m = TAR_TOTAL.exec(line))) {
    return defined(
      { kind: 'step', key: 'backup', phase: 'backup', done: Number(m[1]), complete: true },
      {
        rate: m[4] === undefined ? undefined : bytesOf(m[4], m[5]!),
      },
    );
  }
  if ((m = RSYNC.exec(line))) {
    return { kind: 'step', key: 'sync', phase: 'copy', done: rsyncBytesOf(m[1]!, m[2]!), elapsedSeconds: Number(m[3]), complete: true };
  }
  if ((m = DD_COPIED.exec(line))) {
    return { kind: 'step', key: 'copy', phase: 'copy', done: Number(m[1]), elapsedSeconds: Number(m[2]), complete: true };
  }
  if ((m = VMSTATE.exec(line.trim()))) {
    return { kind: 'step', key: 'vmstate', phase: 'vmstate', done: bytesOf(m[1]!, m[2]!), elapsedSeconds: secondsOf(m[3]!) };
  }
  if ((m = VMSTATE_DONE.exec(line))) {
    return {
      kind: 'step',
      key: 'vmstate',
      phase: 'vmstate',
      done: bytesOf(m[2]!, m[3]!),
      elapsedSeconds: secondsOf(m[1]!),
      complete: true,
    };
  }
  if (ATTACHED_DISK.test(line)) return { kind: 'attached-disk' };
  if (CT_SHUTDOWN.test(line)) return { kind: 'stage', phase: 'shutdown' };
  if (CT_START_ON_TARGET.test(line)) return { kind: 'stage', phase: 'start' };
  if ((m = GUEST.exec(line))) return { kind: 'guest', vmid: Number(m[1]) };
  if ((m = JOB.exec(line))) return { kind: 'job', vmids: m[1]!.trim() ? m[1]!.trim().split(' ').map(Number) : [] };
  if ((m = EXTERNAL.exec(line))) return { kind: 'external', vmids: m[1]!.split(', ').map(Number) };
  if (CHANGED_ONLY.test(line)) return { kind: 'changed-only' };
  if ((m = CLONE_DRIVE.exec(line)) || (m = PBS_IMAGE.exec(line))) return { kind: 'drive', item: m[1]! };
  if ((m = VMA_DEVICE.exec(line))) return { kind: 'vma-device', bytes: Number(m[1]) };
  return undefined;
}

/** Adds the fields a line stated; the optional parts of a format leave the others out. */
function defined(reading: StepReading, fields: Partial<StepReading>): StepReading {
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined) (reading as unknown as Record<string, unknown>)[name] = value;
  }
  return reading;
}
