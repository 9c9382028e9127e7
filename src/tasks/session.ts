/**
 * Session files: the `mine` rows of a board or a launch command, saved so that an SSH drop or a crash
 * does not forget the batch. `PVETASKS_STATE_DIR/<cluster>@<user>.json`; a second process on the same
 * cluster takes `.2.json`, and so on. Each file has a lock file holding its owner's pid, taken over
 * when that pid is gone (so a SIGKILL releases it). Writes are atomic (temp file, fsync, rename),
 * mode 0600, and hold no secrets. An unreadable or corrupt file is moved aside, never overwritten.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from '../util/clock.js';
import { isFinal, rowsOf, subscribeRowChanges, type TaskRow, type TaskStore } from './store.js';

export interface SessionOptions {
  stateDir: string;
  cluster: string;
  user: string;
  clock?: Clock;
  /** Most rows kept; the oldest finished go first. Default 1000. */
  maxRows?: number;
  /** Where warnings go (a corrupt file moved aside). */
  onWarning?: (message: string) => void;
  /** Writes are coalesced over this long. Default 500 ms. */
  writeDelayMs?: number;
  /** Start empty: the file's rows are not restored (and are replaced at the first write). */
  fresh?: boolean;
}

export interface Session {
  readonly path: string;
  /** Rows read back from the file when it was opened. */
  readonly restored: readonly TaskRow[];
  /** Puts the restored rows into the store and saves its `mine` rows from now on. */
  attach(store: TaskStore): void;
  /** Writes now, synchronously (before a launch's POST, and on signals). */
  flush(): void;
  /** Final write; releases the lock. */
  close(): Promise<void>;
}

const FORMAT_VERSION = 1;
// Fields worth keeping across a restart; progress, poll errors and logs are re-read.
const TRANSIENT_FIELDS = new Set(['progress', 'pollError']);

interface SessionFile {
  version: number;
  cluster: string;
  user: string;
  savedAt: number;
  rows: TaskRow[];
}

/** `<cluster>@<user>` made safe as a file name. */
export function sessionBaseName(cluster: string, user: string): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9@._!+-]/g, '_');
  return `${safe(cluster)}@${safe(user)}`;
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock file or returns false when a live process holds it. */
function tryLock(lockPath: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(lockPath, 'utf8').trim());
    } catch {
      // vanished or unreadable: treat as stale
    }
    if (holder === process.pid || pidAlive(holder)) return false;
    try {
      unlinkSync(lockPath); // stale: its owner is gone
    } catch {
      // someone else took it over first; the next attempt tells
    }
  }
  return false;
}

function readSessionFile(path: string, warn: (message: string) => void, now: number): TaskRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    moveAside(path, `unreadable (${code})`, warn, now);
    return [];
  }
  try {
    const parsed = JSON.parse(text) as SessionFile;
    if (parsed.version !== FORMAT_VERSION || !Array.isArray(parsed.rows)) throw new Error('unexpected format');
    return parsed.rows.filter((row) => typeof row?.key === 'string' && typeof row.state === 'string');
  } catch {
    moveAside(path, 'corrupt', warn, now);
    return [];
  }
}

function moveAside(path: string, why: string, warn: (message: string) => void, now: number): void {
  const aside = `${path}.${why.split(' ')[0]}-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(path, aside);
    warn(`session file ${path} is ${why}; kept it as ${aside} and started a new one`);
  } catch {
    warn(`session file ${path} is ${why} and could not be moved aside; starting without it`);
  }
}

/** Oldest finished rows go first when the file holds too many. */
function capRows(rows: TaskRow[], maxRows: number): TaskRow[] {
  if (rows.length <= maxRows) return rows;
  const finished = rows.filter((row) => isFinal(row.state)).sort((a, b) => (a.endedAt ?? a.firstSeenAt) - (b.endedAt ?? b.firstSeenAt));
  const drop = new Set(finished.slice(0, rows.length - maxRows).map((row) => row.key));
  return rows.filter((row) => !drop.has(row.key));
}

function persistable(row: TaskRow): TaskRow {
  const copy: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(row)) if (!TRANSIENT_FIELDS.has(field)) copy[field] = value;
  return copy as unknown as TaskRow;
}

/** Opens (and locks) the lowest-numbered session file no live process holds. */
export function openSession(options: SessionOptions): Session {
  const clock = options.clock ?? systemClock;
  const warn = options.onWarning ?? (() => {});
  const maxRows = options.maxRows ?? 1000;
  const writeDelayMs = options.writeDelayMs ?? 500;
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const base = sessionBaseName(options.cluster, options.user);

  let path = '';
  for (let n = 1; ; n++) {
    const candidate = join(options.stateDir, n === 1 ? `${base}.json` : `${base}.${n}.json`);
    if (tryLock(`${candidate}.lock`)) {
      path = candidate;
      break;
    }
    if (n > 1000) throw new Error(`no free session file in ${options.stateDir}`);
  }
  const lockPath = `${path}.lock`;
  const restored = options.fresh ? [] : readSessionFile(path, warn, clock.now());

  let store: TaskStore | undefined;
  let unsubscribe: (() => void) | undefined;
  let dirty = false;
  let writeTimer: AbortController | undefined;
  let closed = false;

  const write = () => {
    if (!store) return;
    dirty = false;
    const mine = capRows(rowsOf(store.getState(), 'mine'), maxRows).map(persistable);
    const file: SessionFile = {
      version: FORMAT_VERSION,
      cluster: options.cluster,
      user: options.user,
      savedAt: clock.now(),
      rows: mine,
    };
    const temp = `${path}.${process.pid}.tmp`;
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeFileSync(fd, JSON.stringify(file));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  };

  const scheduleWrite = () => {
    dirty = true;
    if (writeTimer || closed) return;
    writeTimer = new AbortController();
    clock
      .sleep(writeDelayMs, writeTimer.signal)
      .then(() => {
        writeTimer = undefined;
        if (dirty) write();
      })
      .catch(() => {
        writeTimer = undefined;
      });
  };

  return {
    path,
    restored,
    attach(target) {
      store = target;
      if (restored.length > 0) {
        target.getState().update((tx) => {
          for (const row of restored) {
            if (row.upid && tx.keyOf(row.upid)) continue;
            tx.add({ ...row, mine: true });
            // `add` derives fields from the UPID; put the saved state back exactly.
            tx.patch(row.key, persistable(row));
          }
        });
      }
      unsubscribe = subscribeRowChanges(target, (state, before) => {
        // A mine row added, removed, or changed in a field worth saving.
        for (const [key, old] of before) {
          const row = state.row(key);
          if (!(row?.mine || old?.mine)) continue;
          if (!onlyTransientChanged(row, old)) return scheduleWrite();
        }
      });
      write();
    },
    flush() {
      if (store) write();
    },
    async close() {
      if (closed) return;
      closed = true;
      unsubscribe?.();
      writeTimer?.abort();
      if (store) write();
      try {
        if (readFileSync(lockPath, 'utf8').trim() === String(process.pid)) unlinkSync(lockPath);
      } catch {
        // already gone
      }
    },
  };
}

/** Progress ticks and poll errors change often and are not saved: no write for them alone. */
function onlyTransientChanged(next: TaskRow | undefined, previous: TaskRow | undefined): boolean {
  if (!next || !previous) return false;
  for (const field of new Set([...Object.keys(next), ...Object.keys(previous)])) {
    if (TRANSIENT_FIELDS.has(field)) continue;
    if ((next as unknown as Record<string, unknown>)[field] !== (previous as unknown as Record<string, unknown>)[field]) return false;
  }
  return true;
}
