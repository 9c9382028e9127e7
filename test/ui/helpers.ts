/** Test rig for the board: a store filled directly, recorded actions, a manual clock, key codes. */
import { cleanup, render } from 'ink-testing-library';
import { createElement } from 'react';
import type { PveClient } from '../../src/api/index.js';
import { createActions, type RuntimeActions } from '../../src/tasks/actions.js';
import type { Verdict } from '../../src/tasks/launch-check.js';
import type { BackupCompress, BackupMode, LaunchRequest } from '../../src/tasks/launch-plan.js';
import type { LaunchQueue } from '../../src/tasks/launch-queue.js';
import { assignTargets, drainTargets, type DrainOptions, type DrainPlan } from '../../src/tasks/drain.js';
import type { NodeCapacity } from '../../src/tasks/migration-reads.js';
import type { Poller } from '../../src/tasks/poller/index.js';
import { createTaskStore, type Guest, type LaunchSpec, type TaskRow, type TaskState, type TaskStore } from '../../src/tasks/store.js';
import { formatUpid } from '../../src/tasks/upid.js';
import { Board, type BoardProps } from '../../src/ui/board.js';
import type { BoardExit } from '../../src/ui/context.js';
import { MANUAL_CLOCK_EPOCH, ManualClock, type Clock } from '../../src/util/clock.js';

export { cleanup };
export type { BackupCompress, BackupMode };

export const T0 = MANUAL_CLOCK_EPOCH;

export const KEY = {
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
  pageUp: '\u001b[5~',
  pageDown: '\u001b[6~',
  enter: '\r',
  esc: '\u001b',
  tab: '\t',
  shiftTab: '\u001b[Z',
  backspace: '\u007f',
  ctrlC: '\u0003',
} as const;

/** Lets Ink read the input (a lone Esc waits one turn) and React commit. */
export async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

/**
 * Five tasks of this session (the summaries' tests): ok with a guest name, failed, a backup with
 * warnings, timed out, still running; VMIDs 100 to 104, ended 12 s, 1 s and 65 s after they started.
 */
export function addSessionSample(store: TaskStore): void {
  addTask(store, { vmid: 100, state: 'ok', exitStatus: 'OK', endedAfter: 12_000, guestName: 'db01' });
  addTask(store, { vmid: 101, state: 'failed', exitStatus: 'VM 101 already running', endedAfter: 1000, at: 1000 });
  addTask(store, {
    vmid: 102,
    state: 'warnings',
    exitStatus: 'WARNINGS: 1',
    endedAfter: 65_000,
    type: 'vzdump',
    description: 'Backup VM 102',
  });
  addTask(store, { vmid: 103, state: 'timeout' });
  addTask(store, { vmid: 104 });
}

export function upid(node: string, vmid: number | '', startMs: number, type = 'qmstart', user = 'root@pam'): string {
  return formatUpid({
    node,
    pid: 0x1000 + Number(vmid || 0),
    pstart: 0xabcdef,
    starttime: Math.floor(startMs / 1000),
    type,
    id: String(vmid),
    user,
  });
}

export interface TaskSpec {
  vmid: number;
  node?: string;
  /** Start, ms after T0 (may be negative). */
  at?: number;
  type?: string;
  user?: string;
  mine?: boolean;
  state?: TaskState;
  description?: string;
  guestName?: string;
  exitStatus?: string;
  message?: string;
  endedAfter?: number;
  percent?: number;
}

/** Adds a task row the way the poller would; returns its key. */
export function addTask(store: TaskStore, spec: TaskSpec): string {
  const at = T0 + (spec.at ?? 0);
  const node = spec.node ?? 'pve1';
  let key = '';
  store.getState().update((tx) => {
    const queued = spec.state === 'queued';
    key = tx.add({
      upid: queued ? undefined : upid(node, spec.vmid, at, spec.type, spec.user),
      node,
      type: spec.type ?? 'qmstart',
      vmids: [spec.vmid],
      mine: spec.mine ?? true,
      firstSeenAt: at,
      description: spec.description ?? `Start VM ${spec.vmid}`,
      guestName: spec.guestName,
      message: spec.message,
    });
    const state = spec.state ?? 'running';
    const endedAt = spec.endedAfter !== undefined ? at + spec.endedAfter : undefined;
    if (state === 'timeout') tx.timeOut(key);
    else if (state === 'skipped') tx.patch(key, { state, endedAt: at });
    else if (state !== 'running' && state !== 'queued') tx.finish(key, state, { exitStatus: spec.exitStatus, endedAt });
    if (spec.percent !== undefined) tx.patch(key, { progress: { percent: spec.percent } });
  });
  return key;
}

export function guest(vmid: number, fields: Partial<Guest> = {}): Guest {
  return { vmid, type: 'qemu', node: `pve${(vmid % 3) + 1}`, name: `vm-${vmid}`, status: 'stopped', template: false, ...fields };
}

export function setGuests(store: TaskStore, guests: readonly Guest[]): void {
  store.getState().update((tx) => tx.setGuests(guests));
}

export interface Call {
  method: keyof RuntimeActions;
  args: unknown[];
}

/**
 * The board's actions for UI tests: the real `createActions` (so every message the board shows is the
 * runtime's own) over recording stand-ins for the launch queue, the poller and the client. Every call
 * but `notify` is recorded. Launches add queued rows to the store, as the queue would; `backupStorages`
 * answers from `storages`, or waits while `holdStorages` is set; a stop request stays pending.
 */
export class FakeActions implements RuntimeActions {
  readonly calls: Call[] = [];
  storages: readonly string[] = ['local', 'pbs-main'];
  storageError?: Error;
  private heldStorages: Array<() => void> = [];
  holdStorages = false;
  launchedKeys: string[] = [];
  private readonly real: RuntimeActions;
  /** The board's clock (mountBoard sets it), for the time of each message. */
  clock: ManualClock = new ManualClock();
  /** What the fake node answers for any task's log (`GET .../log`), in pages as PVE does. */
  logLines: string[] = [];
  /** Where saved logs go (the runtime's logDirs): push a directory into it. */
  readonly logDirs: string[] = [];

  constructor(private readonly store: TaskStore = createTaskStore()) {
    const queue = {
      enqueue: (specs: readonly LaunchSpec[]) => this.enqueue(specs),
      cancel: (key: string) => {
        const row = store.getState().row(key);
        if (!row || row.sentAt !== undefined) return false;
        store.getState().update((tx) => tx.remove(key));
        return true;
      },
      heldKeys: () => store.getState().order.mine.filter((key) => store.getState().row(key)?.state === 'queued'),
      releaseHeld: () => {},
      setPaused: (paused: boolean) => store.getState().update((tx) => tx.setQueue({ ...store.getState().queue, paused })),
      cancelAll: () => {
        const keys = store.getState().order.mine.filter((key) => store.getState().row(key)?.state === 'queued');
        store.getState().update((tx) => keys.forEach((key) => tx.remove(key)));
        return keys.length;
      },
      setLimits: (limits: { parallel?: number; perNode?: number }) =>
        store.getState().update((tx) => tx.setQueue({ ...store.getState().queue, ...limits })),
    };
    const poller = { setPaused: () => {}, refreshNow: () => {}, focus: () => {} };
    const client = {
      DELETE: () => new Promise(() => {}),
      GET: async (_path: string, init: { params: { query: { start?: number; limit: number } } }) => {
        const { start = 0, limit } = init.params.query;
        const data = this.logLines.slice(start, start + limit).map((t, i) => ({ n: start + i + 1, t }));
        return { data, total: this.logLines.length };
      },
    };
    this.real = createActions({
      client: client as unknown as PveClient,
      clock: { now: () => this.clock.now(), sleep: (ms, signal) => this.clock.sleep(ms, signal), track: (work) => work } as Clock,
      store,
      queue: queue as unknown as LaunchQueue,
      poller: poller as unknown as Poller,
      notify: (text, level = 'info') => store.getState().update((tx) => tx.setMessage({ text, level, at: this.clock.now() })),
      // As the tracker does: a `mine` row with a deadline, or the row already known made `mine`.
      track: (taskUpid, options = {}) => {
        let key = '';
        store.getState().update((tx) => {
          const deadline = this.clock.now() + (options.timeoutMs ?? 120_000);
          const known = tx.keyOf(taskUpid);
          if (known) {
            tx.patch(known, { mine: true, deadline });
            key = known;
          } else key = tx.add({ upid: taskUpid, mine: true, firstSeenAt: this.clock.now(), deadline });
        });
        this.record('track' as keyof RuntimeActions, [taskUpid, options]);
        return key;
      },
      // The same array: a test pushes its directory into `logDirs`.
      logDirs: this.logDirs,
    });
  }

  private record(method: keyof RuntimeActions, args: unknown[]): void {
    this.calls.push({ method, args });
  }

  methods(): string[] {
    return this.calls.map((call) => call.method);
  }

  callsOf(method: keyof RuntimeActions): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  notify(text: string, level?: 'info' | 'error'): void {
    this.real.notify(text, level);
  }
  setPaused(paused: boolean): void {
    this.record('setPaused', [paused]);
    this.real.setPaused(paused);
  }
  refreshNow(): void {
    this.record('refreshNow', []);
    this.real.refreshNow();
  }
  focusTask(key: string | undefined): void {
    this.record('focusTask', [key]);
    this.real.focusTask(key);
  }
  async stopTask(key: string): Promise<void> {
    this.record('stopTask', [key]);
    void this.real.stopTask(key);
  }
  cancelLaunch(key: string): void {
    this.record('cancelLaunch', [key]);
    this.real.cancelLaunch(key);
  }
  resumeLaunches(resume: boolean): void {
    this.record('resumeLaunches', [resume]);
    this.real.resumeLaunches(resume);
  }
  checkLaunch(request: LaunchRequest, options?: { noSkip?: boolean }): Verdict[] {
    return this.real.checkLaunch(request, options);
  }
  /** No cluster to ask: the verdicts the store alone gives. */
  async checkMigration(request: Extract<LaunchRequest, { action: 'migrate' }>, options?: { noSkip?: boolean }): Promise<Verdict[]> {
    this.record('checkMigration', options ? [request, options] : [request]);
    return this.real.checkLaunch(request, options);
  }
  /** The nodes a drain plan sees (planDrain): every node of the store's guests, online, 64 GiB with 8 in use. */
  drainNodes?: NodeCapacity[];
  async clusterNodes(): Promise<NodeCapacity[]> {
    this.record('clusterNodes', []);
    const guests = Object.values(this.store.getState().guests);
    return (
      this.drainNodes ??
      [...new Set(guests.map((g) => g.node))].sort().map((node) => ({ node, online: true, maxmem: 64 * 2 ** 30, mem: 8 * 2 ** 30 }))
    );
  }
  async planDrain(options: DrainOptions): Promise<DrainPlan> {
    this.record('planDrain', [options]);
    const state = this.store.getState();
    const guests = Object.values(state.guests);
    const nodes = await this.clusterNodes();
    this.calls.pop(); // the plan's own read is not a call of the board's
    const targets = drainTargets(options, nodes);
    const onNode = guests.filter((g) => g.node === options.node);
    const assigned = assignTargets(onNode, targets, () => true);
    const request = { action: 'migrate' as const, vmids: onNode.map((g) => g.vmid), targets: assigned.targets };
    return {
      node: options.node,
      targets: targets.map((t) => t.node),
      spreadBy: assigned.spreadBy,
      request,
      verdicts: this.real.checkLaunch(request, options),
      notes: [],
    };
  }
  launch(request: LaunchRequest, options?: { noSkip?: boolean; verdicts?: readonly Verdict[] }): readonly string[] {
    this.record('launch', options ? [request, options] : [request]);
    return this.real.launch(request, options);
  }
  setQueuePaused(paused: boolean): void {
    this.record('setQueuePaused', [paused]);
    this.real.setQueuePaused(paused);
  }
  cancelQueued(): void {
    this.record('cancelQueued', []);
    this.real.cancelQueued();
  }
  setLaunchLimits(limits: { parallel?: number; perNode?: number }): void {
    this.record('setLaunchLimits', [limits]);
    this.real.setLaunchLimits(limits);
  }
  backupStorages(vmids: readonly number[]): Promise<string[]> {
    this.record('backupStorages', [vmids]);
    const answer = () => (this.storageError ? Promise.reject(this.storageError) : Promise.resolve([...this.storages]));
    if (!this.holdStorages) return answer();
    return new Promise<void>((resolve) => this.heldStorages.push(resolve)).then(answer);
  }
  watchTask(taskUpid: string): string | undefined {
    this.record('watchTask', [taskUpid]);
    return this.real.watchTask(taskUpid);
  }
  saveTaskLog(key: string): Promise<string | undefined> {
    this.record('saveTaskLog', [key]);
    return this.real.saveTaskLog(key);
  }
  releaseStorages(): void {
    for (const release of this.heldStorages.splice(0)) release();
  }

  /** Queued rows for the specs, as the launch queue would add them. */
  private enqueue(specs: readonly LaunchSpec[]): string[] {
    const keys: string[] = [];
    this.store.getState().update((tx) => {
      for (const spec of specs) {
        for (const { vmid } of spec.guests) {
          const g = this.store.getState().guests[vmid];
          keys.push(
            tx.add({
              mine: true,
              firstSeenAt: T0,
              node: g?.node ?? spec.node,
              type: 'qmstart',
              vmids: [vmid],
              description: `Start VM ${vmid}`,
              guestName: g?.name,
            }),
          );
        }
      }
    });
    this.launchedKeys.push(...keys);
    return keys;
  }
}

export interface MountOptions extends Partial<Omit<BoardProps, 'store' | 'onExit'>> {
  store?: TaskStore;
  size?: { columns: number; rows: number };
}

/** Renders the board with ink-testing-library at 80x24 (unless told otherwise). */
export async function mountBoard(options: MountOptions = {}) {
  const store = options.store ?? createTaskStore();
  const actions = (options.actions as FakeActions | undefined) ?? new FakeActions(store);
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock();
  if (actions instanceof FakeActions) actions.clock = clock;
  const exits: BoardExit[] = [];
  const renders = new Map<string | number, number>();
  // createElement, not JSX: tsx takes the JSX mode from tsconfig.json, whose `include` is src/ only.
  const instance = render(
    createElement(Board, {
      store,
      actions,
      clock,
      ascii: options.ascii ?? false,
      color: options.color ?? false,
      readOnly: options.readOnly ?? false,
      noSkip: options.noSkip,
      copyText: options.copyText,
      initialScope: options.initialScope,
      heldLaunches: options.heldLaunches,
      onExit: (exit: BoardExit) => exits.push(exit),
      onRowRender: (key: string | number) => renders.set(key, (renders.get(key) ?? 0) + 1),
    }),
  );
  const stdout = instance.stdout as unknown as NodeJS.EventEmitter & { rows?: number; columns: number };
  const resize = async (columns: number, rows: number) => {
    Object.defineProperty(stdout, 'columns', { value: columns, configurable: true });
    stdout.rows = rows;
    stdout.emit('resize');
    await settle();
  };
  const size = options.size ?? { columns: 80, rows: 24 };
  await resize(size.columns, size.rows);
  const press = async (...keys: string[]) => {
    for (const key of keys) {
      instance.stdin.write(key);
      await settle();
    }
  };
  const frame = () => instance.lastFrame() ?? '';
  const stdin: { write(data: string): void } = instance.stdin;
  const frames: string[] = instance.frames;
  return { stdin, frames, unmount: () => instance.unmount(), store, actions, clock, exits, renders, resize, press, frame };
}

export type Mounted = Awaited<ReturnType<typeof mountBoard>>;

/** The frame's lines. */
export function linesOf(frame: string): string[] {
  return frame.split('\n');
}

/** The line that contains `text` (first match), or undefined. */
export function lineWith(frame: string, text: string): string | undefined {
  return linesOf(frame).find((line) => line.includes(text));
}

export function rowOf(store: TaskStore, key: string): TaskRow {
  return store.getState().row(key)!;
}

export async function advance(mounted: Mounted, ms: number): Promise<void> {
  await mounted.clock.advance(ms);
  await settle();
}
