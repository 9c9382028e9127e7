/** PVE's renderers (pve-common Format.pm) and timestamps, for task logs that read like the real ones. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `render_bytes($x, 1)`: e.g. `12.4 GiB`, `0.0 B`. */
export function renderBytes(bytes: number, precision = 1): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(precision)} ${UNITS[unit]}`;
}

/** `render_duration`: `3s`, `1m 56s`, `1h 2m 3s`. */
export function renderDuration(seconds: number): string {
  let rest = Math.max(0, Math.round(seconds));
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const secs = rest - minutes * 60;
  if (hours > 0) return `${hours}h ${minutes}m ${secs}s`;
  if (minutes > 0) return `${minutes}m ${secs}s`;
  return `${secs}s`;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** `HH:MM:SS` of a duration (vzdump's "Finished Backup of VM 100 (00:01:05)"). */
export function renderHms(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
}

/** `YYYY-MM-DD HH:MM:SS`; the simulated nodes run on UTC so that logs are the same everywhere. */
export function renderTimestamp(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** `YYYY_MM_DD-HH_MM_SS` as in vzdump archive names. */
export function renderArchiveStamp(ms: number): string {
  return renderTimestamp(ms).replace(/-/g, '_').replace(' ', '-').replace(/:/g, '_');
}

/** A rate as vzdump logs it: `render_bytes(x, 1)/s`, and `0 B/s` for nothing. */
export function renderRate(bytesPerSecond: number): string {
  return bytesPerSecond > 0 ? `${renderBytes(bytesPerSecond)}/s` : '0 B/s';
}
