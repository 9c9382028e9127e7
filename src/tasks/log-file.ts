/**
 * A task's whole log in a file, for a ticket or a colleague: every line read again from its node (the
 * board keeps only the tail of the log it shows), sanitized like everything else from a server, written
 * as a new private file (mode 0600, no link followed) named after the UPID.
 */
import { join } from 'node:path';
import type { PveClient } from '../api/index.js';
import { readTaskLog } from './answers.js';
import { prepareStateDir, writeFileAtomically } from './session-files.js';

/** Lines asked for per request, and at most in one file (a runaway log is cut, and says so). */
const PAGE = 1000;
export const MAX_SAVED_LINES = 200_000;

/** `UPID:pve1:...:root@pam:` as a file name: only letters, digits, `.`, `_` and `-`. */
export function logFileName(upid: string): string {
  const safe = upid
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+|_+$/g, '')
    .slice(0, 200);
  return `${safe || 'task'}.log`;
}

/** Every line of the task's log, in order, at most MAX_SAVED_LINES. */
export async function readWholeLog(client: PveClient, node: string, upid: string): Promise<{ lines: string[]; cut: boolean }> {
  const lines: string[] = [];
  for (;;) {
    const page = await readTaskLog(client, node, upid, { start: lines.length, limit: PAGE });
    if (page.unreadable) throw new Error(`${node} cannot read this task's log`);
    lines.push(...page.lines);
    if (lines.length >= MAX_SAVED_LINES) return { lines: lines.slice(0, MAX_SAVED_LINES), cut: true };
    if (page.lines.length < PAGE || lines.length >= page.total) return { lines, cut: false };
  }
}

/**
 * Writes `lines` to `<dir>/<logFileName(upid)>` in the first of `dirs` that can take it (the state dir
 * must pass the same checks as for session files); returns the path.
 */
export function writeLogFile(dirs: readonly string[], upid: string, lines: readonly string[], cut: boolean): string {
  const text = `${lines.join('\n')}\n${cut ? `[pvetasks: the log was cut after ${lines.length} lines]\n` : ''}`;
  let lastError: unknown = new Error('no directory to write to');
  for (const [index, dir] of dirs.entries()) {
    try {
      // The state dir is ours (created 0700, refused when others may write it); the working directory is the user's.
      if (index === 0) prepareStateDir(dir);
      const path = join(dir, logFileName(upid));
      writeFileAtomically(path, text);
      return path;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
