/**
 * Simulated time and tasks. Nothing runs on timers: events sit in a queue and are processed, in time
 * order, whenever a request arrives (or `settle()` is called), up to `clock.now()`. With a ManualClock
 * shared with the client that makes every run deterministic; in real time only the HTTP servers wait.
 *
 * A task's work is a generator (a "worker") that logs lines and yields what it waits for: a delay or
 * a lock. It returns normally (TASK OK, or TASK WARNINGS: N after warnings) or throws a TaskFailure
 * (TASK ERROR: msg). Stopping a task throws an Interrupt into its generator.
 */
import { formatUpid } from '../tasks/upid.js';
import type { Clock } from '../util/clock.js';
import type { Dialect } from './dialect.js';
import type { ClusterState, NodeState } from './model.js';
import { EventQueue } from './events.js';
import { Rng } from './rng.js';
import { endLineFor } from './task-status.js';

/** What a worker waits for. `sleep` is nominal ms (divided by speed) unless `exact`. */
export type Step = { sleep: number; exact?: boolean } | { lock: string; onWait?: () => void } | { forever: true };

export type WorkerResult = string | undefined | void;
export type TaskWorker = Generator<Step, WorkerResult, unknown>;

/** A failure inside a task: its message becomes `TASK ERROR: <message>`. */
export class TaskFailure extends Error {
  override name = 'TaskFailure';
}

/** Thrown into a worker when its task is stopped (SIGTERM on PVE). */
export class Interrupt extends Error {
  override name = 'Interrupt';
  constructor() {
    super('received interrupt');
  }
}

export interface SimTask {
  upid: string;
  node: string;
  type: string;
  id: string;
  /** The auth id: `user@realm` or `user@realm!tokenid`. */
  user: string;
  pid: number;
  pstart: number;
  /** Epoch seconds, as in the UPID. */
  starttime: number;
  startedAt: number;
  endedAt?: number;
  exitStatus?: string;
  running: boolean;
  log: string[];
  warnings: number;
  worker: TaskWorker;
  /** Bumped whenever a scheduled resume becomes stale (interrupt, end). */
  wake: number;
  locks: Set<string>;
  waitingFor?: string;
  seq: number;
}

export interface StartTaskOptions {
  node: string;
  type: string;
  id?: string;
  user: string;
  /** The task started this long before now (its UPID, start time and pstart say so); default 0. */
  startedAgoMs?: number;
  /** Forked by the HA stack's resource agent: the log begins `task started by HA resource agent`. */
  haAgent?: boolean;
  worker: (ctx: WorkerContext) => TaskWorker;
}

export interface WorkerContext {
  readonly task: SimTask;
  readonly engine: Engine;
  readonly rng: Rng;
  /** The simulated time of the step being run (ms). */
  now(): number;
  log(line: string): void;
  /** Logs `WARN: <message>` and counts it, as `$rpcenv->warn` does. */
  warn(message: string, prefix?: string): void;
}

/** Per-node task bookkeeping, kept so that lists stay cheap with thousands of tasks. */
export interface NodeTasks {
  running: Map<string, SimTask>;
  /** Finished tasks in the order they ended (the archive index, read backwards for lists, which see the last ARCHIVE_LISTED). */
  archive: SimTask[];
}

/**
 * PVE rotates its archive index at about 1000 entries and keeps one old file, so lists see about the
 * last 2000 finished tasks of a node. Their status and log stay readable longer (the log files stay);
 * beyond ARCHIVE_KEEP per node the oldest are forgotten, so a long demo does not grow without bound.
 */
export const ARCHIVE_LISTED = 2000;
const ARCHIVE_KEEP = 10_000;

export class Engine {
  readonly tasks = new Map<string, SimTask>();
  readonly byNode = new Map<string, NodeTasks>();
  /** Timing randomness: the same seed and the same requests give the same task timings. */
  readonly rng: Rng;
  /** Nodes powered off by a fault: migrations to them abort. */
  readonly offlineNodes = new Set<string>();
  private queue = new EventQueue();
  private seq = 0;
  private current: number | undefined;
  private lockHolders = new Map<string, SimTask>();
  private lockWaiters = new Map<string, SimTask[]>();
  private settling = false;

  constructor(
    readonly cluster: ClusterState,
    readonly clock: Clock,
    readonly speed: number,
    seed: number,
    readonly dialect: Dialect,
  ) {
    this.rng = new Rng(seed, 2);
    for (const node of cluster.nodes) this.byNode.set(node.name, { running: new Map(), archive: [] });
  }

  /** The current simulated time: the event being processed, else the clock. */
  now(): number {
    return this.current ?? this.clock.now();
  }

  /** Scales a nominal duration by the simulator's speed. */
  scale(ms: number): number {
    return ms / this.speed;
  }

  schedule(at: number, run: () => void): void {
    this.queue.push({ at: Math.max(at, this.now()), seq: this.seq++, run });
  }

  /** Processes every event due up to the clock's now, in time order. */
  settle(): void {
    if (this.settling) return;
    this.settling = true;
    try {
      const limit = this.clock.now();
      for (;;) {
        const next = this.queue.peek();
        if (!next || next.at > limit) break;
        this.queue.pop();
        this.current = next.at;
        next.run();
      }
    } finally {
      this.current = undefined;
      this.settling = false;
    }
  }

  /**
   * Runs `work` as of `at`, a time before now: the tasks it starts and the events it schedules take
   * that time, and the next `settle()` plays them forward to now in time order. For a history made
   * before the simulator serves (a busy cluster's last hour).
   */
  runAsOf(at: number, work: () => void): void {
    if (this.settling) throw new Error('runAsOf: not while events are being processed');
    const saved = this.current;
    this.current = Math.min(at, this.clock.now());
    try {
      work();
    } finally {
      this.current = saved;
    }
  }

  /** When the next event is due (for demos that want to sleep until then). */
  nextEventAt(): number | undefined {
    return this.queue.peek()?.at;
  }

  startTask(options: StartTaskOptions): SimTask {
    const node = this.node(options.node);
    const startedAt = this.now() - Math.max(0, options.startedAgoMs ?? 0);
    node.nextPid += 1 + this.rng.int(0, 40);
    if (node.nextPid > 4_000_000) node.nextPid = 1_000 + this.rng.int(0, 1000);
    const pid = node.nextPid;
    // pstart: the worker process' start in clock ticks (100 Hz) since the node booted.
    const pstart = Math.floor((startedAt - node.bootAt) / 10);
    const starttime = Math.floor(startedAt / 1000);
    const id = options.id ?? '';
    const upid = formatUpid({ node: node.name, pid, pstart, starttime, type: options.type, id, user: options.user });
    const task: SimTask = {
      upid,
      node: node.name,
      type: options.type,
      id,
      user: options.user,
      pid,
      pstart,
      starttime,
      startedAt,
      running: true,
      log: [],
      warnings: 0,
      worker: undefined as unknown as TaskWorker, // set right below: the worker needs the task first
      wake: 0,
      locks: new Set(),
      seq: this.seq++,
    };
    const ctx: WorkerContext = {
      task,
      engine: this,
      rng: this.rng,
      now: () => this.now(),
      log: (line) => {
        task.log.push(line);
      },
      warn: (message, prefix = 'WARN: ') => {
        task.warnings++;
        task.log.push(`${prefix}${message}`);
      },
    };
    // RESTEnvironment.pm fork_worker prints this first in every task the HA stack forks.
    if (options.haAgent) task.log.push('task started by HA resource agent');
    task.worker = options.worker(ctx);
    this.tasks.set(upid, task);
    this.nodeTasks(node.name).running.set(upid, task);
    this.step(task, () => task.worker.next());
    return task;
  }

  /** Stops a running task as a SIGTERM does: the worker sees an Interrupt. */
  interrupt(task: SimTask): void {
    if (!task.running) return;
    this.dropWaiter(task);
    task.wake++;
    this.step(task, () => task.worker.throw(new Interrupt()));
  }

  /** Ends a running task now with `exitStatus`, whatever its worker was doing. */
  finish(task: SimTask, exitStatus: string): void {
    if (!task.running) return;
    this.dropWaiter(task);
    try {
      task.worker.return(undefined);
    } catch {
      // A worker's cleanup failing does not change the status we were told to set.
    }
    if (task.running) this.end(task, exitStatus);
  }

  /** The task holding `lock`, if any. */
  lockHolder(lock: string): SimTask | undefined {
    return this.lockHolders.get(lock);
  }

  nodeTasks(node: string): NodeTasks {
    let entry = this.byNode.get(node);
    if (!entry) {
      entry = { running: new Map(), archive: [] };
      this.byNode.set(node, entry);
    }
    return entry;
  }

  private node(name: string): NodeState {
    const node = this.cluster.nodes.find((candidate) => candidate.name === name);
    if (!node) throw new Error(`unknown node '${name}'`);
    return node;
  }

  /** Runs the worker until it waits or ends. */
  private step(task: SimTask, resume: () => IteratorResult<Step, WorkerResult>): void {
    let next = resume;
    for (;;) {
      let result: IteratorResult<Step, WorkerResult>;
      try {
        result = next();
      } catch (error) {
        this.end(task, failureStatus(error));
        return;
      }
      if (!task.running) return;
      if (result.done) {
        const status = result.value ?? (task.warnings > 0 ? `WARNINGS: ${task.warnings}` : 'OK');
        this.end(task, status);
        return;
      }
      const step = result.value;
      if ('sleep' in step) {
        const wake = ++task.wake;
        const delay = step.exact ? step.sleep : this.scale(step.sleep);
        this.schedule(this.now() + Math.max(0, delay), () => {
          if (task.running && task.wake === wake) this.step(task, () => task.worker.next());
        });
        return;
      }
      if ('lock' in step) {
        const holder = this.lockHolders.get(step.lock);
        if (!holder) {
          this.lockHolders.set(step.lock, task);
          task.locks.add(step.lock);
          next = () => task.worker.next(false);
          continue;
        }
        const waiters = this.lockWaiters.get(step.lock) ?? [];
        waiters.push(task);
        this.lockWaiters.set(step.lock, waiters);
        task.waitingFor = step.lock;
        step.onWait?.();
        return;
      }
      return; // forever: only a stop or finishTask ends it
    }
  }

  private end(task: SimTask, exitStatus: string): void {
    task.wake++;
    task.running = false;
    task.endedAt = this.now();
    task.exitStatus = exitStatus;
    const endLine = endLineFor(exitStatus);
    if (endLine) task.log.push(endLine);
    const nodeTasks = this.nodeTasks(task.node);
    nodeTasks.running.delete(task.upid);
    nodeTasks.archive.push(task);
    if (nodeTasks.archive.length > ARCHIVE_KEEP * 1.2) {
      for (const old of nodeTasks.archive.splice(0, nodeTasks.archive.length - ARCHIVE_KEEP)) this.tasks.delete(old.upid);
    }
    for (const lock of task.locks) this.release(lock);
    task.locks.clear();
  }

  private release(lock: string): void {
    this.lockHolders.delete(lock);
    const waiters = this.lockWaiters.get(lock);
    const next = waiters?.shift();
    if (waiters && waiters.length === 0) this.lockWaiters.delete(lock);
    if (!next) return;
    this.lockHolders.set(lock, next);
    next.locks.add(lock);
    next.waitingFor = undefined;
    const wake = ++next.wake;
    this.schedule(this.now(), () => {
      if (next.running && next.wake === wake) this.step(next, () => next.worker.next(true));
    });
  }

  private dropWaiter(task: SimTask): void {
    if (!task.waitingFor) return;
    const waiters = this.lockWaiters.get(task.waitingFor);
    if (waiters) {
      const index = waiters.indexOf(task);
      if (index >= 0) waiters.splice(index, 1);
    }
    task.waitingFor = undefined;
  }
}

function failureStatus(error: unknown): string {
  if (error instanceof TaskFailure || error instanceof Interrupt) return error.message;
  return error instanceof Error ? error.message : String(error);
}
