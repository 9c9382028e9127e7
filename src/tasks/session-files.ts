/**
 * The files of a session on disk, opened so that nobody else's file is ever written or read by
 * accident: the state dir is the user's own and not writable by others; no open follows a symbolic
 * link (O_NOFOLLOW); temp and lock files are always new (O_EXCL); a read never blocks on a FIFO
 * planted where a file should be (O_NONBLOCK) and takes only regular files.
 */
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';

// O_NOFOLLOW and O_NONBLOCK do not exist on Windows, where there are no such links or FIFOs to plant.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;
const READ = constants.O_RDONLY | NOFOLLOW | NONBLOCK;

/** The state dir cannot be used safely: commands report it as a configuration error (exit 2). */
export class StateDirError extends Error {
  override name = 'StateDirError';
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Creates the state dir (0700), or checks an existing one: it must be a directory of this user that
 * neither group nor others can write, or anyone able to write there could plant or change our files.
 */
export function prepareStateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new StateDirError(dir, `cannot create the state dir ${dir} (${code}); set PVETASKS_STATE_DIR to a directory of your own`);
  }
  const uid = process.getuid?.();
  if (uid === undefined) return; // Windows: no owners and modes to check
  const info = statSync(dir);
  if (!info.isDirectory()) {
    throw new StateDirError(dir, `the state dir ${dir} is not a directory; set PVETASKS_STATE_DIR to a directory of your own`);
  }
  if (info.uid !== uid) {
    throw new StateDirError(
      dir,
      `the state dir ${dir} belongs to another user (uid ${info.uid}), who could change its session files; refused. Set PVETASKS_STATE_DIR to a directory of your own (mkdir -m 700 DIR)`,
    );
  }
  if ((info.mode & 0o022) !== 0) {
    const who = (info.mode & 0o002) !== 0 ? 'others' : 'its group';
    throw new StateDirError(dir, `the state dir ${dir} is writable by ${who}, who could plant files in it; refused. Fix: chmod 700 ${dir}`);
  }
}

export type PrivateRead =
  | { kind: 'text'; text: string }
  | { kind: 'missing' }
  /** Present but not to be read: `tag` names it in a file name, `why` in a message. */
  | { kind: 'refused'; tag: string; why: string };

/** Reads a regular file of at most `maxBytes`, never through a symbolic link. */
export function readPrivateFile(path: string, maxBytes: number): PrivateRead {
  let fd: number;
  try {
    fd = openSync(path, READ);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    // Linux and macOS say ELOOP for a link met with O_NOFOLLOW, FreeBSD EMLINK.
    if (code === 'ELOOP' || code === 'EMLINK') return { kind: 'refused', tag: 'symlink', why: 'a symbolic link (not followed)' };
    return { kind: 'refused', tag: 'unreadable', why: `unreadable (${code})` };
  }
  try {
    const info = fstatSync(fd);
    if (info.isDirectory()) return { kind: 'refused', tag: 'unreadable', why: 'unreadable (EISDIR)' };
    if (!info.isFile()) return { kind: 'refused', tag: 'unreadable', why: 'unreadable (not a regular file)' };
    if (info.size > maxBytes) return { kind: 'refused', tag: 'too-large', why: `larger than ${maxBytes} bytes` };
    return { kind: 'text', text: readFileSync(fd, 'utf8') };
  } catch (error) {
    return { kind: 'refused', tag: 'unreadable', why: `unreadable (${(error as NodeJS.ErrnoException).code})` };
  } finally {
    closeSync(fd);
  }
}

/** Creates `path` anew (mode 0600), never reusing an existing file nor following a link. */
function createNew(path: string): number {
  try {
    return openSync(path, CREATE_NEW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Left by a crashed process of the same pid, or planted: removed (a link, not its target), then made anew.
    unlinkSync(path);
    return openSync(path, CREATE_NEW, 0o600);
  }
}

/** Replaces `path` atomically: a new temp file, written and flushed, renamed over it (a link there is replaced, not followed). */
export function writeFileAtomically(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  const fd = createNew(temp);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
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

/** The pid in a lock file, or NaN when it holds none (or is a link, or not a file). */
function lockHolder(lockPath: string): number {
  const read = readPrivateFile(lockPath, 64);
  return read.kind === 'text' ? Number(read.text.trim()) : NaN;
}

/** Takes the lock file (a new file holding our pid), or returns false when a live process holds it. */
export function tryLock(lockPath: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, CREATE_NEW, 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = lockHolder(lockPath);
    if (holder === process.pid || pidAlive(holder)) return false;
    try {
      unlinkSync(lockPath); // stale: its owner is gone
    } catch {
      // someone else took it over first; the next attempt tells
    }
  }
  return false;
}

/** Whether a live process (this one included) holds the lock file. */
export function lockIsHeld(lockPath: string): boolean {
  return pidAlive(lockHolder(lockPath));
}

/** Removes the lock file if it is still ours. */
export function releaseLock(lockPath: string): void {
  if (lockHolder(lockPath) !== process.pid) return;
  try {
    unlinkSync(lockPath);
  } catch {
    // already gone
  }
}
