/**
 * TLS for the client: verified by default (Node's CA store, which honours NODE_EXTRA_CA_CERTS), or a
 * pinned SHA-256 fingerprint of the leaf certificate as PVE nodes pin each other (the chain is then
 * not checked), or no check at all only when asked. The check runs in undici's connector, after the
 * handshake and before any byte of the request is written.
 */
import { rootCertificates, type TLSSocket } from 'node:tls';
import type { Agent, buildConnector } from 'undici';
import type * as UndiciParts from './undici-parts.js';
import { PveApiError } from './errors.js';

const FINGERPRINT_RE = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

/**
 * Normalizes a SHA-256 fingerprint to PVE's form `AA:BB:...` (32 upper-case pairs). Accepts
 * lower case, no colons, and openssl's `sha256 Fingerprint=` prefix. Throws (kind `config`) otherwise.
 */
export function formatFingerprint(value: string | Uint8Array): string {
  if (typeof value !== 'string') {
    if (value.length !== 32) throw fingerprintError(`${value.length} bytes`);
    return [...value].map((byte) => byte.toString(16).padStart(2, '0').toUpperCase()).join(':');
  }
  const text = value.trim().replace(/^sha256\s+fingerprint\s*=\s*/i, '');
  const hex = text.replace(/[:\s]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    throw fingerprintError(/^[0-9A-F]{40}$/.test(hex) ? 'that looks like a SHA-1 fingerprint' : 'not 32 hex pairs');
  }
  const formatted = hex.match(/../g)!.join(':');
  if (!FINGERPRINT_RE.test(formatted)) throw fingerprintError('not 32 hex pairs');
  return formatted;
}

function fingerprintError(why: string): PveApiError {
  return new PveApiError({
    kind: 'config',
    message: `invalid certificate fingerprint (${why}): expected the SHA-256 fingerprint as 32 hex pairs AA:BB:...:FF (pvenode cert info shows it)`,
  });
}

/** One fingerprint, or several separated by commas (each node of a cluster has its own certificate). */
export function parseFingerprints(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => formatFingerprint(part));
}

/** Thrown by the connector; the client turns it into a PveApiError of kind `tls`. */
export class TlsRejectedError extends Error {
  override name = 'TlsRejectedError';
  constructor(
    readonly problem: 'untrusted' | 'pin-mismatch' | 'no-certificate',
    readonly fingerprint: string | undefined,
    readonly detail: string,
  ) {
    super(`TLS certificate rejected: ${problem}`);
  }
}

/**
 * A failure while connecting (TCP, or the TLS handshake): the request was certainly not sent yet.
 * Keeps the original error's code for classification.
 */
export class ConnectFailedError extends Error {
  override name = 'ConnectFailedError';
  readonly code: string | undefined;
  constructor(
    cause: Error,
    readonly duringTls: boolean,
  ) {
    super(cause.message, { cause });
    const code = (cause as { code?: unknown }).code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

export interface TlsOptions {
  /** Pinned SHA-256 fingerprints; when set, only they decide. */
  fingerprints: string[];
  insecure: boolean;
  /** Extra trusted CA certificates (PEM), on top of Node's store. */
  ca?: string | string[] | undefined;
}

const AUTHORIZATION_ERRORS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: "it is signed by an untrusted CA (such as the cluster's pve-root-ca)",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its issuer is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "its issuer is not trusted (such as the cluster's pve-root-ca)",
  UNABLE_TO_GET_ISSUER_CERT: 'its issuer is not trusted',
  CERT_HAS_EXPIRED: 'it has expired',
  CERT_NOT_YET_VALID: 'it is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'it was issued for another host name',
};

export function describeAuthorizationError(code: string | undefined): string {
  if (!code) return 'it could not be verified';
  return AUTHORIZATION_ERRORS[code] ? `${AUTHORIZATION_ERRORS[code]} (${code})` : code;
}

/** The client's undici Agent, made on the first request. */
export interface LazyAgent {
  get(): Promise<Agent>;
  close(): Promise<void>;
}

/**
 * undici is evaluated on the first request, not when a client is made: it is some 600 KB of code (two
 * WebAssembly HTTP parsers among it), and the board draws its first frame before it connects.
 */
export function lazyTlsAgent(options: TlsOptions): LazyAgent {
  let agent: Promise<Agent> | undefined;
  return {
    get: () => (agent ??= import('./undici-parts.js').then((undici) => createTlsAgent(undici, options))),
    async close() {
      if (agent) await (await agent).close();
    },
  };
}

/** An undici Agent whose connections pass our certificate check. */
function createTlsAgent({ Agent, buildConnector }: typeof UndiciParts, options: TlsOptions): Agent {
  const extraCa = options.ca === undefined ? undefined : Array.isArray(options.ca) ? options.ca : [options.ca];
  const baseConnect = buildConnector({
    // We decide ourselves after the handshake (pin, or Node's verdict), so that a refusal can show
    // the server's fingerprint. Nothing is sent before that decision.
    rejectUnauthorized: false,
    // A resumed TLS session exposes no peer certificate, so a pin could not be checked.
    maxCachedSessions: 0,
    ...(extraCa ? { ca: [...rootCertificates, ...extraCa] } : {}),
  });
  const connect: buildConnector.connector = (connectOptions, callback) => {
    baseConnect(connectOptions, (error, socket) => {
      if (error || !socket) {
        callback(new ConnectFailedError(error ?? new Error('connection failed'), connectOptions.protocol === 'https:'), null);
        return;
      }
      if (connectOptions.protocol !== 'https:') {
        callback(null, socket);
        return;
      }
      const tlsSocket = socket as TLSSocket;
      const rejection = checkCertificate(tlsSocket, options);
      if (rejection) {
        socket.destroy();
        callback(rejection, null);
        return;
      }
      callback(null, socket);
    });
  };
  // Our own clock-driven timeout bounds every request; undici's wall-clock ones would fire behind
  // a test's ManualClock.
  return new Agent({ connect, headersTimeout: 0, bodyTimeout: 0 });
}

function checkCertificate(socket: TLSSocket, options: TlsOptions): TlsRejectedError | undefined {
  const certificate = socket.getPeerCertificate();
  const fingerprint = certificate?.fingerprint256 ? certificate.fingerprint256.toUpperCase() : undefined;
  if (options.fingerprints.length > 0) {
    if (!fingerprint) return new TlsRejectedError('no-certificate', undefined, 'the server presented no certificate');
    if (options.fingerprints.includes(fingerprint)) return undefined;
    return new TlsRejectedError('pin-mismatch', fingerprint, 'its fingerprint is not the pinned one');
  }
  if (options.insecure) return undefined;
  if (socket.authorized) return undefined;
  const reason = socket.authorizationError;
  return new TlsRejectedError('untrusted', fingerprint, describeAuthorizationError(typeof reason === 'string' ? reason : reason?.message));
}
