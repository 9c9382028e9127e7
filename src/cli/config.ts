/**
 * Configuration of every subcommand: flags win over the environment, which wins over `.env` in the
 * working directory (DESIGN.md "Configuration"). Secrets come from the environment, `.env` or
 * `--token-file` only, and no message here ever contains one.
 */
import { lstatSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { inspect, parseEnv } from 'node:util';
import { normalizeEndpoint } from '../api/client.js';
import { validateToken, validateUsername } from '../api/credentials.js';
import { PveApiError } from '../api/errors.js';
import { parseFingerprints } from '../api/tls.js';
import { echo } from '../util/echo.js';
import { parseIntervalArg } from './args.js';
import { CliError, ExitCode } from './io.js';

export const DEFAULT_INTERVAL_MS = 2_000;

/** What the subcommands' flags may set; each overrides its environment variable. */
export interface ConfigFlags {
  endpoint?: string;
  tokenFile?: string;
  interval?: string;
  fingerprint?: string;
  insecure?: boolean;
  stateDir?: string;
}

export interface LoadConfigOptions {
  flags?: ConfigFlags;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Every subcommand that talks to a cluster needs an endpoint; only the board falls back to the demo. */
  requireEndpoint?: boolean;
  /**
   * Only what every cluster shares (state dir, interval, PVETASKS_CLUSTER): the environment's own
   * cluster (PROXMOX_VE_* endpoint, credentials, TLS) is not read, so nothing about it can fail.
   */
  sharedOnly?: boolean;
}

export type ConfigSource = 'flag' | 'environment' | '.env' | '--token-file' | 'config file' | 'default';

export type PveAuth = { kind: 'token'; token: string } | { kind: 'password'; username: string; password: string };

export interface ResolvedConfig {
  /** Normalized origins (`https://pve1.example.com:8006`), in failover order; empty only without requireEndpoint. */
  endpoints: string[];
  /** Undefined only when no endpoint is configured (the board's demo). A token wins over a password. */
  auth?: PveAuth;
  /** Upper-case `AA:BB:...` (32 pairs); comma-separated when the nodes have certificates of their own. */
  fingerprint?: string;
  /** Extra CA certificates (PEM) to trust: a configured cluster's `ca_file`. */
  ca?: string;
  insecure: boolean;
  intervalMs: number;
  stateDir: string;
  tokenFile?: string;
  /** `PVETASKS_SIM_TOKEN`, for `pvetasks sim`. */
  simToken?: string;
  /** The `.env` that was read, if any. */
  dotenvPath?: string;
  /** Whether PROXMOX_VE_ENDPOINT is set (environment or `.env`), also when `sharedOnly` did not read it. */
  environmentEndpoint: boolean;
  /** PVETASKS_CLUSTER: the configured clusters to use when no --cluster is given (cluster-choice.ts). */
  clusterChoice?: { value: string; label: string };
  /**
   * Where the endpoint, the credentials, the interval and an insecure setting came from (never the
   * values). `sources.insecure` is set exactly when `insecure` is true: the board's header says INSECURE.
   */
  sources: { endpoint?: ConfigSource; auth?: ConfigSource; interval: ConfigSource; insecure?: ConfigSource };
  /** Non-fatal problems to print on stderr (a `.env` others can read). */
  warnings: string[];
}

const configError = (message: string) => new CliError(message, ExitCode.usage);

export interface Lookup {
  value: string;
  source: ConfigSource;
  /** How messages name the setting: the flag or the variable (and where it was found). */
  label: string;
}

/** Loads and validates the configuration; throws a one-line CliError (exit 2) when it is unusable. */
export function loadConfig({ flags = {}, env, cwd, requireEndpoint = true, sharedOnly = false }: LoadConfigOptions): ResolvedConfig {
  const warnings: string[] = [];
  const dotenv = readDotenv(cwd, env, warnings);

  // An empty variable counts as unset, so `PROXMOX_VE_API_TOKEN= pvetasks ...` falls through to .env.
  const lookup = (name: string, flagValue?: string, flagName?: string): Lookup | undefined => {
    if (flagValue !== undefined && flagName) return { value: flagValue, source: 'flag', label: flagName };
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: 'environment', label: name };
    const fromFile = dotenv?.values[name];
    if (fromFile !== undefined && fromFile !== '') return { value: fromFile, source: '.env', label: `${name} in .env` };
    return undefined;
  };

  // What decides where the credentials go and how the server is verified must not come from a file
  // that someone else could have written.
  const trusted = (setting: Lookup | undefined, risk: string): Lookup | undefined => {
    if (setting?.source === '.env' && dotenv?.distrust) {
      throw configError(
        `${setting.label} refused: ${dotenv.path} ${dotenv.distrust.problem}, so whoever can write it could ${risk}; ` +
          `fix: ${dotenv.distrust.fix}, or set it in the environment`,
      );
    }
    return setting;
  };

  const intervalSetting = lookup('PVETASKS_INTERVAL', flags.interval, '--interval');
  const intervalMs = intervalSetting ? parseIntervalArg(intervalSetting.label, intervalSetting.value) : DEFAULT_INTERVAL_MS;
  const stateDir = resolveStateDir(lookup('PVETASKS_STATE_DIR', flags.stateDir, '--state-dir'), env, cwd);
  const clusterChoice = lookup('PVETASKS_CLUSTER');
  const shared = {
    endpoints: [] as string[],
    insecure: false,
    intervalMs,
    stateDir,
    environmentEndpoint: lookup('PROXMOX_VE_ENDPOINT', flags.endpoint, '--endpoint') !== undefined,
    ...(clusterChoice ? { clusterChoice: { value: clusterChoice.value, label: clusterChoice.label } } : {}),
    ...(dotenv ? { dotenvPath: dotenv.path } : {}),
    sources: { interval: intervalSetting?.source ?? 'default' },
    warnings,
  } satisfies ResolvedConfig;
  if (sharedOnly) return shared;

  const endpointSetting = trusted(lookup('PROXMOX_VE_ENDPOINT', flags.endpoint, '--endpoint'), 'send your credentials to their server');
  const endpoints = endpointSetting ? parseEndpoints(endpointSetting) : [];
  if (requireEndpoint && endpoints.length === 0) throw noEndpointError();

  const fingerprintSetting = trusted(lookup('PROXMOX_VE_FINGERPRINT', flags.fingerprint, '--fingerprint'), 'pin their own certificate');
  const insecureSetting = trusted(
    lookup('PROXMOX_VE_INSECURE', flags.insecure === undefined ? undefined : String(flags.insecure), '--insecure'),
    'switch certificate checks off',
  );

  const config: ResolvedConfig = { ...shared, endpoints, insecure: insecureSetting ? parseBoolean(insecureSetting) : false };
  if (endpointSetting) config.sources.endpoint = endpointSetting.source;
  if (config.insecure && insecureSetting) {
    config.sources.insecure = insecureSetting.source;
    warnings.push(insecureWarning(insecureSetting, dotenv?.path));
  }
  if (fingerprintSetting) config.fingerprint = parseFingerprint(fingerprintSetting);

  const simToken = lookup('PVETASKS_SIM_TOKEN');
  if (simToken) config.simToken = checkToken(simToken.value, simToken.label);

  // Credentials: --token-file, then the token variable, then username and password.
  let tokenSetting: Lookup | undefined;
  if (flags.tokenFile !== undefined) {
    config.tokenFile = resolve(cwd, flags.tokenFile);
    tokenSetting = { value: readTokenFile(config.tokenFile, warnings), source: '--token-file', label: 'the token in --token-file' };
  } else {
    tokenSetting = lookup('PROXMOX_VE_API_TOKEN');
  }
  const usernameSetting = lookup('PROXMOX_VE_USERNAME');
  const passwordSetting = lookup('PROXMOX_VE_PASSWORD');

  if (tokenSetting) {
    config.auth = { kind: 'token', token: checkToken(tokenSetting.value, tokenSetting.label) };
    config.sources.auth = tokenSetting.source;
  } else if (usernameSetting || passwordSetting) {
    if (!usernameSetting) throw configError('PROXMOX_VE_PASSWORD is set but PROXMOX_VE_USERNAME is not (e.g. root@pam)');
    if (!passwordSetting) throw configError(`${usernameSetting.label} is set but PROXMOX_VE_PASSWORD is not`);
    const username = withLabel(usernameSetting.label, () => validateUsername(usernameSetting.value));
    config.auth = { kind: 'password', username, password: passwordSetting.value };
    config.sources.auth = usernameSetting.source;
  } else if (endpoints.length > 0) {
    throw configError(
      'no credentials configured: set PROXMOX_VE_API_TOKEN (USER@REALM!TOKENID=SECRET), or PROXMOX_VE_USERNAME ' +
        'and PROXMOX_VE_PASSWORD, in the environment or .env, or pass --token-file PATH',
    );
  }
  return redactWhenPrinted(config);
}

/** Neither the environment nor a configuration file names a cluster. */
export function noEndpointError(): CliError {
  return configError(
    'no Proxmox VE endpoint configured: set PROXMOX_VE_ENDPOINT (e.g. https://pve1.example.com:8006) in the environment ' +
      "or in .env, or name clusters in ~/.config/pvetasks/config.yaml (see 'Several clusters' in the README)",
  );
}

/**
 * Splits and normalizes `PROXMOX_VE_ENDPOINT` with the client's own rules (`https://host:port`; a bare
 * host gets https and 8006; plain http only on loopback), comma-separated for failover.
 */
export function parseEndpoints(setting: Lookup): string[] {
  const endpoints: string[] = [];
  for (const raw of setting.value.split(',')) {
    if (!raw.trim()) continue;
    if (/[@!=\s]/.test(raw.trim())) {
      // No host name holds these, but credentials do: refuse without repeating any of the value.
      throw configError(
        `${setting.label}: not an endpoint (it contains '@', '!', '=' or a space: a token or password in the ` +
          'wrong variable?); expected https://HOST:8006',
      );
    }
    // The client's rules, plain http only on a literal loopback address included (api/endpoints.ts).
    const endpoint = withLabel(setting.label, () => normalizeEndpoint(raw));
    if (!endpoints.includes(endpoint)) endpoints.push(endpoint);
  }
  if (endpoints.length === 0) throw configError(`${setting.label} is empty: use https://pve1.example.com:8006`);
  return endpoints;
}

/** The warning an insecure setting always gets, naming where it came from. */
function insecureWarning(setting: Lookup, dotenvPath: string | undefined): string {
  const where =
    setting.source === 'flag'
      ? `by ${setting.label}`
      : setting.source === '.env'
        ? `by PROXMOX_VE_INSECURE in ${dotenvPath ?? '.env'}`
        : 'by PROXMOX_VE_INSECURE in the environment';
  return (
    `TLS certificate checks are OFF (set ${where}): anyone on the network path can read and change the traffic, ` +
    'credentials included; pin the certificate with PROXMOX_VE_FINGERPRINT instead'
  );
}

/** Runs one of the client's validators; its one-line message is prefixed with where the value came from. */
export function withLabel<T>(label: string, validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    if (error instanceof PveApiError && error.kind === 'config') throw configError(`${label}: ${error.message}`);
    throw error;
  }
}

function parseBoolean(setting: Lookup): boolean {
  const value = setting.value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(value)) return false;
  throw configError(`${setting.label}: ${echo(setting.value)} is not true or false`);
}

export function parseFingerprint(setting: Lookup): string {
  const fingerprints = withLabel(setting.label, () => parseFingerprints(setting.value));
  if (fingerprints.length === 0) throw configError(`${setting.label} is empty`);
  return fingerprints.join(',');
}

/** Checks the token's form (the client's rules; its messages never repeat the value). */
export function checkToken(raw: string, label: string): string {
  const token = raw.trim().replace(/^PVEAPIToken[= ]/, '');
  withLabel(label, () => validateToken(token));
  return token;
}

function readTokenFile(path: string, warnings: string[]): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw configError(`cannot read --token-file ${echo(path)}: ${why}`);
  }
  warnIfOthersCanRead(path, '--token-file', warnings);
  const firstLine = text.split(/\r?\n/, 1)[0]!.trim();
  if (!firstLine) throw configError(`--token-file ${echo(path)} is empty: its first line must be USER@REALM!TOKENID=SECRET`);
  return firstLine;
}

interface Dotenv {
  path: string;
  values: NodeJS.Dict<string>;
  /** Set when someone other than the user could have written the file. */
  distrust?: { problem: string; fix: string };
}

function readDotenv(cwd: string, env: NodeJS.ProcessEnv, warnings: string[]): Dotenv | undefined {
  const path = join(cwd, '.env');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') warnings.push(`cannot read ${path} (${code ?? 'error'}); ignoring it`);
    return undefined;
  }
  warnIfOthersCanRead(path, '.env', warnings);
  const values = parseEnv(text);
  if (values.NODE_EXTRA_CA_CERTS && !env.NODE_EXTRA_CA_CERTS) {
    warnings.push('NODE_EXTRA_CA_CERTS in .env has no effect (Node reads it at start): export it in the environment');
  }
  const distrust = distrustOf(path);
  return distrust ? { path, values, distrust } : { path, values };
}

/** Why a file may hold someone else's settings: another owner (of it or of the link to it), or a mode others can write. */
function distrustOf(path: string): Dotenv['distrust'] {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return undefined;
  const uid = process.getuid();
  try {
    const link = lstatSync(path);
    const file = statSync(path);
    const owner = link.uid !== uid ? link.uid : file.uid;
    if (owner !== uid) {
      return {
        problem: `is owned by another user (uid ${owner})`,
        fix: `chown ${uid} ${path} && chmod 600 ${path} (as root), or remove it`,
      };
    }
    const mode = file.mode & 0o777;
    if (mode & 0o022) {
      return { problem: `is writable by group or others (mode ${mode.toString(8).padStart(3, '0')})`, fix: `chmod 600 ${path}` };
    }
  } catch {
    // It was just read; a failing stat leaves nothing to judge by.
  }
  return undefined;
}

export function warnIfOthersCanRead(path: string, what: string, warnings: string[]): void {
  if (process.platform === 'win32') return;
  try {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) {
      warnings.push(
        `${what} ${path} is readable by group or others (mode ${mode.toString(8).padStart(3, '0')}) and may hold ` +
          `secrets: chmod 600 ${path}`,
      );
    }
  } catch {
    // It was just read; a failing stat is not worth a message.
  }
}

function resolveStateDir(setting: Lookup | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  if (setting) return resolve(cwd, setting.value);
  // XDG says a relative XDG_STATE_HOME is invalid and must be ignored.
  const xdg = env.XDG_STATE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'pvetasks');
  return join(env.HOME || homedir(), '.local', 'state', 'pvetasks');
}

/** JSON.stringify and util.inspect of the configuration (a debug print, a crash report) hide the secrets. */
export function redactWhenPrinted(config: ResolvedConfig): ResolvedConfig {
  const redacted = () => {
    const copy: Record<string, unknown> = { ...config };
    if (copy.simToken) copy.simToken = '<redacted>';
    if (config.auth) {
      copy.auth =
        config.auth.kind === 'token'
          ? { kind: 'token', token: '<redacted>' }
          : { kind: 'password', username: config.auth.username, password: '<redacted>' };
    }
    return copy;
  };
  Object.defineProperty(config, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(config, inspect.custom, {
    value: (_depth: number, options: object) => inspect(redacted(), options),
    enumerable: false,
  });
  return config;
}
