/**
 * Log tails: the task open in the detail view gets its status and new log lines every second (kept
 * for the view, bounded); running tasks of ours whose type prints progress get an occasional tail
 * out of focus, for the progress column. Each tail reads from where the last one stopped.
 */
import { readTaskLog } from '../answers.js';
import { createProgressParser, type ProgressParser } from '../progress.js';
import type { TaskRow } from '../store.js';
import type { PollContext } from './context.js';
import { readStatus } from './node-lists.js';

/** Log lines fetched per tail request. */
const LOG_PAGE = 500;
/** Lines of the focused log kept in memory. */
const LOG_KEEP = 2000;

/** Task types whose logs carry progress: their mine rows get an occasional tail even out of focus. */
const PROGRESS_TYPES = new Set(['vzdump', 'qmigrate', 'qmclone', 'qmmove', 'vzmigrate', 'imgcopy', 'qmrestore']);
export const PROGRESS_EVERY_CYCLES = 5;
const PROGRESS_ROWS_PER_CYCLE = 4;

/** Where a row's log was read to, and the progress its lines said so far (each line is read once). */
interface Tail {
  /** Lines read so far (the next `start`). */
  read: number;
  progress: ProgressParser;
}

export class LogTails {
  private readonly tails = new Map<string, Tail>();
  focusKey?: string;

  constructor(private readonly ctx: PollContext) {}

  /** The focused task: its status while watched, then its new log lines. */
  async pollFocus(signal: AbortSignal): Promise<void> {
    const key = this.focusKey;
    const row = key ? this.ctx.store.getState().row(key) : undefined;
    if (!row?.upid) return;
    if (this.ctx.isWatched(row)) await readStatus(this.ctx, row, signal).catch(() => {});
    await this.readTail(this.ctx.store.getState().row(row.key) ?? row, true, signal);
  }

  /** An occasional tail for mine rows whose task type prints progress. */
  async pollProgress(signal?: AbortSignal): Promise<void> {
    const state = this.ctx.store.getState();
    const rows: TaskRow[] = [];
    for (const key of state.order.mine) {
      if (rows.length >= PROGRESS_ROWS_PER_CYCLE) break;
      const row = state.row(key);
      if (row?.state === 'running' && row.upid && PROGRESS_TYPES.has(row.type) && row.key !== this.focusKey) rows.push(row);
    }
    for (const row of rows) {
      try {
        await this.readTail(row, false, signal);
      } catch {
        // progress is best effort
      }
    }
  }

  /** A row opened in the detail view reads its whole log again (its progress tail may have read past the start). */
  refocus(key: string): void {
    this.tails.delete(key);
  }

  /** Tails of rows that ended (and are not open in the detail view) are dropped with what they read. */
  private forgetEnded(): void {
    const state = this.ctx.store.getState();
    for (const key of this.tails.keys()) {
      const row = state.row(key);
      if (key !== this.focusKey && (!row || (row.state !== 'running' && !this.ctx.isWatched(row)))) this.tails.delete(key);
    }
  }

  /**
   * Reads new lines from `start` = lines already read. For the focused row they are kept for the
   * detail view; for others only the progress they carry is kept.
   */
  private async readTail(row: TaskRow, focused: boolean, signal?: AbortSignal): Promise<void> {
    const { ctx } = this;
    let tail = this.tails.get(row.key);
    if (!tail) this.tails.set(row.key, (tail = { read: 0, progress: createProgressParser() }));
    const read = tail.read;
    const page = await readTaskLog(ctx.client, row.node, row.upid!, { start: read, limit: LOG_PAGE }, ctx.requestInit(signal));
    ctx.malformed(`/nodes/${row.node}/tasks/.../log`, page.malformed);
    if (page.unreadable) return;
    const nowRead = read + page.lines.length;
    tail.read = nowRead;
    tail.progress.feed(page.lines);
    const progress = tail.progress.progress();
    this.forgetEnded();
    ctx.store.getState().update((tx) => {
      // Also a progress without a percentage: a job's next guest clears the last one's 100 %.
      if (Object.keys(progress).length > 0 || row.progress) tx.patch(row.key, { progress });
      if (!focused || this.focusKey !== row.key) return;
      const previous = ctx.store.getState().focusLog;
      const kept = previous?.key === row.key ? previous.lines : [];
      const merged = page.lines.length > 0 ? [...kept, ...page.lines].slice(-LOG_KEEP) : kept;
      tx.setFocusLog({ key: row.key, lines: merged, read: nowRead });
    });
  }
}
