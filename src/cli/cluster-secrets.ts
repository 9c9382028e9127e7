/**
 * A configured cluster's configuration for a run: its entry of the configuration file (cluster-file.ts)
 * with its secrets read now, from the files and variables the entry names, for the clusters a run uses
 * only. Messages name the file, the entry and the key, never a secret.
 */
import { readFileSync, statSync } from 'node:fs';
import { echo } from '../util/echo.js';
import type { ClusterEntry, ClusterFile, Credential } from './cluster-file.js';
import { checkToken, redactWhenPrinted, warnIfOthersCanRead, type PveAuth, type ResolvedConfig } from './config.js';
import { CliError, ExitCode } from './io.js';

const MAX_FILE_BYTES = 1024 * 1024;
const fileError = (message: string) => new CliError(message, ExitCode.usage);

/**
 * The configuration of one entry, its secrets read now: `--interval` wins over the entry's `interval`,
 * which wins over PVETASKS_INTERVAL; the state dir is the one every cluster shares.
 */
export function resolveClusterEntry(
  file: ClusterFile,
  entry: ClusterEntry,
  shared: ResolvedConfig,
  env: NodeJS.ProcessEnv,
): ResolvedConfig {
  const where = `${file.path}:${entry.line}: cluster '${entry.name}'`;
  const warnings: string[] = [];
  const intervalFromFlag = shared.sources.interval === 'flag';
  const config: ResolvedConfig = {
    endpoints: entry.endpoints,
    insecure: entry.insecure,
    intervalMs: !intervalFromFlag && entry.intervalMs !== undefined ? entry.intervalMs : shared.intervalMs,
    stateDir: shared.stateDir,
    environmentEndpoint: shared.environmentEndpoint,
    sources: {
      endpoint: 'config file',
      auth: 'config file',
      interval: !intervalFromFlag && entry.intervalMs !== undefined ? 'config file' : shared.sources.interval,
    },
    auth: authOf(entry.credential, where, env, warnings),
    warnings,
  };
  if (entry.fingerprint) config.fingerprint = entry.fingerprint;
  if (entry.caFile) config.ca = readCaFile(entry.caFile, where);
  if (entry.insecure) {
    config.sources.insecure = 'config file';
    warnings.push(
      `TLS certificate checks are OFF for cluster '${entry.name}' (insecure: true in ${file.path}): anyone on the network ` +
        'path can read and change the traffic, credentials included; pin the certificate with fingerprint: instead',
    );
  }
  return redactWhenPrinted(config);
}

function authOf(credential: Credential, where: string, env: NodeJS.ProcessEnv, warnings: string[]): PveAuth {
  switch (credential.form) {
    case 'token':
      return { kind: 'token', token: credential.token };
    case 'password':
      return { kind: 'password', username: credential.username, password: credential.password };
    case 'token_env': {
      const value = env[credential.variable];
      if (!value) throw fileError(`${where}: token_env: ${credential.variable} is not set in the environment`);
      return { kind: 'token', token: checkToken(value, `${where}: the token in ${credential.variable}`) };
    }
    case 'token_file': {
      const line = readFirstLine(credential.path, `${where}: token_file`, warnings).trim();
      return { kind: 'token', token: checkToken(line, `${where}: the token in token_file`) };
    }
    case 'password_file':
      return {
        kind: 'password',
        username: credential.username,
        password: readFirstLine(credential.path, `${where}: password_file`, warnings),
      };
  }
}

/** The first line of a secret's file (without its line break); others reading it is worth a warning. */
function readFirstLine(path: string, label: string, warnings: string[]): string {
  let text: string;
  try {
    if (statSync(path).size > MAX_FILE_BYTES) throw fileError(`${label}: ${echo(path)} is larger than 1 MiB`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw fileError(`${label}: cannot read ${echo(path)}: ${whyUnreadable(error)}`);
  }
  warnIfOthersCanRead(path, label, warnings);
  const first = text.split(/\r?\n/, 1)[0]!;
  if (!first.trim()) throw fileError(`${label}: ${echo(path)} is empty: its first line must hold the secret`);
  return first;
}

function readCaFile(path: string, where: string): string {
  let text: string;
  try {
    if (statSync(path).size > MAX_FILE_BYTES) throw fileError(`${where}: ca_file: ${echo(path)} is larger than 1 MiB`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw fileError(`${where}: ca_file: cannot read ${echo(path)}: ${whyUnreadable(error)}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw fileError(`${where}: ca_file: ${echo(path)} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return text;
}

function whyUnreadable(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT'
    ? 'no such file'
    : code === 'EACCES'
      ? 'permission denied'
      : code === 'EISDIR'
        ? 'a directory'
        : (code ?? 'unreadable');
}
