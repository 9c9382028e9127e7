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

/** pve-manager VZDump.pm `format_size`: whole KB or MB below 1 GiB, then `%.2fGB` and `%.2fTB`. */
export function formatVzdumpSize(bytes: number): string {
  const kb = bytes / 1024;
  if (kb < 1024) return `${Math.floor(kb)}KB`;
  const mb = bytes / 1024 ** 2;
  if (mb < 1024) return `${Math.floor(mb)}MB`;
  const gb = mb / 1024;
  if (gb < 1024) return `${gb.toFixed(2)}GB`;
  return `${(gb / 1024).toFixed(2)}TB`;
}

const BINARY_PREFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];

/**
 * GNU tar's `--totals` sizes (gnulib human_readable with autoscale, base 1024, SI prefixes, `B`,
 * rounding up): `841MiB`, `4.3GiB`: no space, one decimal only below 10.
 */
export function renderTarSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BINARY_PREFIXES.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.ceil(value)}B`;
  const tenths = Math.ceil(value * 10) / 10;
  if (tenths < 10) return `${tenths.toFixed(1)}${BINARY_PREFIXES[unit]}B`;
  const whole = Math.ceil(value);
  if (whole >= 1024 && unit < BINARY_PREFIXES.length - 1) return `1.0${BINARY_PREFIXES[unit + 1]}B`;
  return `${whole}${BINARY_PREFIXES[unit]}B`;
}

/** coreutils dd's sizes (gnulib human_readable, rounded to nearest, a space before the unit): `1.3 GB`, `1.2 GiB`, `430 MB`. */
export function renderDdSize(bytes: number, base: 1000 | 1024): string {
  const prefixes = base === 1000 ? ['', 'k', 'M', 'G', 'T', 'P'] : BINARY_PREFIXES;
  let value = bytes;
  let unit = 0;
  while (value >= base && unit < prefixes.length - 1) {
    value /= base;
    unit++;
  }
  const suffix = `${prefixes[unit]}B`;
  if (value < 10 && unit > 0) return `${value.toFixed(1)} ${suffix}`;
  return `${Math.round(value)} ${suffix}`;
}

/**
 * dd's statistics line (`status=progress` lines use whole seconds, the final one `%g`):
 * `1291714560 bytes (1.3 GB, 1.2 GiB) copied, 3 s, 430 MB/s`.
 */
export function renderDdStats(bytes: number, seconds: number, final: boolean): string {
  const time = final ? String(Number(seconds.toPrecision(6))) : seconds.toFixed(0);
  const rate = seconds > 0 ? bytes / seconds : 0;
  return `${bytes} bytes (${renderDdSize(bytes, 1000)}, ${renderDdSize(bytes, 1024)}) copied, ${time} s, ${renderDdSize(rate, 1000)}/s`;
}

/** qemu-server QemuMigrate.pm `round_powerof2`: the next power of two (the migration cache size). */
export function roundPowerOf2(value: number): number {
  return value < 2 ? 1 : 2 ** (Math.floor(Math.log2(value - 1)) + 1);
}
