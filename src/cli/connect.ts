/**
 * From a resolved configuration to an authenticated client, with failures mapped to DESIGN.md's exit
 * codes: a configuration the client refuses, or a state dir others could write, is 2; not reaching the
 * cluster, a refused certificate or refused credentials before anything is watched or launched is 3;
 * anything else is 1.
 */
import { createPveClient, PveApiError, type PveClient, type PveClientOptions } from '../api/index.js';
import { redact } from '../api/errors.js';
import { failureKind } from '../api/failures.js';
import { readClusterStatus, readGuests } from '../tasks/answers.js';
import type { Guest } from '../tasks/store.js';
import { StateDirError } from '../tasks/session.js';
import { retrying } from '../util/backoff.js';
import type { Clock } from '../util/clock.js';
import type { ResolvedConfig } from './config.js';
import { CliError, ExitCode } from './io.js';

export function clientOptionsFor(config: ResolvedConfig, clock: Clock): PveClientOptions {
  const options: PveClientOptions = { endpoints: config.endpoints, clock, insecure: config.insecure };
  if (config.fingerprint) options.fingerprint = config.fingerprint;
  if (config.ca) options.ca = config.ca;
  if (config.auth?.kind === 'token') options.token = config.auth.token;
  else if (config.auth?.kind === 'password') {
    options.username = config.auth.username;
    options.password = config.auth.password;
  }
  return options;
}

/**
 * The secrets of a configuration, for redacting anything that might echo them. `redact` masks each in
 * every encoding (URL, form, JSON, base64); the combinations a header could carry are listed here: the
 * whole token (`PVEAPIToken=USER@REALM!ID=SECRET`) and its secret, the password and `user:password`
 * (with and without the realm) as a Basic authorization header would hold them.
 */
export function secretsOf(config: ResolvedConfig): string[] {
  const auth = config.auth;
  if (auth?.kind === 'token') return [auth.token, auth.token.slice(auth.token.indexOf('=') + 1)];
  if (auth?.kind === 'password') {
    const user = auth.username.slice(0, auth.username.lastIndexOf('@'));
    return [auth.password, `${auth.username}:${auth.password}`, `${user}:${auth.password}`];
  }
  return [];
}

export function asCliError(error: unknown, context: string): CliError {
  if (error instanceof CliError) return error;
  // Its message names the dir and the fix; like a bad flag, it is the operator's to correct.
  if (error instanceof StateDirError) return new CliError(error.message, ExitCode.usage);
  if (!(error instanceof PveApiError)) {
    return new CliError(`${context}: ${error instanceof Error ? error.message : String(error)}`, ExitCode.failed);
  }
  switch (error.kind) {
    case 'config':
      return new CliError(error.message, ExitCode.usage);
    case 'connection':
    case 'timeout':
    case 'tls':
    case 'auth':
      return new CliError(`${context}: ${error.message}`, ExitCode.connect);
    default:
      return new CliError(`${context}: ${error.message}`, ExitCode.failed);
  }
}

/**
 * Creates the client and proves it can talk to the cluster (exit 3 when it cannot). Ctrl-C meanwhile
 * ends it with the signal's reason (a login may wait on a slow node).
 */
export async function connect(
  config: ResolvedConfig,
  clock: Clock,
  create: (options: PveClientOptions) => PveClient = createPveClient,
  signal?: AbortSignal,
): Promise<PveClient> {
  let client: PveClient;
  try {
    client = create(clientOptionsFor(config, clock));
  } catch (error) {
    throw asCliError(error, 'configuration');
  }
  try {
    await untilAborted(
      retryingPassingFailures(clock, signal, () => client.ensureAuthenticated()),
      signal,
    );
  } catch (error) {
    await client.close();
    if (signal?.aborted) throw signal.reason;
    const failure = asCliError(error, `cannot connect to ${config.endpoints.join(', ')}`);
    // Whatever stops the login (a 500 that outlasted the retries included), nothing was watched or
    // launched yet: that is exit 3, not a failed task's 1.
    throw failure.exitCode === ExitCode.failed ? new CliError(failure.message, ExitCode.connect) : failure;
  }
  return client;
}

/**
 * Runs a read (GETs may be repeated; a login too) and tries again after a passing failure (a 5xx, an
 * answer that is not JSON, a connection cut mid-answer: api/failures.ts), three more times over 7 s.
 * For the reads a command makes once (the login, the guest list, a listing), which would otherwise end
 * the command on one unlucky answer. Not after a refused connection, a timeout, a TLS or authentication
 * refusal: trying again would only say the same later, and the operator waits.
 */
export function retryingPassingFailures<T>(clock: Clock, signal: AbortSignal | undefined, read: () => Promise<T>): Promise<T> {
  return retrying(read, { clock, signal, retryable: (error) => failureKind(error) === 'passing', baseMs: 1_000, maxMs: 4_000, retries: 3 });
}

/** `work`, or the signal's reason as soon as it aborts (ensureAuthenticated takes no signal). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Runs a command body, printing a CliError as one line (secrets redacted) and returning its code. */
export async function reportingCliErrors(
  io: { stderr: NodeJS.WritableStream },
  secrets: string[],
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (thrown) {
    const error = thrown instanceof StateDirError ? asCliError(thrown, '') : thrown;
    if (!(error instanceof CliError)) throw error;
    io.stderr.write(`pvetasks: ${redact(error.message, secrets)}\n`);
    return error.exitCode;
  }
}

/** Guests by VMID, for resolving what the operator typed, and how many entries of the list could not be read. */
export async function fetchGuests(
  client: PveClient,
  clock: Clock,
  signal?: AbortSignal,
): Promise<{ guests: Map<number, Guest>; malformed: number }> {
  const { items, malformed } = await retryingPassingFailures(clock, signal, () => readGuests(client, signal ? { signal } : {}));
  return { guests: new Map(items.map((guest) => [guest.vmid, guest])), malformed };
}

/**
 * The cluster's name for session file names: from /cluster/status, or for a single node without a
 * cluster, the endpoint's host.
 */
export async function clusterName(client: PveClient, endpoint: string, clock: Clock, signal?: AbortSignal): Promise<string> {
  try {
    // Retried: a passing 500 must not put this run's session under another file name.
    const status = await retryingPassingFailures(clock, signal, () => readClusterStatus(client, signal ? { signal } : {}));
    if (status.name) return status.name;
  } catch {
    if (signal?.aborted) throw signal.reason;
    // fall back to the host
  }
  return new URL(endpoint).hostname;
}
