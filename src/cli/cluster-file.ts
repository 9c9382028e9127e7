/**
 * The configuration file of named clusters: `$XDG_CONFIG_HOME/pvetasks/config.yaml` (by default
 * `~/.config/pvetasks/config.yaml`) or `--config FILE`. A top-level `clusters:` list; each entry has a
 * `name`, its `endpoints` (failover as with PROXMOX_VE_ENDPOINT), one credential (`token_file`,
 * `token_env`, `token`, or `username` with `password_file` or `password`) and optionally
 * `fingerprint`, `ca_file`, `insecure`, `interval`.
 *
 * Everything is shape-checked when the file is read, every entry, whichever is used: one bad entry is
 * one line naming the file, the line, the entry and the key (exit 2). Secrets are read (files, the
 * environment) only for the clusters a run uses, and no message ever holds one. YAML is loaded only
 * when a file exists, so a run without one does not pay for the parser.
 */
import { lstatSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type * as Yaml from 'yaml';
import type { LineCounter, Node as YamlNode, YAMLMap } from 'yaml';
import { validateUsername } from '../api/credentials.js';
import { echo } from '../util/echo.js';
import { sanitizeText } from '../util/sanitize.js';
import { parseIntervalArg } from './args.js';
import { checkToken, parseEndpoints, parseFingerprint, withLabel } from './config.js';
import { CliError, ExitCode } from './io.js';

export const CLUSTER_KEYS = [
  'name',
  'endpoints',
  'token_file',
  'token_env',
  'token',
  'username',
  'password_file',
  'password',
  'fingerprint',
  'ca_file',
  'insecure',
  'interval',
] as const;
type ClusterKey = (typeof CLUSTER_KEYS)[number];
const CREDENTIAL_KEYS = ['token_file', 'token_env', 'token', 'password_file', 'password'] as const;
type CredentialKey = (typeof CREDENTIAL_KEYS)[number];

/** A cluster's name: it is typed (`--cluster east`, `east:101`) and part of session file names. */
export const CLUSTER_NAME_RE = /^[A-Za-z][A-Za-z0-9._-]{0,31}$/;
const NAME_RULE = "1 to 32 letters, digits, '-', '_' or '.', starting with a letter";
/** `--cluster all` means every configured cluster, so no cluster may be called that. */
export const ALL_CLUSTERS = 'all';
const MAX_FILE_BYTES = 1024 * 1024;

export type Credential =
  | { form: 'token_file'; path: string }
  | { form: 'token_env'; variable: string }
  | { form: 'token'; token: string }
  | { form: 'password_file'; username: string; path: string }
  | { form: 'password'; username: string; password: string };

export interface ClusterEntry {
  name: string;
  /** Where the entry starts in the file, for messages. */
  line: number;
  /** Normalized, in failover order. */
  endpoints: string[];
  credential: Credential;
  fingerprint?: string;
  /** Absolute path of a PEM file of CA certificates to trust. */
  caFile?: string;
  insecure: boolean;
  intervalMs?: number;
}

export interface ClusterFile {
  path: string;
  clusters: ClusterEntry[];
}

/** `$XDG_CONFIG_HOME/pvetasks/config.yaml`, or `~/.config/pvetasks/config.yaml` (XDG ignores a relative XDG_CONFIG_HOME). */
export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'pvetasks', 'config.yaml');
  return join(env.HOME || homedir(), '.config', 'pvetasks', 'config.yaml');
}

const fileError = (message: string) => new CliError(message, ExitCode.usage);

/**
 * Why a configuration file cannot be trusted with where credentials go: another owner (root aside: a
 * file in /etc) or a mode that lets others write it. Undefined when it is fine (or owners do not exist).
 */
export function configFileProblem(
  path: string,
  link: { uid: number },
  file: { uid: number; mode: number },
  uid: number | undefined,
): string | undefined {
  if (uid === undefined) return undefined;
  const owner = link.uid !== uid && link.uid !== 0 ? link.uid : file.uid;
  if (owner !== uid && owner !== 0) {
    return `${path} belongs to another user (uid ${owner}), who could send your credentials to their server; fix: use a file of your own (chmod 600)`;
  }
  const mode = file.mode & 0o777;
  if (mode & 0o022) {
    return `${path} is writable by group or others (mode ${octal(mode)}), so they could send your credentials to their server; fix: chmod 600 ${path}`;
  }
  return undefined;
}

/**
 * Why a secret may not be written in the file itself (`token:`, `password:`): only a file that is the
 * user's own and that nobody else may read can hold one. Undefined when it may.
 */
export function inlineSecretProblem(path: string, file: { uid: number; mode: number }, uid: number | undefined): string | undefined {
  if (uid === undefined) return undefined;
  if (file.uid !== uid) {
    return `an inline secret needs a file of your own, and ${path} belongs to uid ${file.uid}; fix: keep the secret in a token_file or password_file, or use token_env`;
  }
  const mode = file.mode & 0o777;
  if (mode & 0o077) {
    return `an inline secret needs a file only you can read, and ${path} has mode ${octal(mode)}; fix: chmod 600 ${path}`;
  }
  return undefined;
}

const octal = (mode: number) => mode.toString(8).padStart(3, '0');
const currentUid = () => (process.platform === 'win32' || typeof process.getuid !== 'function' ? undefined : process.getuid());

/**
 * Reads and checks the file: `--config FILE` must exist; the default path may not (undefined then).
 * Throws a one-line CliError (exit 2) for anything wrong in it.
 */
export async function readClusterFile(options: {
  configFlag?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
}): Promise<ClusterFile | undefined> {
  const explicit = options.configFlag !== undefined;
  const path = explicit ? resolve(options.cwd, options.configFlag!) : defaultConfigPath(options.env);
  let text: string;
  let file: { uid: number; mode: number; size: number };
  let link: { uid: number };
  try {
    link = lstatSync(path);
    const stat = statSync(path);
    if (!stat.isFile()) throw fileError(`${explicit ? '--config ' : ''}${path} is not a file`);
    if (stat.size > MAX_FILE_BYTES) throw fileError(`${path} is larger than 1 MiB: not a configuration file`);
    file = stat;
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (!explicit && (code === 'ENOENT' || code === 'ENOTDIR')) return undefined;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw fileError(`cannot read ${explicit ? '--config ' : 'the configuration file '}${echo(path)}: ${why}`);
  }
  const problem = configFileProblem(path, link, file, currentUid());
  if (problem) throw fileError(`${problem}`);
  return { path, clusters: await parseClusterFile(path, text, file, options.env) };
}

let yamlParser: typeof Yaml | undefined;

/** The YAML parser, imported on first use (each import() would be asked of the module loader again). */
export async function loadYamlParser(): Promise<typeof Yaml> {
  if (!yamlParser) {
    // yaml is CommonJS: Node names its exports, the bundle's piece may hand them over as `default`.
    const loaded = (await import('yaml')) as typeof Yaml & { default?: typeof Yaml };
    yamlParser = typeof loaded.parseDocument === 'function' ? loaded : loaded.default!;
  }
  return yamlParser;
}

/** Parses the text of a configuration file read from `path` (whose owner and mode decide about inline secrets). */
export async function parseClusterFile(
  path: string,
  text: string,
  file: { uid: number; mode: number },
  env: NodeJS.ProcessEnv,
): Promise<ClusterEntry[]> {
  const yaml = await loadYamlParser();
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const bad = doc.errors[0] ?? doc.warnings[0];
  if (bad) {
    const { line, col } = lineCounter.linePos(bad.pos[0]);
    // The parser's own words, never the text around the error (it could hold a secret).
    const why = sanitizeText(bad.message.split('\n', 1)[0]!, { maxLength: 100 });
    throw fileError(`${path}:${line}:${col}: not valid YAML: ${why}`);
  }
  const at = (node: unknown, fallback = 1) => lineOf(lineCounter, node, fallback);
  const root = doc.contents;
  const expected = "expected a top-level 'clusters:' list of named clusters";
  if (root === null || !yaml.isMap(root)) throw fileError(`${path}:${at(root)}: ${expected}`);
  for (const pair of root.items) {
    const key = yaml.isScalar(pair.key) ? pair.key.value : undefined;
    if (key !== 'clusters') {
      throw fileError(`${path}:${at(pair.key)}: unknown top-level key ${echo(String(key), { maxLength: 40 })}; ${expected}`);
    }
  }
  const list = root.get('clusters', true) as YamlNode | undefined;
  if (!yaml.isSeq(list) || list.items.length === 0) throw fileError(`${path}:${at(list ?? root)}: clusters: ${expected}`);

  const entries: ClusterEntry[] = [];
  const seen = new Map<string, number>();
  list.items.forEach((item, index) => {
    const entry = parseEntry({ yaml, path, file, env, at, item, index });
    const lower = entry.name.toLowerCase();
    if (seen.has(lower)) {
      throw fileError(
        `${path}:${entry.line}: cluster '${entry.name}': name: also used by the entry on line ${seen.get(lower)} (names must differ)`,
      );
    }
    seen.set(lower, entry.line);
    entries.push(entry);
  });
  return entries;
}

function lineOf(lineCounter: LineCounter, node: unknown, fallback: number): number {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? lineCounter.linePos(range[0]).line : fallback;
}

interface EntryContext {
  yaml: typeof Yaml;
  path: string;
  file: { uid: number; mode: number };
  env: NodeJS.ProcessEnv;
  at: (node: unknown, fallback?: number) => number;
  item: unknown;
  index: number;
}

function parseEntry({ yaml, path, file, env, at, item, index }: EntryContext): ClusterEntry {
  const line = at(item);
  let label = `#${index + 1}`;
  const fail = (node: unknown, key: string | undefined, problem: string): never => {
    throw fileError(`${path}:${at(node, line)}: cluster ${label}: ${key ? `${key}: ` : ''}${problem}`);
  };
  if (!yaml.isMap(item)) return fail(item, undefined, 'expected a mapping (name:, endpoints:, token_file: ...)');
  const values = new Map<ClusterKey, YamlNode | null>();
  const unknown: Array<{ key: string; node: unknown }> = [];
  for (const pair of (item as YAMLMap).items) {
    const key = yaml.isScalar(pair.key) ? String(pair.key.value) : '';
    if ((CLUSTER_KEYS as readonly string[]).includes(key)) values.set(key as ClusterKey, (pair.value as YamlNode | null) ?? null);
    else unknown.push({ key, node: pair.key });
  }
  const textOf = (key: ClusterKey): string | undefined => {
    if (!values.has(key)) return undefined;
    const node = values.get(key);
    if (yaml.isAlias(node)) return fail(node, key, 'aliases are not supported here');
    if (!yaml.isScalar(node) || node.value === null || node.value === '') return fail(node ?? item, key, 'is empty');
    if (typeof node.value !== 'string') return fail(node, key, 'expected text (quote it)');
    return node.value;
  };

  const name = textOf('name');
  if (name === undefined) return fail(item, 'name', 'missing: every cluster needs a name');
  if (!CLUSTER_NAME_RE.test(name)) return fail(values.get('name'), 'name', `${echo(name, { maxLength: 40 })} is not a name (${NAME_RULE})`);
  if (name.toLowerCase() === ALL_CLUSTERS) return fail(values.get('name'), 'name', "'all' is reserved: --cluster all means every cluster");
  label = `'${name}'`;
  if (unknown[0]) {
    const { key, node } = unknown[0];
    return fail(node, undefined, `unknown key ${echo(key, { maxLength: 40 })} (known: ${CLUSTER_KEYS.join(', ')})`);
  }
  const where = (key: string) => `${path}:${at(values.get(key as ClusterKey), line)}: cluster ${label}: ${key}`;

  const endpointsNode = values.get('endpoints');
  if (!values.has('endpoints')) return fail(item, 'endpoints', 'missing: a list of https://HOST:8006 URLs (several to fail over)');
  if (!yaml.isSeq(endpointsNode) || endpointsNode.items.length === 0) {
    return fail(endpointsNode ?? item, 'endpoints', 'expected a list, e.g. [https://pve1.example.com:8006]');
  }
  const endpoints: string[] = [];
  endpointsNode.items.forEach((node, i) => {
    if (!yaml.isScalar(node) || typeof node.value !== 'string') return fail(node, `endpoints[${i + 1}]`, 'expected a URL');
    const label = `${path}:${at(node, line)}: cluster '${name}': endpoints[${i + 1}]`;
    for (const endpoint of parseEndpoints({ value: node.value, source: 'config file', label })) {
      if (!endpoints.includes(endpoint)) endpoints.push(endpoint);
    }
  });

  const entry: ClusterEntry = { name, line, endpoints, credential: credentialOf(), insecure: false };
  const fingerprint = textOf('fingerprint');
  if (fingerprint !== undefined)
    entry.fingerprint = parseFingerprint({ value: fingerprint, source: 'config file', label: where('fingerprint') });
  const caFile = textOf('ca_file');
  if (caFile !== undefined) entry.caFile = pathIn(caFile, 'ca_file');
  if (values.has('insecure')) {
    const node = values.get('insecure');
    if (!yaml.isScalar(node) || typeof node.value !== 'boolean') return fail(node ?? item, 'insecure', 'expected true or false');
    entry.insecure = node.value;
  }
  if (values.has('interval')) {
    const node = values.get('interval');
    if (!yaml.isScalar(node) || typeof node.value !== 'string')
      return fail(node ?? item, 'interval', 'expected a duration such as 2s or 500ms');
    entry.intervalMs = parseIntervalArg(where('interval'), node.value);
  }
  return entry;

  function pathIn(text: string, key: string): string {
    if (text.includes('\0')) return fail(values.get(key as ClusterKey), key, 'not a path');
    const home = env.HOME || homedir();
    // `~/...` as a shell would; anything relative is relative to the configuration file.
    return text === '~' || text.startsWith('~/') ? join(home, text.slice(1)) : resolve(dirname(path), text);
  }

  function credentialOf(): Credential {
    const given = CREDENTIAL_KEYS.filter((key) => values.has(key));
    if (given.length === 0) {
      return fail(item, undefined, 'no credentials: give token_file, token_env, or username with password_file');
    }
    if (given.length > 1) {
      return fail(values.get(given[1]!), given[1], `give one credential, not ${given.join(' and ')}`);
    }
    const form: CredentialKey = given[0]!;
    const username = textOf('username');
    const byPassword = form === 'password' || form === 'password_file';
    if (username !== undefined && !byPassword)
      return fail(values.get('username'), 'username', `goes with password_file or password, not ${form}`);
    if (byPassword && username === undefined) return fail(values.get(form), form, 'needs a username (USER@REALM, e.g. root@pam)');
    if (form === 'token' || form === 'password') {
      const problem = inlineSecretProblem(path, file, currentUid());
      if (problem) return fail(values.get(form), form, problem);
    }
    const value = textOf(form)!;
    const user = username === undefined ? '' : withLabel(where('username'), () => validateUsername(username));
    switch (form) {
      case 'token_file':
        return { form, path: pathIn(value, form) };
      case 'password_file':
        return { form, username: user, path: pathIn(value, form) };
      case 'token_env':
        if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(value))
          return fail(values.get(form), form, `${echo(value, { maxLength: 40 })} is not a variable name`);
        return { form, variable: value };
      case 'token':
        return { form, token: checkToken(value, where('token')) };
      case 'password':
        return { form, username: user, password: value };
    }
  }
}
