/**
 * Configuration of every subcommand: flags win over the environment, which wins over `.env` in the
 * working directory (DESIGN.md "Configuration"). Secrets come from the environment, `.env` or
 * `--token-file` only, and no message here ever contains one.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { inspect, parseEnv } from 'node:util';
import { InvalidDurationError, parseDuration } from '../util/duration.js';
import { MAX_INTERVAL_MS, MIN_INTERVAL_MS } from './args.js';
import { CliError, ExitCode } from './io.js';

export const DEFAULT_INTERVAL_MS = 2_000;
export const DEFAULT_PVE_PORT = 8006;

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
}

export type ConfigSource = 'flag' | 'environment' | '.env' | '--token-file' | 'default';

export type PveAuth =
  | { kind: 'token'; token: string }
  | { kind: 'password'; username: string; password: string };

export interface ResolvedConfig {
  /** Normalized origins (`https://pve1.example.com:8006`), in failover order; empty only without requireEndpoint. */
  endpoints: string[];
  /** Undefined only when no endpoint is configured (the board's demo). A token wins over a password. */
  auth?: PveAuth;
  token?: string;
  username?: string;
  password?: string;
  /** Upper-case `AA:BB:...` (32 pairs). */
  fingerprint?: string;
  insecure: boolean;
  intervalMs: number;
  stateDir: string;
  tokenFile?: string;
  /** `PVETASKS_SIM_TOKEN`, for `pvetasks sim`. */
  simToken?: string;
  /** The `.env` that was read, if any. */
  dotenvPath?: string;
  /** Where the endpoint, the credentials and the interval came from (never the values). */
  sources: { endpoint?: ConfigSource; auth?: ConfigSource; interval: ConfigSource };
  /** Non-fatal problems to print on stderr (a `.env` others can read). */
  warnings: string[];
}

const TOKEN_RE = /^[^\s:@!=/]+@[A-Za-z][A-Za-z0-9._-]*![A-Za-z][A-Za-z0-9._-]*=\S+$/;
const FINGERPRINT_HEX_RE = /^[0-9A-Fa-f]{64}$/;

const configError = (message: string) => new CliError(message, ExitCode.usage);

interface Lookup {
  value: string;
  source: ConfigSource;
  /** How messages name the setting: the flag or the variable (and where it was found). */
  label: string;
}

/** Loads and validates the configuration; throws a one-line CliError (exit 2) when it is unusable. */
export function loadConfig({ flags = {}, env, cwd, requireEndpoint = true }: LoadConfigOptions): ResolvedConfig {
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

  const endpointSetting = lookup('PROXMOX_VE_ENDPOINT', flags.endpoint, '--endpoint');
  const endpoints = endpointSetting ? parseEndpoints(endpointSetting) : [];
  if (requireEndpoint && endpoints.length === 0) {
    throw configError(
      'no Proxmox VE endpoint configured: set PROXMOX_VE_ENDPOINT (e.g. https://pve1.example.com:8006) ' +
        'in the environment or in .env',
    );
  }

  const intervalSetting = lookup('PVETASKS_INTERVAL', flags.interval, '--interval');
  const intervalMs = intervalSetting ? parseInterval(intervalSetting) : DEFAULT_INTERVAL_MS;

  const fingerprintSetting = lookup('PROXMOX_VE_FINGERPRINT', flags.fingerprint, '--fingerprint');
  const insecureSetting = lookup(
    'PROXMOX_VE_INSECURE',
    flags.insecure === undefined ? undefined : String(flags.insecure),
    '--insecure',
  );

  const config: ResolvedConfig = {
    endpoints,
    insecure: insecureSetting ? parseBoolean(insecureSetting) : false,
    intervalMs,
    stateDir: resolveStateDir(lookup('PVETASKS_STATE_DIR', flags.stateDir, '--state-dir'), env, cwd),
    sources: { interval: intervalSetting?.source ?? 'default' },
    warnings,
  };
  if (endpointSetting) config.sources.endpoint = endpointSetting.source;
  if (fingerprintSetting) config.fingerprint = parseFingerprint(fingerprintSetting);
  if (dotenv) config.dotenvPath = dotenv.path;

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
    config.token = checkToken(tokenSetting.value, tokenSetting.label);
    config.auth = { kind: 'token', token: config.token };
    config.sources.auth = tokenSetting.source;
  } else if (usernameSetting || passwordSetting) {
    if (!usernameSetting) throw configError('PROXMOX_VE_PASSWORD is set but PROXMOX_VE_USERNAME is not (e.g. root@pam)');
    if (!passwordSetting) throw configError(`${usernameSetting.label} is set but PROXMOX_VE_PASSWORD is not`);
    const username = usernameSetting.value.trim();
    if (!/^[^\s:@/]+@[A-Za-z][A-Za-z0-9._-]*$/.test(username)) {
      throw configError(`${usernameSetting.label} must be USER@REALM, e.g. root@pam or admin@pve`);
    }
    config.username = username;
    config.password = passwordSetting.value;
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

/** Splits and normalizes `PROXMOX_VE_ENDPOINT`: `https://host:port`, comma-separated for failover. */
export function parseEndpoints(setting: Lookup): string[] {
  const endpoints: string[] = [];
  for (const raw of setting.value.split(',')) {
    const text = raw.trim();
    if (!text) continue;
    const origin = parseEndpoint(text, setting.label);
    if (!endpoints.includes(origin)) endpoints.push(origin);
  }
  if (endpoints.length === 0) throw configError(`${setting.label} is empty: use https://pve1.example.com:8006`);
  return endpoints;
}

function parseEndpoint(text: string, label: string): string {
  // A bare `host` or `host:port` means PVE's own https on 8006, as operators often write it.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw configError(`${label}: '${safeEndpointText(text)}' is not a URL; use https://pve1.example.com:8006`);
  }
  if (url.username || url.password) {
    // The URL carries credentials: do not repeat any of it.
    throw configError(`${label}: the URL must not contain a user or password; use PROXMOX_VE_API_TOKEN instead`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw configError(`${label}: '${text}' must start with https:// (or http:// for a local simulator)`);
  }
  if (!url.hostname) throw configError(`${label}: '${text}' has no host name`);
  if (!/^\/?(api2\/json\/?)?$/.test(url.pathname) || url.search || url.hash) {
    throw configError(`${label}: '${text}' must be just scheme, host and port, e.g. https://pve1.example.com:8006`);
  }
  if (withScheme !== text && !url.port) url.port = String(DEFAULT_PVE_PORT);
  return url.origin;
}

function safeEndpointText(text: string): string {
  return text.includes('@') ? '(hidden: it contains @)' : text;
}

function parseInterval(setting: Lookup): number {
  let ms: number;
  try {
    ms = parseDuration(setting.value);
  } catch (error) {
    if (error instanceof InvalidDurationError) throw configError(`${setting.label}: ${error.message}`);
    throw error;
  }
  if (ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
    throw configError(`${setting.label}: interval '${setting.value}' must be between 500ms and 1h`);
  }
  return ms;
}

function parseBoolean(setting: Lookup): boolean {
  const value = setting.value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(value)) return false;
  throw configError(`${setting.label}: '${setting.value}' is not true or false`);
}

function parseFingerprint(setting: Lookup): string {
  const hex = setting.value.trim().replace(/:/g, '');
  if (!FINGERPRINT_HEX_RE.test(hex)) {
    throw configError(
      `${setting.label} must be the certificate's SHA-256 fingerprint: 32 hex pairs, AA:BB:...:FF ` +
        "(the node's Certificates panel, or /nodes' ssl_fingerprint)",
    );
  }
  return hex.toUpperCase().match(/../g)!.join(':');
}

/** Checks the token's form without ever repeating any of it. */
function checkToken(raw: string, label: string): string {
  const token = raw.trim();
  if (TOKEN_RE.test(token)) return token;
  const form = 'USER@REALM!TOKENID=SECRET, e.g. root@pam!pvetasks=<uuid>';
  let hint = '';
  if (/^PVEAPIToken[= ]/i.test(token)) hint = ": drop the 'PVEAPIToken=' prefix";
  else if (!token.includes('!')) hint = ': the !TOKENID part is missing';
  else if (!token.includes('=')) hint = ': the =SECRET part is missing';
  else if (!token.slice(0, token.indexOf('!')).includes('@')) hint = ': the user needs its realm, e.g. root@pam';
  throw configError(`${label} must look like ${form}${hint}`);
}

function readTokenFile(path: string, warnings: string[]): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code ?? 'unreadable';
    throw configError(`cannot read --token-file '${path}': ${why}`);
  }
  warnIfOthersCanRead(path, '--token-file', warnings);
  const firstLine = text.split(/\r?\n/, 1)[0]!.trim();
  if (!firstLine) throw configError(`--token-file '${path}' is empty: its first line must be USER@REALM!TOKENID=SECRET`);
  return firstLine;
}

function readDotenv(
  cwd: string,
  env: NodeJS.ProcessEnv,
  warnings: string[],
): { path: string; values: NodeJS.Dict<string> } | undefined {
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
  return { path, values };
}

function warnIfOthersCanRead(path: string, what: string, warnings: string[]): void {
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
function redactWhenPrinted(config: ResolvedConfig): ResolvedConfig {
  const redacted = () => {
    const copy: Record<string, unknown> = { ...config };
    if (copy.token) copy.token = '<redacted>';
    if (copy.password) copy.password = '<redacted>';
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

/** Prints the configuration's warnings on stderr, one line each. */
export function printConfigWarnings(config: ResolvedConfig, stderr: NodeJS.WritableStream): void {
  for (const warning of config.warnings) stderr.write(`pvetasks: warning: ${warning}\n`);
}
