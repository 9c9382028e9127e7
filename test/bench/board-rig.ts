/**
 * What the benchmark's board children share: a fake terminal that records when frames are written, a
 * keyboard that never types, actions that do nothing, and a registry of N tasks filled the way
 * the poller fills it (other users' and our own, running and ended, guest names, progress).
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { RuntimeActions } from '../../src/tasks/actions.js';
import type { TaskRow, TaskStore, TaskTransaction } from '../../src/tasks/store.js';
import { formatUpid } from '../../src/tasks/upid.js';
import { elapsedText, formatClock, outcomeText, taskTitle } from '../../src/ui/format.js';

/** Mode switches (synchronized output, cursor visibility, alternate screen) are not frames. */
const MODE_SWITCH = /^(\u001b\[\?[0-9;]+[hl])+$/;

export class FakeTerminal extends EventEmitter {
  isTTY = true;
  bytes = 0;
  writes = 0;
  private waiter: ((at: number) => void) | undefined;

  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }

  write(chunk: string | Uint8Array, ...rest: unknown[]): boolean {
    const at = performance.now();
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    this.bytes += Buffer.byteLength(text);
    this.writes++;
    if (this.waiter && !MODE_SWITCH.test(text)) {
      const wake = this.waiter;
      this.waiter = undefined;
      wake(at);
    }
    const callback = rest.find((item) => typeof item === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }

  /** Resolves with the time of the next frame write. */
  nextFrame(timeoutMs = 120_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no frame was written')), timeoutMs);
      this.waiter = (at) => {
        clearTimeout(timer);
        resolve(at);
      };
    });
  }
}

/** A keyboard nobody types on. */
export { FakeStdin as FakeKeyboard } from '../helpers/fake-tty.js';

export const noActions: RuntimeActions = {
  notify() {},
  setPaused() {},
  refreshNow() {},
  focusTask() {},
  async stopTask() {},
  cancelLaunch() {},
  checkLaunch() {
    return [];
  },
  launch() {
    return [];
  },
  async checkMigration() {
    return [];
  },
  async planDrain() {
    throw new Error('no drain in the benchmark');
  },
  async clusterNodes() {
    return [];
  },
  setQueuePaused() {},
  cancelQueued() {},
  setLaunchLimits() {},
  resumeLaunches() {},
  async backupStorages() {
    return [];
  },
  watchTask() {
    return undefined;
  },
  async saveTaskLog() {
    return undefined;
  },
};

const TYPES = ['qmstart', 'vzdump', 'qmigrate', 'qmsnapshot', 'vncproxy', 'qmshutdown', 'vzstart', 'aptupdate'];
const USERS = ['root@pam', 'admin@pve', 'ops@pve', 'automation@pve!pvetasks'];
const STATUSES = ['OK', 'OK', 'OK', 'WARNINGS: 1', "command 'qm start' failed: exit code 1", 'OK'];

let made = 0;
function newTask(i: number, startMs: number): { upid: string; vmid: number; type: string } {
  const type = TYPES[i % TYPES.length]!;
  const vmid = 100 + (i % 900);
  const upid = formatUpid({
    node: `pve${(i % 4) + 1}`,
    pid: 10_000 + made++,
    pstart: 5_000_000 + i,
    starttime: Math.floor(startMs / 1000),
    type,
    id: type === 'aptupdate' ? '' : String(vmid),
    user: USERS[i % USERS.length]!,
  });
  return { upid, vmid, type };
}

/**
 * `count` tasks as the poller leaves them, one every 9 s going back from `now`: the newest
 * min(200, count/2) still run (migrations and backups with progress), the others ended (mostly OK,
 * some warnings and failures). A third are ours.
 */
export function fillRegistry(store: TaskStore, count: number, now: number): void {
  const running = Math.min(200, Math.floor(count / 2));
  store.getState().update((tx) => {
    tx.setSession({
      endpoint: 'https://pve1.example.com:8006',
      user: 'root@pam!pvetasks',
      cluster: 'bench',
      demo: false,
      intervalMs: 2000,
      readOnly: false,
    });
    tx.setPoll({ paused: false, lastSuccessAt: now, cycles: 10 });
    for (let i = 0; i < count; i++) {
      const start = now - 30_000 - i * 9_000;
      const { upid, vmid, type } = newTask(i, start);
      const key = tx.add({ upid, mine: i % 3 === 0, firstSeenAt: start, guestName: type === 'aptupdate' ? undefined : `guest-${vmid}` });
      if (i >= running) {
        const exitStatus = STATUSES[i % STATUSES.length]!;
        const outcome = exitStatus === 'OK' ? 'ok' : exitStatus.startsWith('WARNINGS') ? 'warnings' : 'failed';
        tx.finish(key, outcome, { exitStatus, endedAt: start + 4_000 + (i % 60) * 1000 });
      } else if (type === 'vzdump' || type === 'qmigrate') {
        tx.patch(key, { progress: { percent: (i * 13) % 100 } });
      }
    }
  });
}

/** The kinds of one-task update, in the order the frame benchmark rotates through them. */
export const UPDATE_KINDS = [
  'progress of a running task in view',
  'the newest running task ends',
  "another user's task starts (a new row on top)",
] as const;

/** One task update: the write to make, chosen beforehand so that only the write itself is timed. */
export type Update = (tx: TaskTransaction) => void;

/** Picks update `kind` (0, 1, 2) on one task; `n` varies the values. */
export function pickUpdate(store: TaskStore, kind: number, n: number, now: number, visible = 40): Update {
  const { row, order } = store.getState();
  if (kind === 0) {
    const candidates = order.cluster.slice(0, visible).filter((key) => row(key)?.state === 'running');
    const key = candidates[n % Math.max(1, candidates.length)];
    if (!key) return () => {};
    const percent = ((row(key)!.progress?.percent ?? 0) + 1 + (n % 7)) % 100;
    return (tx) => tx.patch(key, { progress: { percent } });
  }
  if (kind === 1) {
    const key = order.cluster.find((candidate) => row(candidate)?.state === 'running');
    return key ? (tx) => tx.finish(key, 'ok', { exitStatus: 'OK', endedAt: now }) : () => {};
  }
  const start = now + n * 1000;
  const { upid } = newTask(n, start);
  return (tx) => {
    tx.add({ upid, mine: false, firstSeenAt: start });
  };
}

/** The naive board's rows: the registry in display order, one plain object per task, the same texts. */
export function tableData(store: TaskStore, now: number): Array<Record<string, string>> {
  const { row: rowOf, order } = store.getState();
  return order.cluster.map((key) => {
    const row: TaskRow = rowOf(key)!;
    return {
      task: taskTitle(row),
      node: row.node,
      user: row.user ?? '',
      started: row.startedAt !== undefined ? formatClock(row.startedAt) : '',
      time: elapsedText(row, now),
      outcome: outcomeText(row, now) || (row.progress?.percent !== undefined ? `${row.progress.percent}%` : ''),
    };
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `main`, exits 0 after it, or prints the error and exits 1. */
export function runChild(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
