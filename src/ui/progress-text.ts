/**
 * The words beside a progress bar: what the task is on, how fast, how long still (as far as the log
 * says), and for a backup job which guest of how many. Pure text for the detail view and the summary.
 */
import { summarizeGuestResults } from '../tasks/backup-log.js';
import type { TaskProgress, TaskRow } from '../tasks/store.js';
import { formatElapsed } from '../util/duration.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `12.3 GiB`, as PVE renders sizes (binary units, one decimal). */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/**
 * `guest 102 (2 of 5) · drive-scsi0 · 4.1 of 32.0 GiB · 120.5 MiB/s · ETA 3m 20s · changed data only`; a
 * migration's disks mirrored in turn: `mirror-scsi1 (disk 2 of 3)`.
 */
export function progressDetails(progress: TaskProgress | undefined, separator: string): string {
  if (!progress) return '';
  const parts: string[] = [];
  const { guest } = progress;
  if (guest) parts.push(`guest ${guest.vmid} (${guest.index}${guest.count ? ` of ${guest.count}` : ''})`);
  if (progress.item)
    parts.push(
      progress.disk
        ? `${progress.item} (disk ${progress.disk.index}${progress.disk.count ? ` of ${progress.disk.count}` : ''})`
        : progress.item,
    );
  if (progress.bytesDone !== undefined) {
    parts.push(
      progress.bytesTotal
        ? `${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)}`
        : `${formatBytes(progress.bytesDone)} done`,
    );
  }
  if (progress.bytesPerSecond !== undefined) parts.push(`${formatBytes(progress.bytesPerSecond)}/s`);
  if (progress.etaSeconds !== undefined) parts.push(`ETA ${formatElapsed(progress.etaSeconds * 1000)}`);
  if (progress.changedDataOnly) parts.push('changed data only');
  return parts.join(separator);
}

/** Throughput and time left for a row's outcome cell: `120.5 MiB/s, ETA 3m 20s`; '' when the log says neither. */
export function rateAndEta(progress: TaskProgress | undefined): string {
  if (!progress) return '';
  const parts: string[] = [];
  if (progress.bytesPerSecond !== undefined) parts.push(`${formatBytes(progress.bytesPerSecond)}/s`);
  if (progress.etaSeconds !== undefined) parts.push(`ETA ${formatElapsed(progress.etaSeconds * 1000)}`);
  return parts.join(', ');
}

/** A backup job's guests as one line, `1 ok, 1 warnings, 1 failed`; undefined for other tasks. */
export function jobResults(row: TaskRow): string | undefined {
  if (row.vmids.length < 2 || !row.guestResults) return undefined;
  return summarizeGuestResults(row.guestResults) || undefined;
}
