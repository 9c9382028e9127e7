/**
 * Endpoints as the operator writes them (`pve1`, `https://pve1:8006/api2/json`, a comma-separated
 * list), checked and normalized to `https://host:port` before anything is sent.
 */
import { PveApiError } from './errors.js';

export function configError(message: string): PveApiError {
  return new PveApiError({ kind: 'config', message });
}

/**
 * Plain http stays on this machine only for a literal loopback address (127.0.0.0/8, ::1) or the exact
 * name `localhost`: `anything.localhost` is a name some resolver may send elsewhere. `hostname` comes
 * from the URL parser, which writes IPv4 in dotted decimal and IPv6 compressed in brackets.
 */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** An API token's secret (PVE makes them UUIDs): no node's host name or path looks like one. */
const SECRET_LIKE_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** Said without repeating any of the value: it holds a secret. */
function credentialsInEndpoint(): PveApiError {
  return configError(
    'not an endpoint: it holds what looks like a token, a secret or a password (not repeated here); expected https://HOST:8006, with the token in PROXMOX_VE_API_TOKEN',
  );
}

/**
 * `https://host:8006`, checked. A bare host name gets https and PVE's port 8006. No message repeats
 * what may be a secret pasted into the wrong place: without a scheme, `root@pam!ci=SECRET` would
 * parse as user `root` on host `pam!ci=secret`.
 */
export function normalizeEndpoint(raw: string): string {
  const text = raw.trim();
  if (!text) throw configError('empty endpoint: expected https://HOST:8006');
  if (SECRET_LIKE_RE.test(text)) throw credentialsInEndpoint();
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  if (!hasScheme && /[@!=]/.test(text)) throw credentialsInEndpoint();
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `https://${text}`);
  } catch {
    throw configError('invalid endpoint: expected https://HOST:8006');
  }
  if (/[!=]/.test(url.hostname)) throw credentialsInEndpoint();
  if (!hasScheme && url.port === '') url.port = '8006';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw configError(`invalid endpoint scheme ${url.protocol} for ${url.host}: expected https://${url.host}`);
  }
  if (url.username || url.password) {
    throw configError(`endpoint ${url.host}: credentials do not belong in the URL; use an API token`);
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw configError(
      `refusing plain http:// for ${url.host}: credentials would cross the network unencrypted; use https://${url.hostname}:${url.port || '8006'} ` +
        '(plain http only to 127.0.0.0/8, [::1] or localhost)',
    );
  }
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api2\/json$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

/** The endpoints of a client's options, split at commas, normalized, without duplicates; at least one. */
export function endpointsOf(options: { endpoint?: string | undefined; endpoints?: string[] | undefined }): string[] {
  const list = [...(options.endpoints ?? []), ...(options.endpoint ? [options.endpoint] : [])]
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter(Boolean);
  if (list.length === 0) throw configError('no endpoint: set PROXMOX_VE_ENDPOINT to https://HOST:8006');
  return [...new Set(list.map(normalizeEndpoint))];
}
