/**
 * Progress parsed from task log lines. The PVE API has no progress field anywhere, so the log is the
 * only source (pve-api-facts.md section 5). Formats understood:
 *
 * - vzdump (QEMU guests), three generations:
 *   `INFO:  89% (13.4 GiB of 15.0 GiB) in 1m 42s, read: ..., write: ...`            (PVE >= 6.2)
 *   `INFO: status: 12% (1.2 GiB of 10.0 GiB), duration 5, read: ..., write: ...`     (2020-03..08)
 *   `INFO: status: 12% (1234567/10000000), sparse 3% (123), duration 5, ...`         (PVE <= 6.1)
 * - block-job mirrors (disk move, clone or migration of a running VM), and qemu-img copies:
 *   `mirror-scsi0: transferred 25.7 GiB of 32.0 GiB (80.26%) in 6m 14s`
 *   `transferred 1.2 GiB of 32.0 GiB (3.75%)`
 *   `drive-scsi0: transferred: 2162688 bytes remaining: ... bytes total: ... bytes progression: 0.03 % ...` (PVE 5)
 * - live migration of RAM, timestamped:
 *   `2026-01-01 10:00:00 migration active, transferred 1.2 GiB of 8.0 GiB VM-state, 110.3 MiB/s`
 *
 * A multi-guest vzdump log holds one run of progress lines per guest. We report the guest currently
 * being backed up: once a later `Starting Backup of VM N` line appears, the previous guest's 100% is no
 * longer the task's progress, so until the new guest prints a line there is no progress (containers print
 * none at all).
 */

export interface TaskProgress {
  /** 0..100, as the log gives it (two decimals for block jobs, whole numbers for vzdump). */
  percent?: number;
  bytesDone?: number;
  bytesTotal?: number;
}

const UNIT_BYTES: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  PiB: 1024 ** 5,
  // PVE renders binary units; decimal ones are accepted in case a tool passes its own text through.
  kB: 1000,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  TB: 1000 ** 4,
  PB: 1000 ** 5,
};

const SIZE = String.raw`(\d+(?:\.\d+)?) ?(B|KiB|MiB|GiB|TiB|PiB|kB|KB|MB|GB|TB|PB)`;
const PERCENT = String.raw`(\d+(?:\.\d+)?)`;

const VZDUMP_RE = new RegExp(String.raw`\bINFO: +(\d{1,3})% \(${SIZE} of ${SIZE}\)`);
const VZDUMP_2020_RE = new RegExp(String.raw`\bINFO: status: (\d{1,3})% \(${SIZE} of ${SIZE}\)`);
const VZDUMP_OLD_RE = /\bINFO: status: (\d{1,3})% \((\d+)\/(\d+)\)/;
const TRANSFERRED_RE = new RegExp(String.raw`\btransferred ${SIZE} of ${SIZE} \(${PERCENT} ?%\)`);
const BLOCKJOB_PVE5_RE = new RegExp(
  String.raw`\btransferred: (\d+) bytes remaining: (\d+) bytes total: (\d+) bytes progression: ${PERCENT} ?%`,
);
const MIGRATION_RE = new RegExp(String.raw`\bmigration [a-z-]+, transferred ${SIZE} of ${SIZE} VM-state`);
const NEXT_GUEST_RE = /\bStarting Backup of VM \d+/;

function bytes(amount: string, unit: string): number {
  return Math.round(Number(amount) * UNIT_BYTES[unit]!);
}

function percentOf(done: number, total: number): number {
  if (!(total > 0)) return 0;
  // Migration may send more than the VM's RAM (dirty pages are sent again): cap at 100.
  return Math.min(100, Math.round((done / total) * 10_000) / 100);
}

/** The progress one log line states, or undefined when it states none. */
export function parseProgressLine(line: string): TaskProgress | undefined {
  let m: RegExpExecArray | null;
  if ((m = VZDUMP_RE.exec(line)) || (m = VZDUMP_2020_RE.exec(line))) {
    return { percent: Number(m[1]), bytesDone: bytes(m[2]!, m[3]!), bytesTotal: bytes(m[4]!, m[5]!) };
  }
  if ((m = VZDUMP_OLD_RE.exec(line))) {
    return { percent: Number(m[1]), bytesDone: Number(m[2]), bytesTotal: Number(m[3]) };
  }
  if ((m = TRANSFERRED_RE.exec(line))) {
    return { percent: Number(m[5]), bytesDone: bytes(m[1]!, m[2]!), bytesTotal: bytes(m[3]!, m[4]!) };
  }
  if ((m = BLOCKJOB_PVE5_RE.exec(line))) {
    return { percent: Number(m[4]), bytesDone: Number(m[1]), bytesTotal: Number(m[3]) };
  }
  if ((m = MIGRATION_RE.exec(line))) {
    const done = bytes(m[1]!, m[2]!);
    const total = bytes(m[3]!, m[4]!);
    return { percent: percentOf(done, total), bytesDone: done, bytesTotal: total };
  }
  return undefined;
}

/** The latest progress in a task log (see the module comment); `{}` when the lines state none. */
export function parseTaskProgress(lines: readonly string[]): TaskProgress {
  // Newest first: a long vzdump log is scanned only back to its latest progress line.
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    const progress = parseProgressLine(line);
    if (progress) return progress;
    if (NEXT_GUEST_RE.test(line)) return {};
  }
  return {};
}
