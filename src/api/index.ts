export { createPveClient, normalizeEndpoint } from './client.js';
export type { PveClient, PveClientOptions } from './client.js';
export type { ConnectionListener, ConnectionState, FailoverEvent } from './failover.js';
export { PveApiError, isConnectionError, isNodeUnreachable } from './errors.js';
export type { PveErrorKind } from './errors.js';
export { validateToken, validateUsername } from './credentials.js';
export type { ParsedToken } from './credentials.js';
export { formatFingerprint, parseFingerprints } from './tls.js';
export { encodePathSegment } from './serialize.js';
export type {
  PveData,
  PveErrorBody,
  PveItem,
  PveMethod,
  PveOperation,
  PvePaths,
  PvePathsWith,
  PveRequestInit,
  PveRequestOptions,
  PveResponse,
} from './types.js';
