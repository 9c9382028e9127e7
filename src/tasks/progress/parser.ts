/**
 * The progress of a whole task from its log, read incrementally: the parser keeps one small record per
 * step (a disk, the RAM, the backup of the current guest), so feeding it a long log line by line, page
 * by page, costs no more than reading the lines once.
 *
 * How the steps make one progress:
 * - Steps with a known size are weighed by size: 10 % of a 100 GiB disk and 75 % of a 4 GiB disk are
 *   (10 × 100 + 75 × 4) / 104 = 12.5 %. A finished disk whose line PVE repeats (PVE 5 clones) is one step
 *   at 100 % of its own small size, not the task's 100 %. A migration adds its RAM phase as one more step
 *   once PVE names its size, and `migration completed` or `migration status: completed` ends that step.
 * - When a step still running has no known size (a pbs-restore image, RAM being saved for a snapshot),
 *   nothing can be weighed: the progress is that step's own.
 * - Where PVE prints no percentage (container backups, disk copies of offline migrations, snapshots with
 *   RAM) `percent` stays undefined; the bytes the log states are kept.
 * - A multi-guest backup job reports the guest being backed up; a new guest starts with no progress.
 * - A stage without bytes (a container's restart migration shutting it down, then starting it on the
 *   target) is the phase until a later line measures something again.
 *
 * Throughput is the rate PVE states on the step's latest line (vzdump's `read:`, migration speed, tar's
 * and dd's summaries), else its bytes over its elapsed time. The ETA extrapolates each running step from
 * its own elapsed time (or, for the RAM phase, which has none, from the speed PVE states) and covers the
 * work the log has announced so far.
 */
import { type LineEvent, type ProgressPhase, type StepReading, readLine } from './lines.js';

export type { ProgressPhase };

export interface TaskProgress {
  /** 0..100: as the log gives it for one step, weighed by size over several; absent where PVE prints none. */
  percent?: number;
  bytesDone?: number;
  bytesTotal?: number;
  /** Current throughput, bytes per second. */
  bytesPerSecond?: number;
  /** Seconds left for the work the log has announced so far. */
  etaSeconds?: number;
  /** What the task is doing now. */
  phase?: ProgressPhase;
  /** The drive or block job the progress is about (`drive-scsi0`, `mirror-scsi1`, `scsi0`). */
  item?: string;
  /** A backup to Proxmox Backup Server with a dirty bitmap: the bytes count only the data changed since the last backup. */
  changedDataOnly?: true;
  /** A vzdump job: the guest being backed up, its position, and the job's guest count when the log lists them. */
  guest?: { vmid: number; index: number; count?: number };
  /**
   * A migration mirroring several disks one after the other: the one copying now, and how many the
   * migration found. Its percentage covers the disks started so far (the next one's size is not in the
   * log until it starts), so it restarts lower when a disk begins: this says which one of how many.
   */
  disk?: { index: number; count?: number };
}

export interface ProgressParser {
  /** Reads the next lines of the task log, in order (a page, or the lines new since the last call). */
  feed(lines: readonly string[]): void;
  /** The progress as of the lines read so far. */
  progress(): TaskProgress;
}

export function createProgressParser(): ProgressParser {
  return new LogProgress();
}

interface Step {
  phase: ProgressPhase;
  item?: string;
  done?: number;
  total?: number;
  percent?: number;
  elapsedSeconds?: number;
  rate?: number;
  complete?: true;
  /** Order of the latest update, to tell which step the log speaks of now. */
  seq: number;
}

class LogProgress implements ProgressParser {
  private readonly steps = new Map<string, Step>();
  private seq = 0;
  private guest?: { vmid: number; index: number };
  private guestsStarted = 0;
  private jobVmids: number[] = [];
  private changedDataOnly = false;
  private drive?: string;
  private vmaBytes = 0;
  private lastMemory?: { time: number; transferred: number };
  private stage?: { phase: ProgressPhase; seq: number };
  private attachedDisks = 0;
  /** Block jobs in the order they first reported (a migration mirrors its disks in turn). */
  private readonly diskJobs: string[] = [];

  feed(lines: readonly string[]): void {
    for (const line of lines) {
      const event = readLine(line);
      if (event) this.apply(event);
    }
  }

  private apply(event: LineEvent): void {
    switch (event.kind) {
      case 'step':
        return this.applyStep(event);
      case 'job':
        this.jobVmids = event.vmids;
        return;
      case 'external':
        this.jobVmids = this.jobVmids.filter((vmid) => !event.vmids.includes(vmid));
        return;
      case 'guest':
        // The job's next guest: the previous guest's 100 % is not the task's progress any more.
        this.guestsStarted += 1;
        this.guest = { vmid: event.vmid, index: this.guestsStarted };
        this.steps.clear();
        this.changedDataOnly = false;
        return;
      case 'changed-only':
        this.changedDataOnly = true;
        return;
      case 'drive':
        this.drive = event.item;
        return;
      case 'vma-device':
        this.vmaBytes += event.bytes;
        return;
      case 'memory-status':
        return this.applyMemoryStatus(event);
      case 'stage':
        this.stage = { phase: event.phase, seq: ++this.seq };
        return;
      case 'attached-disk':
        this.attachedDisks += 1;
        return;
      case 'memory-done': {
        // `migration completed, transferred N` states what went over the wire (zero pages are not sent);
        // a bare `migration status: completed` says all of the RAM is on the target.
        const memory = this.steps.get('memory');
        if (!memory || memory.complete) return;
        const done = event.transferred ?? Math.max(memory.done ?? 0, memory.total ?? 0);
        this.update('memory', { done, percent: 100, complete: true });
        return;
      }
    }
  }

  private applyStep(reading: StepReading): void {
    const { kind: _kind, key: statedKey, ...fields } = reading;
    let key = statedKey;
    if (!key) {
      // qemu-img copies and pbs-restore images name their drive on an earlier line.
      key = `${reading.phase}:${this.drive ?? ''}`;
      if (this.drive) fields.item = this.drive;
    }
    if (reading.phase === 'restore' && !this.drive && this.vmaBytes > 0 && fields.total === undefined) fields.total = this.vmaBytes;
    if (reading.phase === 'disk' && statedKey && !this.diskJobs.includes(statedKey)) this.diskJobs.push(statedKey);
    this.update(key, fields);
  }

  /** PVE 6 states what remains; the RAM in place is the total minus that, the rate comes from the timestamps. */
  private applyMemoryStatus(event: Extract<LineEvent, { kind: 'memory-status' }>): void {
    const fields: Partial<Step> = { phase: 'memory', done: Math.max(0, event.total - event.remaining), total: event.total };
    if (event.time !== undefined) {
      const last = this.lastMemory;
      if (last && event.time > last.time) fields.rate = (event.transferred - last.transferred) / (event.time - last.time);
      this.lastMemory = { time: event.time, transferred: event.transferred };
    }
    this.update('memory', fields);
  }

  private update(key: string, fields: Partial<Step>): void {
    const step = this.steps.get(key) ?? { phase: fields.phase ?? 'disk', seq: 0 };
    Object.assign(step, fields, { seq: ++this.seq });
    this.steps.set(key, step);
  }

  progress(): TaskProgress {
    const progress: TaskProgress = {};
    const steps = [...this.steps.values()].sort((a, b) => a.seq - b.seq);
    if (steps.length > 0) {
      const running = steps.filter((step) => !isFinished(step));
      const current = running.at(-1) ?? steps.at(-1)!;
      const weighable = running.every((step) => step.total) && steps.some((step) => step.total && percentOf(step) !== undefined);
      Object.assign(progress, weighable ? weighed(steps, running) : alone(current));
      progress.phase = current.phase;
      if (current.item) progress.item = current.item;
      const index = current.phase === 'disk' && current.item ? this.diskJobs.indexOf(current.item) + 1 : 0;
      const count = Math.max(this.attachedDisks, this.diskJobs.length);
      if (index > 0 && count > 1) progress.disk = this.attachedDisks >= index ? { index, count } : { index };
    }
    if (this.stage && steps.every((step) => step.seq < this.stage!.seq)) progress.phase = this.stage.phase;
    if (this.changedDataOnly) progress.changedDataOnly = true;
    if (this.guest) {
      const count = this.jobVmids.length;
      progress.guest = count >= this.guest.index ? { ...this.guest, count } : { ...this.guest };
    }
    return progress;
  }
}

function percentOf(step: Step): number | undefined {
  if (step.complete && step.total) return 100;
  if (step.percent !== undefined) return step.percent;
  if (step.done !== undefined && step.total) return Math.min(100, round2((step.done / step.total) * 100));
  return undefined;
}

function isFinished(step: Step): boolean {
  return !!step.complete || (percentOf(step) ?? 0) >= 100;
}

/** The throughput PVE states, else the step's bytes over its elapsed time. */
function rateOf(step: Step): number | undefined {
  return step.rate ?? (step.done && step.elapsedSeconds ? step.done / step.elapsedSeconds : undefined);
}

/**
 * The pace an ETA extrapolates: the stated percentage over the elapsed time (PVE rounds its sizes to
 * 0.1, not its percentages), else the stated rate (the RAM phase has no elapsed time).
 */
function paceOf(step: Step): number | undefined {
  const percent = percentOf(step);
  if (step.total && percent && step.elapsedSeconds) return (step.total * percent) / 100 / step.elapsedSeconds;
  return step.rate;
}

/** One step's own progress: it cannot be weighed against the others. */
function alone(step: Step): TaskProgress {
  const progress: TaskProgress = {};
  const percent = percentOf(step);
  if (percent !== undefined) progress.percent = percent;
  if (step.done !== undefined) progress.bytesDone = step.done;
  if (step.total !== undefined) progress.bytesTotal = step.total;
  const rate = rateOf(step);
  if (rate !== undefined) progress.bytesPerSecond = Math.round(rate);
  if (percent !== undefined) {
    if (percent >= 100) progress.etaSeconds = 0;
    else if (percent > 0 && step.elapsedSeconds) progress.etaSeconds = Math.round((step.elapsedSeconds * (100 - percent)) / percent);
    else if (step.rate && step.total && step.done !== undefined) progress.etaSeconds = Math.round((step.total - step.done) / step.rate);
  }
  return progress;
}

/** Steps of known size together, weighed by size. */
function weighed(steps: readonly Step[], running: readonly Step[]): TaskProgress {
  const sized = steps.filter((step) => step.total && percentOf(step) !== undefined);
  let weight = 0;
  let done = 0;
  let total = 0;
  for (const step of sized) {
    const percent = percentOf(step)!;
    weight += percent * step.total!;
    done += step.done ?? (percent * step.total!) / 100;
    total += step.total!;
  }
  const progress: TaskProgress = { percent: round2(weight / total), bytesDone: Math.round(done), bytesTotal: total };
  const rates = (running.length > 0 ? running : steps.slice(-1)).map(rateOf);
  if (rates.every((rate) => rate !== undefined)) progress.bytesPerSecond = Math.round(rates.reduce((sum, rate) => sum + rate!, 0));
  const eta = etaOf(running);
  if (eta !== undefined) progress.etaSeconds = eta;
  return progress;
}

/** Remaining bytes of the running steps over their summed rates (they may run at the same time). */
function etaOf(running: readonly Step[]): number | undefined {
  let remaining = 0;
  let rate = 0;
  for (const step of running) {
    const percent = percentOf(step) ?? 0;
    const stepRate = paceOf(step);
    if (!stepRate) return undefined;
    remaining += (step.total! * (100 - percent)) / 100;
    rate += stepRate;
  }
  return rate > 0 ? Math.round(remaining / rate) : running.length === 0 ? 0 : undefined;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
