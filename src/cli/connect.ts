/**
 * From a resolved configuration to an authenticated client, with failures mapped to DESIGN.md's exit
 * codes: a configuration the client refuses, or a state dir others could write, is 2; not reaching the
 * cluster, a refused certificate or refused credentials before anything is watched or launched is 3;
 * anything else is 1.
 */
import { createPveClient, PveApiError, type PveClient, type PveClientOptions } from '../api/index.js';
import { redact } from '../api/errors.js';
import type { GuestInfo } from '../tasks/launcher.js';
import { readGuests } from '../tasks/guests.js';
import { StateDirError } from '../tasks/session.js';
import type { Clock } from '../util/clock.js';
import { loadConfig, printConfigWarnings, type ResolvedConfig } from './config.js';
import { CliError, ExitCode, type CliIo } from './io.js';

export function clientOptionsFor(config: ResolvedConfig, clock: Clock): PveClientOptions {
  const options: PveClientOptions = { endpoints: config.endpoints, clock, insecure: config.insecure };
  if (config.fingerprint) options.fingerprint = config.fingerprint;
  if (config.auth?.kind === 'token') options.token = config.auth.token;
  else if (config.auth?.kind === 'password') {
    options.username = config.auth.username;
    options.password = config.auth.password;
  }
  return options;
}

/** The secrets of a configuration, for redacting anything that might echo them. */
export function secretsOf(config: ResolvedConfig): string[] {
  const secrets: string[] = [];
  if (config.token) secrets.push(config.token, config.token.slice(config.token.indexOf('=') + 1));
  if (config.password) secrets.push(config.password);
  return secrets;
}

/**
 * A command's configuration from its flags, the environment and `.env`: its secrets are added to
 * `secrets` at once (so any later error is scrubbed of them) and its warnings printed.
 */
export function loadCommandConfig(
  io: CliIo,
  secrets: string[],
  flags: { tokenFile: string | undefined; interval?: string | undefined },
  requireEndpoint = true,
): ResolvedConfig {
  const config = loadConfig({
    flags: {
      ...(flags.tokenFile !== undefined ? { tokenFile: flags.tokenFile } : {}),
      ...(flags.interval !== undefined ? { interval: flags.interval } : {}),
    },
    env: io.env,
    cwd: io.cwd,
    requireEndpoint,
  });
  secrets.push(...secretsOf(config));
  printConfigWarnings(config, io.stderr);
  return config;
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

/** Waits between tries of a one-off read that met a passing failure: three more tries over 7 s. */
const RETRY_DELAYS_MS = [1_000, 2_000, 4_000];

/**
 * A failure worth another try of a read: the server answered 5xx (PVE's `ipcc_send_rec failed` while
 * pmxcfs is busy), something that is not JSON, or cut the connection mid-answer. Not a refused
 * connection, a timeout, a TLS or authentication refusal: trying again would only say the same later.
 */
export function isPassingFailure(error: unknown): boolean {
  if (!(error instanceof PveApiError)) return false;
  if (error.kind === 'protocol') return true;
  if (error.kind === 'connection') return !error.notSent;
  return error.kind === 'http' && error.status >= 500 && error.status !== 501;
}

/**
 * Runs a read (GETs may be repeated; a login too) and tries again after a passing failure, on the
 * clock. The polls have their own backoff; this is for the reads a command makes once (the login,
 * the guest list, a listing), which would otherwise end the command on one unlucky answer.
 */
export async function retryingPassingFailures<T>(clock: Clock, signal: AbortSignal | undefined, read: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      const delay = RETRY_DELAYS_MS[attempt];
      if (delay === undefined || !isPassingFailure(error) || signal?.aborted) throw error;
      await clock.sleep(delay, signal);
    }
  }
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

/** Guests by VMID, for resolving what the operator typed. */
export async function fetchGuests(client: PveClient, clock: Clock, signal?: AbortSignal): Promise<Map<number, GuestInfo>> {
  const guests = await retryingPassingFailures(clock, signal, () => readGuests(client, signal ? { signal } : {}));
  return new Map(guests.map((guest) => [guest.vmid, guest]));
}

/**
 * The cluster's name for session file names: from /cluster/status, or for a single node without a
 * cluster, the endpoint's host.
 */
export async function clusterName(client: PveClient, endpoint: string, clock: Clock, signal?: AbortSignal): Promise<string> {
  try {
    // Retried: a passing 500 must not put this run's session under another file name.
    const response = await retryingPassingFailures(clock, signal, () => client.GET('/cluster/status', signal ? { signal } : {}));
    const cluster = (response.data as Array<{ type: string; name: string }>).find((item) => item.type === 'cluster');
    if (cluster?.name) return cluster.name;
  } catch {
    if (signal?.aborted) throw signal.reason;
    // fall back to the host
  }
  return new URL(endpoint).hostname;
}
