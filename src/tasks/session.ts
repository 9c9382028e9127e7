/**
 * Session files: the `mine` rows of a board or a launch command, saved so that an SSH drop or a crash
 * does not forget the batch. `PVETASKS_STATE_DIR/<cluster>@<user>.json`; a second process on the same
 * cluster takes `.2.json`, and so on. Each file has a lock file holding its owner's pid, taken over
 * when that pid is gone (so a SIGKILL releases it). Writes are atomic (temp file, fsync, rename),
 * mode 0600, and hold no secrets. An unreadable or corrupt file is moved aside, never overwritten.
 * The file format is session-schema.ts; how the files are opened safely is session-files.ts.
 */
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from '../util/clock.js';
import { prepareStateDir, readPrivateFile, releaseLock, tryLock, writeFileAtomically } from './session-files.js';
import { fromSaved, parseSessionFile, SESSION_FORMAT_VERSION, toSaved, type SessionFile } from './session-schema.js';
import { isFinal, rowsOf, subscribeRowChanges, type TaskRow, type TaskStore } from './store.js';

export { StateDirError } from './session-files.js';

export interface SessionOptions {
  stateDir: string;
  cluster: string;
  user: string;
  clock?: Clock;
  /** Most rows kept; the oldest finished go first. Default 1000. */
  maxRows?: number;
  /** Where warnings go (a corrupt file moved aside, malformed entries skipped). */
  onWarning?: (message: string) => void;
  /** Writes are coalesced over this long. Default 500 ms. */
  writeDelayMs?: number;
  /** Start empty: the file's rows are not restored (and are replaced at the first write). */
  fresh?: boolean;
}

export interface Session {
  readonly path: string;
  /** Rows read back from the file when it was opened. */
  /** The rows read from the file, until `attach` puts them into the store (then none: they are the store's). */
  readonly restored: readonly TaskRow[];
  /** Puts the restored rows into the store and saves its `mine` rows from now on. */
  attach(store: TaskStore): void;
  /** Writes now, synchronously (before a launch's POST, and on signals). */
  flush(): void;
  /** Final write; releases the lock. */
  close(): Promise<void>;
  /** Whose session it is (other windows' files are checked against it). */
  readonly cluster: string;
  readonly user: string;
}

// A session file of 1000 rows is well under 1 MiB; anything this large is not one of ours.
const MAX_SESSION_FILE_BYTES = 64 * 1024 * 1024;

/** `<cluster>@<user>` made safe as a file name. */
export function sessionBaseName(cluster: string, user: string): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9@._!+-]/g, '_');
  return `${safe(cluster)}@${safe(user)}`;
}

function readSession(path: string, warn: (message: string) => void, now: number): TaskRow[] {
  const read = readPrivateFile(path, MAX_SESSION_FILE_BYTES);
  if (read.kind === 'missing') return [];
  if (read.kind === 'refused') {
    moveAside(path, read.tag, read.why, warn, now);
    return [];
  }
  const parsed = parseSessionFile(read.text);
  if ('problem' in parsed) {
    moveAside(path, parsed.problem === 'corrupt' ? 'corrupt' : 'unknown', parsed.problem, warn, now);
    return [];
  }
  if (parsed.malformed > 0) {
    warn(`session file ${path}: ${parsed.malformed} malformed ${parsed.malformed === 1 ? 'entry' : 'entries'} skipped`);
  }
  return parsed.tasks.map(fromSaved);
}

function moveAside(path: string, tag: string, why: string, warn: (message: string) => void, now: number): void {
  const aside = `${path}.${tag}-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
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

/**
 * Opens (and locks) the lowest-numbered session file no live process holds. Throws StateDirError when
 * the state dir is not safe to use (another user's, or writable by others).
 */
export function openSession(options: SessionOptions): Session {
  const clock = options.clock ?? systemClock;
  const warn = options.onWarning ?? (() => {});
  const maxRows = options.maxRows ?? 1000;
  const writeDelayMs = options.writeDelayMs ?? 500;
  prepareStateDir(options.stateDir);
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
  let restored = options.fresh ? [] : readSession(path, warn, clock.now());

  let store: TaskStore | undefined;
  let unsubscribe: (() => void) | undefined;
  let dirty = false;
  let writeTimer: AbortController | undefined;
  let closed = false;

  const write = () => {
    if (!store) return;
    dirty = false;
    const mine = capRows(rowsOf(store.getState(), 'mine'), maxRows);
    const file: SessionFile = {
      version: SESSION_FORMAT_VERSION,
      cluster: options.cluster,
      user: options.user,
      savedAt: clock.now(),
      tasks: mine.map(toSaved),
    };
    writeFileAtomically(path, JSON.stringify(file));
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
    get restored() {
      return restored;
    },
    attach(target) {
      store = target;
      if (restored.length > 0) {
        target.getState().update((tx) => {
          for (const row of restored) {
            if (row.upid && tx.keyOf(row.upid)) continue;
            const { key, ...saved } = row;
            tx.add(row);
            // `add` derives fields from the UPID; put the saved state back exactly.
            tx.patch(key, saved);
          }
        });
      }
      // The store holds them now: a 10,000-row session is not kept twice.
      restored = [];
      unsubscribe = subscribeRowChanges(target, (state, before) => {
        // A mine row added, removed, or changed in a field the file keeps.
        for (const [key, old] of before) {
          const row = state.row(key);
          if (!(row?.mine || old?.mine)) continue;
          if (!row || !old || savedFormChanged(row, old)) return scheduleWrite();
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
      releaseLock(lockPath);
    },
    cluster: options.cluster,
    user: options.user,
  };
}

/** Progress ticks and poll errors change often and are not saved: no write for them alone. */
function savedFormChanged(next: TaskRow, previous: TaskRow): boolean {
  return next.mine !== previous.mine || JSON.stringify(toSaved(next)) !== JSON.stringify(toSaved(previous));
}
