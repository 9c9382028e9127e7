/**
 * UPIDs, the task ids of Proxmox VE (and of Proxmox Backup Server, which adds a task id field).
 *
 * PVE:  UPID:node:PID(8 hex):PSTART(8-9 hex):STARTTIME(8 hex):type:id:user:
 * PBS:  UPID:node:PID:PSTART:TASKID(8-16 hex):STARTTIME:type:id:user:   (id escaped systemd-style)
 *
 * `pstart` is the process start in clock ticks, not a time; `starttime` is the task's epoch seconds.
 * There is no status field: the trailing `:` only terminates `user`.
 */

import { echo } from '../util/echo.js';

export interface Upid {
  /** The UPID as given. */
  upid: string;
  node: string;
  pid: number;
  /** Process start time in clock ticks (not the epoch). */
  pstart: number;
  /** PBS only: the task number inside the process. */
  taskId?: number;
  /** The task's start, epoch seconds. */
  starttime: number;
  type: string;
  /** Worker id: usually the VMID; may be empty (multi-guest vzdump, aptupdate). Unescaped for PBS. */
  id: string;
  /** The auth id that started it: `user@realm`, or `user@realm!tokenid` for API tokens. */
  user: string;
}

export class InvalidUpidError extends Error {
  override name = 'InvalidUpidError';
  constructor(
    readonly upid: string,
    readonly reason: string,
  ) {
    // The message repeats what was typed unless it looks like a pasted token (src/util/echo.ts).
    super(`invalid UPID ${echo(upid)}: ${reason}`);
  }
}

const NODE_RE = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const HEX8_RE = /^[0-9A-Fa-f]{8}$/;
const PSTART_RE = /^[0-9A-Fa-f]{8,9}$/;
const PBS_TASK_ID_RE = /^[0-9A-Fa-f]{8,16}$/;
// PVE forbids ':', whitespace and '/' in type, id and user; PBS escapes ids, so only ':' and space matter.
const PVE_FIELD_RE = /^[^:\s/]+$/;
const PVE_ID_RE = /^[^:\s/]*$/;
const PBS_FIELD_RE = /^[^:\s]+$/;
const PBS_ID_RE = /^[^:\s]*$/;

/** Splits `user@realm!tokenid` into its user and token parts. */
export function splitAuthId(authId: string): { userid: string; tokenid?: string } {
  const bang = authId.indexOf('!');
  return bang < 0 ? { userid: authId } : { userid: authId.slice(0, bang), tokenid: authId.slice(bang + 1) };
}

export function parseUpid(text: string): Upid {
  if (typeof text !== 'string') throw new InvalidUpidError(String(text), 'not a string');
  const fail = (reason: string): never => {
    throw new InvalidUpidError(text, reason);
  };
  if (!text.startsWith('UPID:')) fail("a UPID starts with 'UPID:'");
  if (!text.endsWith(':')) fail("a UPID ends with ':' after the user");
  const parts = text.slice(5, -1).split(':');

  if (parts.length === 6 && HEX8_RE.test(parts[1] ?? '') && HEX8_RE.test(parts[2] ?? '')) {
    fail(
      'it lacks the pstart field (the UPID:node:pid:starttime:type:id:user: form of older docs); ' + 'a real UPID has pid:pstart:starttime',
    );
  }
  if (parts.length !== 7 && parts.length !== 8) {
    fail(`expected 7 fields (node:pid:pstart:starttime:type:id:user), found ${parts.length}`);
  }
  const pbs = parts.length === 8;
  const [node, pidHex, pstartHex] = parts as [string, string, string];
  const rest = parts.slice(3);
  const taskIdHex = pbs ? rest.shift()! : undefined;
  const [starttimeHex, type, rawId, user] = rest as [string, string, string, string];

  if (!NODE_RE.test(node)) fail(`node ${echo(node)} is not a valid node name`);
  if (!HEX8_RE.test(pidHex)) fail(`pid ${echo(pidHex)} must be 8 hex digits`);
  if (!PSTART_RE.test(pstartHex)) fail(`pstart ${echo(pstartHex)} must be 8 or 9 hex digits`);
  if (taskIdHex !== undefined && !PBS_TASK_ID_RE.test(taskIdHex)) {
    fail(`task id ${echo(taskIdHex)} must be 8 to 16 hex digits`);
  }
  if (!HEX8_RE.test(starttimeHex)) fail(`starttime ${echo(starttimeHex)} must be 8 hex digits`);
  const fieldRe = pbs ? PBS_FIELD_RE : PVE_FIELD_RE;
  if (!fieldRe.test(type)) fail(`type ${echo(type)} must be non-empty without ':', '/' or spaces`);
  if (!(pbs ? PBS_ID_RE : PVE_ID_RE).test(rawId)) fail(`id ${echo(rawId)} must not contain ':', '/' or spaces`);
  if (!fieldRe.test(user)) fail(`user ${echo(user)} must be non-empty without ':', '/' or spaces`);

  const parsed: Upid = {
    upid: text,
    node,
    pid: parseInt(pidHex, 16),
    pstart: parseInt(pstartHex, 16),
    starttime: parseInt(starttimeHex, 16),
    type,
    id: pbs ? unescapeSystemdId(rawId, text) : rawId,
    user,
  };
  if (taskIdHex !== undefined) parsed.taskId = parseInt(taskIdHex, 16);
  return parsed;
}

/** True when `text` parses as a UPID. */
export function isUpid(text: string): boolean {
  try {
    parseUpid(text);
    return true;
  } catch {
    return false;
  }
}

const hex = (value: number, width: number) => value.toString(16).toUpperCase().padStart(width, '0');

/** Formats UPID fields the way PVE (or, with `taskId`, PBS) writes them. */
export function formatUpid(fields: Omit<Upid, 'upid'>): string {
  const { node, pid, pstart, taskId, starttime, type, user } = fields;
  const pbs = taskId !== undefined;
  const id = pbs ? escapeSystemdId(fields.id) : fields.id;
  const text = pbs
    ? `UPID:${node}:${hex(pid, 8)}:${hex(pstart, 8)}:${hex(taskId, 8)}:${hex(starttime, 8)}:${type}:${id}:${user}:`
    : `UPID:${node}:${hex(pid, 8)}:${hex(pstart, 8)}:${hex(starttime, 8)}:${type}:${id}:${user}:`;
  parseUpid(text); // refuses fields that would not read back
  return text;
}

/** systemd-style escaping used by PBS for worker ids: '/' -> '-', other bytes outside [A-Za-z0-9_.] -> \xNN. */
export function escapeSystemdId(id: string): string {
  let out = '';
  const bytes = Buffer.from(id, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    const char = String.fromCharCode(byte);
    if (char === '/') out += '-';
    else if (/[A-Za-z0-9_]/.test(char) || (char === '.' && i > 0)) out += char;
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function unescapeSystemdId(id: string, upid: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < id.length; i++) {
    const char = id[i]!;
    if (char === '-') bytes.push(0x2f);
    else if (char === '\\') {
      const code = id.slice(i + 1, i + 4);
      if (!/^x[0-9a-fA-F]{2}$/.test(code)) throw new InvalidUpidError(upid, `bad escape in id ${echo(id)}`);
      bytes.push(parseInt(code.slice(1), 16));
      i += 3;
    } else bytes.push(...Buffer.from(char, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}
