/**
 * The other live sessions of this cluster and user: a second board window, or a launch command run
 * beside the board, holds its own session file (`<cluster>@<user>.N.json`, locked by its pid). Their
 * launched tasks join our registry as read-only rows marked with the file's number (`window`), so a
 * second window sees what the first one launched: queued launches, refusals and skips, deadlines,
 * per-guest backup results, which the cluster's task lists do not show.
 *
 * Their files are only ever read: bounded, never through a link, shape-checked like ours, and read
 * again only when they changed (checked once per poll cycle: the directory is listed again only when
 * it changed, as it does when a window starts, saves or leaves, since every file is renamed into place). Rows of a window that is gone stay until
 * their tasks end (our poller follows them like any task); its launches that never got a UPID go, as
 * nobody will send them.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { lockIsHeld, readPrivateFile } from './session-files.js';
import { fromSaved, parseSessionFile, type SavedTask } from './session-schema.js';
import { isFinal, type TaskRow, type TaskStore, type TaskTransaction } from './store.js';

/** Another window's file is ours to read, not to keep: a file this large is not a session. */
const MAX_OTHER_FILE_BYTES = 16 * 1024 * 1024;

export interface OtherWindowsOptions {
  /** Our own session file: `<state dir>/<base>.json` or `<base>.N.json`. */
  ownPath: string;
  cluster: string;
  user: string;
  store: TaskStore;
  /** Said once per file and problem (a corrupt file, one of another cluster). */
  onWarning?: (message: string) => void;
}

/** A session file's number: 1 for `<base>.json`, N for `<base>.N.json`; undefined for another name. */
export function windowNumber(fileName: string, base: string): number | undefined {
  if (fileName === `${base}.json`) return 1;
  if (!fileName.startsWith(`${base}.`) || !fileName.endsWith('.json')) return undefined;
  const middle = fileName.slice(base.length + 1, -'.json'.length);
  return /^[1-9]\d{0,5}$/.test(middle) ? Number(middle) : undefined;
}

/** The base of a session file's name (`<cluster>@<user>`), from its path. */
function baseOf(path: string): string {
  return basename(path).replace(/(\.\d+)?\.json$/, '');
}

export class OtherWindows {
  private readonly dir: string;
  private readonly base: string;
  /** The file as last read, per window: read again when this changes. */
  private readonly stamps = new Map<number, string>();
  /** Their row keys to ours, per window. */
  private readonly keys = new Map<number, Map<string, string>>();
  private readonly warned = new Set<string>();
  /** The state dir as last listed; its lock files, per live window. */
  private dirStamp: string | undefined;
  private readonly locks = new Map<number, string>();

  constructor(private readonly options: OtherWindowsOptions) {
    this.dir = dirname(options.ownPath);
    this.base = baseOf(options.ownPath);
  }

  /**
   * Reads the other live sessions' files that changed; forgets the windows that are gone. Never
   * throws: another window's file must not stop our poll cycle.
   */
  refresh(): void {
    try {
      this.refreshNow();
    } catch (error) {
      this.warn('', `cannot show the tasks of other windows: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private refreshNow(): void {
    let stamp: string;
    let settled: boolean;
    try {
      const info = statSync(this.dir);
      stamp = `${info.ino}:${info.mtimeMs}`;
      // A file system's clock may be coarse: two changes in one of its ticks leave one time. A change
      // that recent is listed again next cycle too (wall time: a file's times are, whatever the board's clock).
      settled = Date.now() - info.mtimeMs > 1000;
    } catch {
      return; // the state dir went away: nothing to show, nothing to forget yet
    }
    if (stamp === this.dirStamp) {
      // Nothing was added, renamed or removed: only a window killed without leaving can be gone.
      for (const [window, lock] of this.locks) if (!lockIsHeld(lock)) this.gone(window);
      return;
    }
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    this.dirStamp = settled ? stamp : undefined;
    const live = new Set<number>();
    const own = basename(this.options.ownPath);
    for (const name of names) {
      const window = name === own ? undefined : windowNumber(name, this.base);
      if (window === undefined) continue;
      const path = join(this.dir, name);
      if (!lockIsHeld(`${path}.lock`)) continue;
      live.add(window);
      this.locks.set(window, `${path}.lock`);
      this.read(window, path);
    }
    for (const window of [...this.locks.keys()]) if (!live.has(window)) this.gone(window);
  }

  private read(window: number, path: string): void {
    let stamp: string;
    try {
      const info = lstatSync(path);
      stamp = `${info.ino}:${info.size}:${info.mtimeMs}`;
    } catch {
      return; // not written yet
    }
    if (this.stamps.get(window) === stamp) return;
    const read = readPrivateFile(path, MAX_OTHER_FILE_BYTES);
    if (read.kind !== 'text') {
      if (read.kind === 'refused') this.warn(path, `session file ${path} of another window is ${read.why}; not shown`);
      return;
    }
    const parsed = parseSessionFile(read.text);
    if ('problem' in parsed) {
      // Caught mid-write cannot happen (renamed into place); a file of a newer pvetasks can.
      this.warn(path, `session file ${path} of another window is ${parsed.problem}; not shown`);
      return;
    }
    if (parsed.cluster !== this.options.cluster || parsed.user !== this.options.user) {
      this.warn(path, `session file ${path} belongs to another cluster or user; not shown`);
      return;
    }
    this.stamps.set(window, stamp);
    this.options.store.getState().update((tx) => this.merge(tx, window, parsed.tasks));
  }

  /** Puts the window's tasks into the registry: new ones added, known ones brought up to date. */
  private merge(tx: TaskTransaction, window: number, tasks: readonly SavedTask[]): void {
    let keys = this.keys.get(window);
    if (!keys) this.keys.set(window, (keys = new Map()));
    for (const saved of tasks) {
      const theirs = readOnly(fromSaved(saved), window);
      const ours = `w${window}:${saved.key}`;
      // Known from before the window went away and came back (a restart of it): the same row.
      let key = keys.get(saved.key) ?? (tx.row(ours) ? ours : undefined);
      if (key !== undefined && !tx.row(key)) {
        // Trimmed here since (an old finished row): not brought back.
        if (isFinal(theirs.state)) continue;
        keys.delete(saved.key);
        key = undefined;
      }
      const sameTask = theirs.upid ? tx.keyOf(theirs.upid) : undefined;
      if (sameTask !== undefined && sameTask !== key) {
        const other = tx.row(sameTask)!;
        // The task is one of ours (adopted here too): ours it stays.
        if (other.mine || (other.window !== undefined && other.window !== window)) continue;
        if (key === undefined) {
          key = sameTask; // seen in the cluster's listing already: that row becomes the window's
        } else {
          tx.remove(sameTask); // listed meanwhile under a key of its own: one row per task
        }
      }
      if (key === undefined) {
        const { key: _theirKey, ...fields } = theirs;
        key = tx.add({ ...fields, key: ours, mine: false });
        tx.patch(key, fields);
      } else {
        const current = tx.row(key)!;
        // Our poller may have seen the end before the other window wrote it: no step back.
        if (isFinal(current.state) && !isFinal(theirs.state)) tx.patch(key, { window, mine: false });
        else tx.patch(key, withoutKey(theirs));
      }
      keys.set(saved.key, key);
    }
  }

  /** The window's process is gone: its launches without a UPID will not be sent by anyone. */
  private gone(window: number): void {
    const keys = this.keys.get(window) ?? new Map<string, string>();
    this.keys.delete(window);
    this.stamps.delete(window);
    this.locks.delete(window);
    if (keys.size === 0) return;
    this.options.store.getState().update((tx) => {
      for (const key of keys.values()) {
        const row = tx.row(key);
        if (row?.window === window && !row.upid && !isFinal(row.state)) tx.remove(key);
      }
    });
  }

  private warn(path: string, message: string): void {
    if (this.warned.has(`${path}\n${message}`)) return;
    this.warned.add(`${path}\n${message}`);
    this.options.onWarning?.(message);
  }
}

/**
 * A saved task as a read-only row of `window`. Its post-check is the other window's to run (the
 * result arrives with its file); here the task ends when PVE says so.
 */
function readOnly(row: TaskRow, window: number): TaskRow {
  const { postCheck: _theirs, ...rest } = row;
  return { ...rest, mine: false, window };
}

function withoutKey(row: TaskRow): Omit<TaskRow, 'key'> {
  const { key: _key, ...fields } = row;
  return fields;
}
