/**
 * The domain's side of the trust boundary: every API answer the domain reads is shape-checked here,
 * and every string in it sanitized, before anything else sees it. A list item of the wrong shape is
 * skipped and counted (the caller reports "N malformed items in <path> ignored"), never thrown: one bad
 * item must not end a poll cycle. An answer that is wrong as a whole (not a list where a list belongs)
 * counts as one malformed item and reads as empty.
 */
import { PveApiError, type PveClient } from '../api/index.js';
import { pathParameterProblem } from '../api/path-params.js';
import { isSafeText } from '../util/sanitize.js';
import { cleanText, cleanLogLine } from './clean-text.js';
import type { Guest, PermissionMap } from './task-row.js';
import { parseUpid, splitAuthId } from './upid.js';

/** Items that passed the shape check, and how many did not. */
export interface Checked<T> {
  items: T[];
  malformed: number;
  /** The answer was not a list at all (counted as one malformed item). */
  notAList?: true;
}

export interface ReadInit {
  signal?: AbortSignal;
  timeoutMs?: number;
}

type Raw = Record<string, unknown>;

const NODE_RE = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

const isObject = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A string field, sanitized; undefined when absent or not a string. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' ? cleanText(value) : undefined;
}

/** A whole number; PVE sends some numbers as strings (`"starttime":"1483334102"`). */
function whole(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) ? number : undefined;
}

/** A node name as PVE's `pve-node` format allows it: never `.`, `..` or anything a path could misread. */
export function isNodeName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 63 && NODE_RE.test(value);
}

/**
 * A UPID we can parse and may print: PVE's UPID format allows any character but `:`, `/` and white
 * space in its type, id and user, yet a real one never holds a control or bidi character, so one that
 * does is not taken (its fields would reach the screen).
 */
export function checkUpid(value: unknown): string | undefined {
  if (typeof value !== 'string' || !isSafeText(value)) return undefined;
  try {
    parseUpid(value);
    return value;
  } catch {
    return undefined;
  }
}

/** The one wording for skipped items, wherever they are reported: `3 malformed items in /cluster/tasks ignored`. */
export function malformedMessage(count: number, path: string): string {
  return `${count} malformed item${count === 1 ? '' : 's'} in ${path} ignored`;
}

/** Checks each item of a list answer; anything but an array is one malformed item. */
export function checkList<T>(data: unknown, item: (raw: Raw) => T | undefined): Checked<T> {
  if (!Array.isArray(data))
    return data === null || data === undefined ? { items: [], malformed: 0 } : { items: [], malformed: 1, notAList: true };
  const items: T[] = [];
  let malformed = 0;
  for (const raw of data) {
    const checked = isObject(raw) ? item(raw) : undefined;
    if (checked === undefined) malformed++;
    else items.push(checked);
  }
  return { items, malformed };
}

/**
 * An entry of a task list: `/cluster/tasks`, or a node's `/nodes/{node}/tasks`. Its node, type, id,
 * user and start are the UPID's own (validated above); the list's copies of them must only be of the
 * right type. Running entries: in `/cluster/tasks` they have no status; in a node's active list the
 * status `RUNNING` (a string PVE uses nowhere else).
 */
export interface ListedTask {
  upid: string;
  node: string;
  type: string;
  id: string;
  /** `user@realm`; for an API token its id is in `tokenid`. */
  user: string;
  tokenid?: string;
  /** Epoch seconds. */
  starttime: number;
  running: boolean;
  /** PVE's exit status (finished only). */
  status?: string;
  /** Epoch seconds (finished only). */
  endtime?: number;
}

/** Fields a list entry repeats from its UPID, and their JSON types. */
const LISTED_TEXT_FIELDS = ['node', 'type', 'id', 'user', 'tokenid', 'status'] as const;
const LISTED_TIME_FIELDS = ['starttime', 'endtime'] as const;

export function checkListedTask(raw: Raw): ListedTask | undefined {
  const id = checkUpid(raw.upid);
  if (!id) return undefined;
  for (const field of LISTED_TEXT_FIELDS) if (raw[field] !== undefined && typeof raw[field] !== 'string') return undefined;
  for (const field of LISTED_TIME_FIELDS) if (raw[field] !== undefined && whole(raw[field]) === undefined) return undefined;
  const upid = parseUpid(id);
  const { userid, tokenid } = splitAuthId(upid.user);
  const status = text(raw.status);
  const task: ListedTask = {
    upid: id,
    node: upid.node,
    type: cleanText(upid.type),
    id: cleanText(upid.id),
    user: cleanText(userid),
    starttime: upid.starttime,
    running: status === undefined || status === 'RUNNING',
  };
  if (tokenid !== undefined) task.tokenid = cleanText(tokenid);
  if (status !== undefined && status !== 'RUNNING') task.status = status;
  const endtime = whole(raw.endtime);
  if (endtime !== undefined) task.endtime = endtime;
  return task;
}

export async function readClusterTasks(client: PveClient, init: ReadInit = {}): Promise<Checked<ListedTask>> {
  const response = await client.GET('/cluster/tasks', init);
  return checkList(response.data, checkListedTask);
}

export interface NodeTaskPage extends Checked<ListedTask> {
  /** PVE's count of every matching task (beyond the page too); omitted by PVE when 0. */
  total: number;
  /** Entries the page held, well-formed or not (for paging). */
  received: number;
}

export async function readNodeTasks(
  client: PveClient,
  node: string,
  query: { source?: 'active' | 'archive' | 'all'; start?: number; limit: number; since?: number; typefilter?: string; vmid?: number },
  init: ReadInit = {},
): Promise<NodeTaskPage> {
  const response = await client.GET('/nodes/{node}/tasks', { params: { path: { node }, query }, ...init });
  const checked = checkList(response.data, checkListedTask);
  const received = Array.isArray(response.data) ? response.data.length : 0;
  return { ...checked, total: whole(response.total) ?? 0, received };
}

/** A task's `/status`, in PVE's field names: running, or stopped with its exit status. */
export interface TaskStatusAnswer {
  status: 'running' | 'stopped';
  exitstatus?: string;
}

/** Undefined when the answer is not a status (the caller treats the read as failed). */
export function checkTaskStatus(data: unknown): TaskStatusAnswer | undefined {
  if (!isObject(data) || (data.status !== 'running' && data.status !== 'stopped')) return undefined;
  if (data.status === 'running') return { status: 'running' };
  if (data.exitstatus !== undefined && typeof data.exitstatus !== 'string') return undefined;
  // PVE always sends one for a stopped task; without it the task ended the way PVE calls unexpected.
  return { status: 'stopped', exitstatus: text(data.exitstatus) ?? 'unexpected status' };
}

/**
 * `/nodes/{node}/tasks/{upid}/status` on the UPID's own node (the node named in the UPID, never the
 * one we are connected to). An answer that is not a status fails like one that is not PVE JSON.
 */
export async function readTaskStatus(client: PveClient, taskUpid: string, init: ReadInit = {}): Promise<TaskStatusAnswer> {
  const { node } = parseUpid(taskUpid);
  const response = await client.GET('/nodes/{node}/tasks/{upid}/status', { params: { path: { node, upid: taskUpid } }, ...init });
  const status = checkTaskStatus(response.data);
  if (status) return status;
  throw new PveApiError({
    kind: 'protocol',
    method: 'GET',
    path: `/nodes/${node}/tasks/${taskUpid}/status`,
    message: `GET /nodes/${node}/tasks/.../status: the answer is not a task status`,
  });
}

/** Log lines from `start` (0-based), each sanitized and cut to a bounded length. */
export interface LogPage {
  lines: string[];
  /** PVE's count of the log's lines. */
  total: number;
  malformed: number;
  /** The log cannot be read (PVE answers such a log with one pseudo-line). */
  unreadable: boolean;
}

const UNREADABLE_LOG = /^(unable to open file|no content)/;

export async function readTaskLog(
  client: PveClient,
  node: string,
  taskUpid: string,
  query: { start?: number; limit: number },
  init: ReadInit = {},
): Promise<LogPage> {
  const response = await client.GET('/nodes/{node}/tasks/{upid}/log', { params: { path: { node, upid: taskUpid }, query }, ...init });
  const { items, malformed } = checkList(response.data, (raw) => (typeof raw.t === 'string' ? cleanLogLine(raw.t) : undefined));
  const total = whole(response.total) ?? (query.start ?? 0) + items.length;
  const unreadable = total === 1 && items.length === 1 && UNREADABLE_LOG.test(items[0]!);
  return { lines: unreadable ? [] : items, total: unreadable ? 0 : total, malformed, unreadable };
}

/** A guest of `/cluster/resources?type=vm`; entries of other types are not malformed, just not guests. */
export function checkGuest(raw: Raw): Guest | null | undefined {
  if (raw.type !== 'qemu' && raw.type !== 'lxc') return null;
  const vmid = whole(raw.vmid);
  if (vmid === undefined || vmid < 100 || vmid > 999_999_999 || !isNodeName(raw.node)) return undefined;
  const guest: Guest = {
    vmid,
    type: raw.type,
    node: raw.node,
    status: text(raw.status) ?? 'unknown',
    // 0/1 on the wire, not a boolean.
    template: whole(raw.template) === 1,
  };
  const name = text(raw.name);
  if (name) guest.name = name;
  const hastate = text(raw.hastate);
  if (hastate) guest.hastate = hastate;
  const tags = text(raw.tags);
  if (tags) guest.tags = tags;
  const lock = text(raw.lock);
  if (lock) guest.lock = lock;
  const maxmem = whole(raw.maxmem);
  if (maxmem !== undefined && maxmem > 0) guest.maxmem = maxmem;
  return guest;
}

/**
 * The guests, and each one's uptime in seconds where PVE states it: the uptime changes with every read,
 * so it is kept apart from the guests (which change only when something about them does).
 */
export async function readGuests(client: PveClient, init: ReadInit = {}): Promise<Checked<Guest> & { uptimes: Map<number, number> }> {
  const response = await client.GET('/cluster/resources', { params: { query: { type: 'vm' } }, ...init });
  const uptimes = new Map<number, number>();
  const checked = checkList(response.data, (raw) => {
    const guest = checkGuest(raw);
    const uptime = guest ? whole(raw.uptime) : undefined;
    if (guest && uptime !== undefined && uptime >= 0) uptimes.set(guest.vmid, uptime);
    return guest;
  });
  return { items: checked.items.filter((guest): guest is Guest => guest !== null), malformed: checked.malformed, uptimes };
}

export async function readSnapshotNames(
  client: PveClient,
  target: { node: string; vmid: number; guestType: 'qemu' | 'lxc' },
  init: ReadInit = {},
): Promise<Checked<string>> {
  const request = { params: { path: { node: target.node, vmid: target.vmid } }, ...init };
  const response =
    target.guestType === 'qemu'
      ? await client.GET('/nodes/{node}/qemu/{vmid}/snapshot', request)
      : await client.GET('/nodes/{node}/lxc/{vmid}/snapshot', request);
  return checkList(response.data, (raw) => text(raw.name));
}

export interface StorageEntry {
  storage: string;
  /** False when PVE says it cannot be activated now. */
  active: boolean;
}

/** The enabled storages of a node that take `content` (e.g. `backup`). */
export async function readStorages(client: PveClient, node: string, content: string, init: ReadInit = {}): Promise<Checked<StorageEntry>> {
  const response = await client.GET('/nodes/{node}/storage', { params: { path: { node }, query: { content, enabled: true } }, ...init });
  // An id that is not a pve-storage-id could not be sent back in a backup request anyway.
  return checkList(response.data, (raw) =>
    typeof raw.storage === 'string' && pathParameterProblem('storage', raw.storage) === undefined
      ? { storage: raw.storage, active: whole(raw.active) !== 0 }
      : undefined,
  );
}

/** `/cluster/status`: the cluster's name (none on a standalone node) and its member nodes. */
export interface ClusterStatus {
  name?: string;
  nodes: string[];
  malformed: number;
}

export async function readClusterStatus(client: PveClient, init: ReadInit = {}): Promise<ClusterStatus> {
  const response = await client.GET('/cluster/status', init);
  const checked = checkList(response.data, (raw) => {
    // PVE's cluster names are node names (pve-node, at most 15 characters); one that is not (a hostile
    // name 2 KiB long) must not become part of a session file's name.
    if (raw.type === 'cluster') return isNodeName(raw.name) ? { cluster: raw.name } : undefined;
    if (raw.type === 'node') return isNodeName(raw.name) ? { node: raw.name } : undefined;
    return {};
  });
  const status: ClusterStatus = { nodes: [], malformed: checked.malformed };
  for (const item of checked.items) {
    if ('node' in item && item.node) status.nodes.push(item.node);
    if ('cluster' in item && item.cluster) status.name = item.cluster;
  }
  return status;
}

/**
 * `GET /access/permissions`: what the caller may do, path by path (PVE lists every path it has an ACL
 * for, plus `/`, `/vms`, `/storage`, `/nodes`, ...). A path or privilege name that is not plain text is
 * left out. Undefined when the answer says nothing usable: then nothing can be concluded, and PVE's own
 * checks decide (a launch it refuses fails with PVE's message).
 */
export async function readPermissions(client: PveClient, init: ReadInit = {}): Promise<PermissionMap | undefined> {
  const response = await client.GET('/access/permissions', init);
  const data: unknown = response.data;
  const map: Record<string, Record<string, 0 | 1>> = {};
  if (!isObject(data)) return undefined;
  for (const [path, privileges] of Object.entries(data)) {
    if (!path.startsWith('/') || !isSafeText(path) || !isObject(privileges)) continue;
    const held: Record<string, 0 | 1> = {};
    for (const [name, flag] of Object.entries(privileges)) {
      if (/^[A-Za-z.]+$/.test(name)) held[name] = whole(flag) === 1 || flag === true ? 1 : 0;
    }
    map[path] = held;
  }
  return Object.keys(map).length > 0 ? map : undefined;
}

/** `GET /nodes`: the cluster's nodes and whether each is online (the list any user may read). */
export async function readNodes(client: PveClient, init: ReadInit = {}): Promise<Checked<{ node: string; online: boolean }>> {
  const response = await client.GET('/nodes', init);
  return checkList(response.data, (raw) => (isNodeName(raw.node) ? { node: raw.node, online: raw.status === 'online' } : undefined));
}
