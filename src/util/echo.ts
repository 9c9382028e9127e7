/**
 * Whether a value the operator typed may be repeated in a message. An operator who pastes a token where
 * a UPID, a VMID or a duration belongs must not find it in the terminal's scrollback, a CI log or a
 * screenshot of the error: a value that looks like a secret is never echoed, whatever command it met.
 */
import { sanitizeText } from './sanitize.js';

/** Said instead of a value that looks like a secret. */
export const NOT_REPEATED = '(not repeated: it looks like a secret)';

const SECRET_SHAPES: readonly RegExp[] = [
  // A UUID: the secret of every PVE API token.
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i,
  // USER@REALM!TOKENID=SECRET, or any `!...=` that might be one.
  /![^\s=]*=/,
  // Header and cookie names that carry credentials, and a PVE ticket.
  /PVEAPIToken|PVEAuthCookie|CSRFPreventionToken|PVE:[^:\s]+:[0-9A-F]{8}:/i,
];
/** Runs of hex digits long enough to be a key. */
const HEX_RUN = /[0-9a-f]{32,}/gi;
/** Runs of base64-ish characters long enough to be a key (without `/`, which would make every path one run). */
const LONG_RUN = /[A-Za-z0-9+=_-]{24,}/g;

/** True when `text` looks like a credential: a token, a ticket, a UUID, a long random-looking run. */
export function looksLikeSecret(text: string): boolean {
  if (SECRET_SHAPES.some((shape) => shape.test(text))) return true;
  // High entropy: digits and letters mixed in one long hex run, or upper case, lower case and digits in
  // one long run of base64 characters (names rarely are).
  for (const [run] of text.matchAll(HEX_RUN)) {
    if (/[0-9]/.test(run) && /[a-f]/i.test(run)) return true;
  }
  for (const [run] of text.matchAll(LONG_RUN)) {
    if (/[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run)) return true;
  }
  return false;
}

/**
 * A typed value for a message: `'value'` (one line, no control sequence, cut with `...` past `maxLength`
 * characters), or NOT_REPEATED when it looks like a secret.
 */
export function echo(text: string, { maxLength = Infinity }: { maxLength?: number } = {}): string {
  if (looksLikeSecret(text)) return NOT_REPEATED;
  const safe = Array.from(sanitizeText(text));
  return `'${safe.length > maxLength ? `${safe.slice(0, Math.max(1, maxLength - 3)).join('')}...` : safe.join('')}'`;
}
