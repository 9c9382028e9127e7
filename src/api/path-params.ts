/**
 * Path parameters are checked against PVE's own formats before any URL is built: a name that came from
 * a server (a node in /cluster/resources, a UPID in a task list) must not be able to change which
 * endpoint a request reaches. Percent-encoding keeps `/` inside a segment, but `..` or an empty
 * segment would still move the request elsewhere (`/nodes/../qemu/102/status/start`).
 */
import { PveApiError } from './errors.js';

// pve-node: a DNS label.
const NODE_RE = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const NODE_MAX_LENGTH = 63;
// pve-vmid: 100 to 999999999, no leading zero.
const VMID_RE = /^[1-9][0-9]{2,8}$/;
// pve-storage-id
const STORAGE_RE = /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i;
// pve-configid, which pve-snapshot-name limits to 40 characters.
const SNAPNAME_RE = /^[a-z][a-z0-9_-]+$/i;
const SNAPNAME_MAX_LENGTH = 40;
// A UPID of PVE, or of PBS with its task id field: node, pid, pstart, [task id], starttime, type, id, user.
const UPID_RE =
  /^UPID:[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?:[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,9}:(?:[0-9A-Fa-f]{8,16}:)?[0-9A-Fa-f]{8}:[^:\s]+:[^:\s]*:[^:\s]+:$/;

type Check = (text: string) => boolean;

const FORMATS: Record<string, { check: Check; expected: string }> = {
  node: {
    check: (text) => text.length <= NODE_MAX_LENGTH && NODE_RE.test(text),
    expected: "a node name (letters, digits and inner '-', at most 63 characters)",
  },
  vmid: { check: (text) => VMID_RE.test(text), expected: 'a VMID (an integer from 100 to 999999999)' },
  storage: {
    check: (text) => STORAGE_RE.test(text),
    expected: "a storage id (a letter, then letters, digits, '-', '_' or '.', ending in a letter or digit)",
  },
  snapname: {
    check: (text) => text.length <= SNAPNAME_MAX_LENGTH && SNAPNAME_RE.test(text),
    expected: "a snapshot name (a letter, then letters, digits, '-' or '_'; 2 to 40 characters)",
  },
  upid: { check: (text) => UPID_RE.test(text), expected: 'a UPID (UPID:node:pid:pstart:starttime:type:id:user:)' },
};

/** Why `value` cannot fill the path parameter `name`, or undefined when it can. Never quotes the value. */
export function pathParameterProblem(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return 'is missing';
  if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value)) && typeof value !== 'bigint') {
    return `is a ${typeof value}, not text`;
  }
  const text = String(value);
  const format = FORMATS[name];
  if (format) return format.check(text) ? undefined : `is not ${format.expected}`;
  if (text === '') return 'is empty';
  if (text === '.' || text === '..') return "is '.' or '..', which would change the path";
  return undefined;
}

/**
 * The error for the first path parameter of `template` that fails its format (kind `config`, nothing
 * sent), or undefined. The message names the parameter, not its value: a value in the wrong place
 * may be a secret.
 */
export function pathParameterError(
  template: string,
  parameters: Record<string, unknown> | undefined,
  method?: string,
): PveApiError | undefined {
  for (const match of template.matchAll(/\{(\w+)\}/g)) {
    const name = match[1]!;
    const problem = pathParameterProblem(name, parameters?.[name]);
    if (problem === undefined) continue;
    const request = method ? `${method} ${template}` : template;
    return new PveApiError({
      kind: 'config',
      notSent: true,
      ...(method ? { method } : {}),
      path: template,
      message: `${request}: path parameter '${name}' ${problem}; not sent`,
    });
  }
  return undefined;
}
