/**
 * PVE's rule for snapshot names (pve-guest-common: `pve-configid`, at most 40 characters, and names the
 * stack reserves), checked before any request so that a typo never reaches the API.
 */

const SNAPSHOT_NAME_RE = /^[a-z][a-z0-9_-]+$/i;
const MAX_LENGTH = 40;
// PVE reserves these as exact names; we refuse them in any case, which avoids a confusing near-miss.
const RESERVED = new Set(['current', 'pending', 'vzdump']);

/** Why the name would be refused, or undefined when PVE takes it. */
export function snapshotNameError(name: string): string | undefined {
  if (name.length === 0) return 'a snapshot needs a name';
  if (name.length < 2) return 'a snapshot name has at least 2 characters';
  if (name.length > MAX_LENGTH) return `a snapshot name has at most ${MAX_LENGTH} characters`;
  if (!/^[a-z]/i.test(name)) return 'a snapshot name starts with a letter';
  if (!SNAPSHOT_NAME_RE.test(name)) return 'a snapshot name has only letters, digits, - and _';
  if (RESERVED.has(name.toLowerCase())) return `'${name}' is reserved by PVE`;
  return undefined;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `pre-YYYYMMDD-HHMM` in local time. */
export function defaultSnapshotName(nowMs: number): string {
  const d = new Date(nowMs);
  return `pre-${d.getFullYear()}${pad2(d.getMonth() + 1)}${pad2(d.getDate())}-${pad2(d.getHours())}${pad2(d.getMinutes())}`;
}
