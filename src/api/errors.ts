/**
 * One error type for every way a PVE request can fail, classified so that callers can decide
 * what to do (retry later, fail over, tell the operator to fix the configuration).
 */

export type PveErrorKind =
  /** The server answered with an HTTP error (4xx, 5xx, and PVE's proxy codes 595/596). */
  | 'http'
  /** Authentication failed: 401, a refused login, or a login that needs a second factor. */
  | 'auth'
  /** No answer within the request's timeout. */
  | 'timeout'
  /** The connection failed: refused, reset, host unreachable, name not found. */
  | 'connection'
  /** The server's certificate was not accepted, or the TLS handshake failed. */
  | 'tls'
  /** The caller's AbortSignal fired. */
  | 'aborted'
  /** The client's own configuration is unusable (bad endpoint, token, fingerprint). */
  | 'config'
  /** The server answered something that is not PVE's JSON. */
  | 'protocol';

export interface PveApiErrorInit {
  kind: PveErrorKind;
  message: string;
  status?: number;
  reason?: string;
  errors?: Record<string, string>;
  endpoint?: string;
  method?: string;
  path?: string;
  /** True when the request certainly never reached the server (refused, name not found). */
  notSent?: boolean;
  /** TLS failures: the SHA-256 fingerprint the server presented (public, safe to show). */
  fingerprint?: string;
  cause?: unknown;
}

export class PveApiError extends Error {
  override name = 'PveApiError';
  /** HTTP status, or 0 when no HTTP answer came (connection, timeout, TLS, abort, configuration). */
  readonly status: number;
  /** The HTTP reason phrase ('' without an answer). PVE puts the first line of its message there. */
  readonly reason: string;
  /** Parameter errors by parameter name (400 Parameter verification failed). */
  readonly errors: Record<string, string> | undefined;
  readonly kind: PveErrorKind;
  /** The endpoint (https://host:8006) the failing request went to. */
  readonly endpoint: string | undefined;
  readonly method: string | undefined;
  /** The API path as requested, e.g. /nodes/pve2/tasks/UPID:.../status. */
  readonly path: string | undefined;
  readonly notSent: boolean;
  readonly fingerprint: string | undefined;

  constructor(init: PveApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.status = init.status ?? 0;
    this.reason = init.reason ?? '';
    this.errors = init.errors;
    this.endpoint = init.endpoint;
    this.method = init.method;
    this.path = init.path;
    this.notSent = init.notSent ?? false;
    this.fingerprint = init.fingerprint;
  }
}

/** PVE's proxy codes for a target node it cannot reach (AnyEvent::HTTP), and gateway errors. */
const NODE_UNREACHABLE_STATUSES = new Set([502, 503, 504, 595, 596, 599]);

/** The endpoint we talk to could not be reached or did not answer in time. */
export function isConnectionError(error: unknown): boolean {
  return error instanceof PveApiError && (error.kind === 'connection' || error.kind === 'timeout');
}

/**
 * The node could not be reached right now: our endpoint (refused, reset, timeout) or, through the
 * cluster proxy, the target node (595/596/599, or a gateway's 502/503/504). Worth retrying later.
 */
export function isNodeUnreachable(error: unknown): boolean {
  return isConnectionError(error) || (error instanceof PveApiError && NODE_UNREACHABLE_STATUSES.has(error.status));
}

/** A secret this long is masked wherever it occurs: no ordinary text holds it by chance. */
const MASK_ANYWHERE_LENGTH = 8;

/**
 * Replaces every known secret in `text` with `***`, in every form it may take there (secretForms): a
 * server or a proxy that echoes a header, a login body or a URL back cannot leak it. A long form (an
 * API token's secret, a ticket) goes wherever it occurs. A short one (a password like `task`) goes
 * wherever it stands as a word of its own, not inside a longer run of letters and digits: `pvetasks`
 * and `/tasks` stay readable, while the word itself, even in our own wording, is masked. A secret never
 * shows; a common word as a password costs some readability.
 */
export function redact(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  const given = [...new Set([...secrets].filter((secret): secret is string => !!secret))];
  const forms = [...new Set(given.flatMap(secretForms))].sort((a, b) => b.length - a.length);
  for (const secret of forms) {
    if (secret.length >= MASK_ANYWHERE_LENGTH) out = out.split(secret).join('***');
    else {
      // A word's edges: no letter or digit may touch a letter or digit at either end of the secret.
      const before = /^[A-Za-z0-9]/.test(secret) ? '(?<![A-Za-z0-9])' : '';
      const after = /[A-Za-z0-9]$/.test(secret) ? '(?![A-Za-z0-9])' : '';
      out = out.replace(new RegExp(`${before}${escapeRegExp(secret)}${after}`, 'g'), '***');
    }
  }
  return out;
}

/**
 * The forms a secret takes where software echoes it: as given; percent-encoded as encodeURIComponent,
 * as our strict path encoding and as a form body (`+` for spaces), in upper- and lower-case hex; escaped
 * inside a JSON string; base64 and base64url, padded or not. Inside a longer base64 text (a header of
 * `user:password`, a token in a cookie) the secret's encoding depends on where it starts, so for each
 * of the three alignments the part that depends on the secret alone is a form too.
 */
export function secretForms(secret: string): string[] {
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1)]);
  const percent = [
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`),
    new URLSearchParams({ s: secret }).toString().slice(2),
  ];
  for (const form of percent) {
    forms.add(form);
    forms.add(form.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()));
  }
  const bytes = Buffer.from(secret, 'utf8');
  const padded = bytes.toString('base64');
  for (const form of [padded, padded.replace(/=+$/, '')]) {
    forms.add(form);
    forms.add(toBase64Url(form));
  }
  // Shifted by 0, 1 or 2 bytes, the first 0, 2 or 3 characters and the last partial group mix in the neighbours.
  for (const [shift, skip] of [
    [0, 0],
    [1, 2],
    [2, 3],
  ] as const) {
    const shifted = Buffer.concat([Buffer.alloc(shift), bytes]);
    const core = shifted.toString('base64').slice(skip, Math.floor(shifted.length / 3) * 4);
    if (core.length < MASK_ANYWHERE_LENGTH) continue;
    forms.add(core);
    forms.add(toBase64Url(core));
  }
  return [...forms].filter((form) => form !== '');
}

function toBase64Url(base64: string): string {
  return base64.replace(/\+/g, '-').replace(/\//g, '_');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
