/**
 * What went wrong, said once for every request: a failure of the transport (refused, reset, TLS,
 * no answer) or an HTTP error answer, turned into a PveApiError whose kind tells the caller what to do.
 */
import { sanitizeText } from '../util/sanitize.js';
import { AnswerTooLargeError, formatBytes, NotHttpStatusError, UnreadableAnswerError, type Answer } from './answer-limits.js';
import { PveApiError } from './errors.js';
import { ConnectFailedError, TlsRejectedError } from './tls.js';

export type Method = 'GET' | 'POST' | 'DELETE';

// A server's message is cut here: PVE's are a line or two; the rest of a longer one says nothing more.
const MAX_SERVER_TEXT = 500;

/**
 * Text a server sent (a reason phrase, a message, a parameter error), fit for a one-line error that
 * may be printed anywhere: sanitized (no escape sequence or control character survives), one line, at
 * most MAX_SERVER_TEXT characters.
 */
export function serverText(text: string): string {
  return sanitizeText(text, { maxLength: MAX_SERVER_TEXT }).trim();
}

export interface RequestContext {
  method: Method;
  /** Readable path with parameters filled in, for messages. */
  displayPath: string;
  endpoint: string;
  timeoutMs: number;
}

const CONNECT_PHASE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current && chain.length < 8 && !chain.includes(current)) {
    chain.push(current);
    if (current instanceof AggregateError) chain.push(...current.errors);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

function errorCode(error: unknown): string | undefined {
  for (const item of causes(error)) {
    const code = (item as { code?: unknown })?.code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function tlsAdvice(fingerprint: string | undefined): string {
  const pin = fingerprint ? `PROXMOX_VE_FINGERPRINT=${fingerprint}` : 'PROXMOX_VE_FINGERPRINT to its SHA-256 fingerprint';
  return `To trust it, set ${pin} (compare with \`pvenode cert info\` on the node), or NODE_EXTRA_CA_CERTS=/path/to/pve-root-ca.pem (the cluster CA, /etc/pve/pve-root-ca.pem), or, only on a network you trust, PROXMOX_VE_INSECURE=true`;
}

export function transportError(error: unknown, context: RequestContext): PveApiError {
  const base = { endpoint: context.endpoint, method: context.method, path: context.displayPath, cause: error };
  const prefix = `${context.method} ${context.displayPath}`;
  const rejected = causes(error).find((item): item is TlsRejectedError => item instanceof TlsRejectedError);
  if (rejected) {
    const fingerprint = rejected.fingerprint;
    const what =
      rejected.problem === 'pin-mismatch'
        ? `the certificate of ${context.endpoint} has SHA-256 fingerprint ${fingerprint}, not the pinned one; refused. If the node's certificate was renewed, check it with \`pvenode cert info\` and set PROXMOX_VE_FINGERPRINT=${fingerprint}`
        : rejected.problem === 'no-certificate'
          ? `${context.endpoint} presented no certificate to check the pinned fingerprint against; refused`
          : `the certificate of ${context.endpoint} is not trusted: ${serverText(rejected.detail)}. ${tlsAdvice(fingerprint)}`;
    return new PveApiError({ ...base, kind: 'tls', notSent: true, fingerprint, message: `${prefix}: ${what}` });
  }
  const tooLarge = causes(error).find((item): item is AnswerTooLargeError => item instanceof AnswerTooLargeError);
  if (tooLarge) {
    return protocolError(
      context,
      `answer from ${context.endpoint} larger than ${formatBytes(tooLarge.limitBytes)}; refused`,
      undefined,
      tooLarge,
    );
  }
  const unreadable = causes(error).find((item): item is UnreadableAnswerError => item instanceof UnreadableAnswerError);
  if (unreadable) {
    return protocolError(
      context,
      `answer from ${context.endpoint} says it is ${unreadable.encoding} and is not; refused`,
      undefined,
      unreadable,
    );
  }
  const badStatus = causes(error).find((item): item is NotHttpStatusError => item instanceof NotHttpStatusError);
  if (badStatus) {
    return protocolError(
      context,
      `${context.endpoint} answered with status ${badStatus.status}, which is not HTTP; is it a Proxmox VE node?`,
    );
  }
  const code = errorCode(error);
  const host = context.endpoint;
  const connectFailure = causes(error).find((item): item is ConnectFailedError => item instanceof ConnectFailedError);
  const handshakeFailed = (tlsCode: string): PveApiError =>
    new PveApiError({
      ...base,
      kind: 'tls',
      notSent: true,
      reason: tlsCode,
      message: `${prefix}: the TLS handshake with ${host} failed (${tlsCode}); does it serve https on that port?`,
    });
  if (connectFailure?.duringTls && code !== undefined && !CONNECT_PHASE_CODES.has(code) && code !== 'UND_ERR_CONNECT_TIMEOUT') {
    // Closed or garbled during the handshake: typically https to a port that speaks plain HTTP.
    return handshakeFailed(code);
  }
  const connection = (message: string, notSent: boolean): PveApiError =>
    new PveApiError({
      ...base,
      kind: 'connection',
      notSent: notSent || connectFailure !== undefined,
      reason: code ?? '',
      message: `${prefix}: ${message}`,
    });
  switch (code) {
    case 'ECONNREFUSED':
      return connection(`connection refused by ${host}`, true);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return connection(`cannot resolve the host name of ${host}`, true);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return connection(`${host} is unreachable (${code})`, true);
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new PveApiError({ ...base, kind: 'timeout', notSent: true, message: `${prefix}: connecting to ${host} timed out` });
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return connection(`the connection to ${host} was closed before an answer (${code})`, false);
    case 'UND_ERR_DESTROYED':
      return new PveApiError({ ...base, kind: 'aborted', message: `${prefix}: the client was closed` });
    default:
      break;
  }
  if (code && (code === 'EPROTO' || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'))) return handshakeFailed(code);
  const detail = serverText(error instanceof Error ? error.message : String(error));
  return connection(`request to ${host} failed${code ? ` (${code})` : ''}: ${detail}`, code ? CONNECT_PHASE_CODES.has(code) : false);
}

/** A server's answer we cannot use (kind `protocol`): `GET /path: <what>`. */
export function protocolError(context: RequestContext, what: string, response?: Answer, cause?: unknown): PveApiError {
  return new PveApiError({
    kind: 'protocol',
    ...(cause === undefined ? {} : { cause }),
    ...(response ? { status: response.status, reason: serverText(response.statusText) } : {}),
    endpoint: context.endpoint,
    method: context.method,
    path: context.displayPath,
    message: `${context.method} ${context.displayPath}: ${what}`,
  });
}

// Parameter errors shown and kept: PVE names a few; a longer list is a server talking nonsense.
const MAX_PARAMETER_ERRORS = 20;

export function httpError(response: Answer, body: unknown, context: RequestContext, hint?: string): PveApiError {
  const status = response.status;
  const reason = serverText(response.statusText);
  const json = body && typeof body === 'object' ? (body as { message?: unknown; errors?: unknown }) : {};
  // Newer PVE puts the message in the body; older ones only in the reason phrase (its first line).
  const bodyMessage = typeof json.message === 'string' ? serverText(json.message) : '';
  let errors: Record<string, string> | undefined;
  if (json.errors && typeof json.errors === 'object') {
    errors = {};
    // Only texts: String() of a deeply nested array would recurse until the stack overflows.
    const texts = Object.entries(json.errors as Record<string, unknown>).filter(
      ([, text]) => typeof text === 'string' || typeof text === 'number',
    );
    for (const [name, text] of texts.slice(0, MAX_PARAMETER_ERRORS)) errors[serverText(name)] = serverText(String(text));
  }
  let text = bodyMessage || reason || 'no reason given';
  if (errors && Object.keys(errors).length > 0) {
    text += ` (${Object.entries(errors)
      .map(([name, message]) => `${name}: ${message}`)
      .join('; ')})`;
  }
  if (hint) text += ` ${hint}`;
  return new PveApiError({
    kind: status === 401 ? 'auth' : 'http',
    status,
    reason,
    errors,
    endpoint: context.endpoint,
    method: context.method,
    path: context.displayPath,
    message: `${context.method} ${context.displayPath}: ${status} ${text}`,
  });
}
