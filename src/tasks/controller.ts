/**
 * What the board may ask of the domain. Components never fetch: they read the store and call these.
 * The board's command module builds the real one from the poller and the launch queue; component tests
 * pass a recording fake.
 */
import type { GuestType } from './store.js';

export type BackupMode = 'snapshot' | 'suspend' | 'stop';
export type BackupCompress = 'zstd' | 'lzo' | 'gzip' | '0';

export type LaunchRequest =
  | { action: 'start'; vmids: readonly number[] }
  | { action: 'backup'; vmids: readonly number[]; storage: string; mode: BackupMode; compress: BackupCompress }
  | { action: 'snapshot'; vmids: readonly number[]; snapname: string; description?: string; vmstate?: boolean };

export interface LaunchTarget {
  vmid: number;
  type: GuestType;
  node: string;
  name?: string;
}

export interface BoardController {
  /** Pause or resume polling (the header shows PAUSED). */
  setPaused(paused: boolean): void;
  /** Poll now instead of at the next interval. */
  refreshNow(): void;
  /** The task open in the detail view, or undefined: its status and log tail are read every second. */
  focusTask(key: string | undefined): void;
  /** DELETE the task on its node; the outcome shows on the row and in the store's notice. */
  stopTask(key: string): Promise<void>;
  /** Drop a queued launch that has not been sent. */
  cancelLaunch(key: string): void;
  /** Queue launches for these guests; rows appear at once as `queued`. */
  launch(request: LaunchRequest): void;
  /** Launches queued by an earlier session wait for this: send them (`true`) or drop them. */
  resumeLaunches(resume: boolean): void;
  /** Storage ids that take backups on every node of these guests (for the backup dialog). */
  backupStorages(vmids: readonly number[]): Promise<string[]>;
}
