/** Test rig for the board: a store filled directly, a recording controller, a manual clock, key codes. */
import { cleanup, render } from 'ink-testing-library';
import { createElement } from 'react';
import type { BackupCompress, BackupMode, BoardController, LaunchRequest } from '../../src/tasks/controller.js';
import { createTaskStore, type Guest, type TaskRow, type TaskState, type TaskStore } from '../../src/tasks/store.js';
import { formatUpid } from '../../src/tasks/upid.js';
import { Board, type BoardProps } from '../../src/ui/board.js';
import type { BoardExit } from '../../src/ui/context.js';
import { MANUAL_CLOCK_EPOCH, ManualClock } from '../../src/util/clock.js';

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
  method: keyof BoardController;
  args: unknown[];
}

/**
 * Records every call. `launch` adds queued rows to the store, as the launch queue would, so the board
 * shows them; `backupStorages` answers from `storages`, or waits while `holdStorages` is set.
 */
export class FakeController implements BoardController {
  readonly calls: Call[] = [];
  storages: readonly string[] = ['local', 'pbs-main'];
  storageError?: Error;
  private heldStorages: Array<() => void> = [];
  holdStorages = false;
  launchedKeys: string[] = [];

  constructor(private readonly store?: TaskStore) {}

  methods(): string[] {
    return this.calls.map((call) => call.method);
  }

  callsOf(method: keyof BoardController): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  setPaused(paused: boolean): void {
    this.calls.push({ method: 'setPaused', args: [paused] });
  }
  refreshNow(): void {
    this.calls.push({ method: 'refreshNow', args: [] });
  }
  focusTask(key: string | undefined): void {
    this.calls.push({ method: 'focusTask', args: [key] });
  }
  async stopTask(key: string): Promise<void> {
    this.calls.push({ method: 'stopTask', args: [key] });
  }
  cancelLaunch(key: string): void {
    this.calls.push({ method: 'cancelLaunch', args: [key] });
    this.store?.getState().update((tx) => tx.remove(key));
  }
  resumeLaunches(resume: boolean): void {
    this.calls.push({ method: 'resumeLaunches', args: [resume] });
  }
  launch(request: LaunchRequest): void {
    this.calls.push({ method: 'launch', args: [request] });
    const store = this.store;
    if (!store) return;
    store.getState().update((tx) => {
      for (const vmid of request.vmids) {
        const g = store.getState().guests[vmid];
        this.launchedKeys.push(
          tx.add({
            mine: true,
            firstSeenAt: T0,
            node: g?.node ?? 'pve1',
            type: 'qmstart',
            vmids: [vmid],
            description: `Start VM ${vmid}`,
            guestName: g?.name,
          }),
        );
      }
    });
  }
  backupStorages(vmids: readonly number[]): Promise<string[]> {
    this.calls.push({ method: 'backupStorages', args: [vmids] });
    const answer = () => (this.storageError ? Promise.reject(this.storageError) : Promise.resolve([...this.storages]));
    if (!this.holdStorages) return answer();
    return new Promise<void>((resolve) => this.heldStorages.push(resolve)).then(answer);
  }
  releaseStorages(): void {
    for (const release of this.heldStorages.splice(0)) release();
  }
}

export interface MountOptions extends Partial<Omit<BoardProps, 'store' | 'onExit'>> {
  store?: TaskStore;
  size?: { columns: number; rows: number };
}

/** Renders the board with ink-testing-library at 80x24 (unless told otherwise). */
export async function mountBoard(options: MountOptions = {}) {
  const store = options.store ?? createTaskStore();
  const controller = (options.controller as FakeController | undefined) ?? new FakeController(store);
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock();
  const exits: BoardExit[] = [];
  const renders = new Map<string | number, number>();
  // createElement, not JSX: tsx takes the JSX mode from tsconfig.json, whose `include` is src/ only.
  const instance = render(
    createElement(Board, {
      store,
      controller,
      clock,
      ascii: options.ascii ?? false,
      color: options.color ?? false,
      readOnly: options.readOnly ?? false,
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
  return { stdin, frames, unmount: () => instance.unmount(), store, controller, clock, exits, renders, resize, press, frame };
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
  return store.getState().rows[key]!;
}

export async function advance(mounted: Mounted, ms: number): Promise<void> {
  await mounted.clock.advance(ms);
  await settle();
}
