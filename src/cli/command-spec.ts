/**
 * The shapes of the command table (command-table.ts): commands, operands, options, examples. Types and
 * the dynamic completion kinds only, so the table itself stays data.
 */
import type { Command } from './io.js';

/**
 * What a value completes to. The dynamic kinds are asked of the hidden command `pvetasks __complete
 * KIND` (bounded, cached, silent; see commands/complete.ts); `file` is the shell's own completion.
 */
export const DYNAMIC_KINDS = ['vmids', 'nodes', 'cluster-nodes', 'backup-storages', 'clusters'] as const;
export type DynamicKind = (typeof DYNAMIC_KINDS)[number];
export type ValueKind = DynamicKind | 'file';

/** One option. `type`, `short` and `multiple` are node's parseArgs settings; the rest is for people and shells. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** The value's name in help: `--timeout DURATION`. String options only. */
  readonly arg?: string;
  readonly help: string;
  /** Fixed values, offered by completion. */
  readonly choices?: readonly string[];
  /** Values found when completing. */
  readonly complete?: ValueKind;
  /** Shown in the usage line after the operands (`--storage ID`); the command checks it. */
  readonly required?: boolean;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

export interface OperandSpec {
  /** As the usage line shows them: `<UPID>...`. */
  readonly usage: string;
  readonly choices?: readonly string[];
  readonly complete?: ValueKind;
}

/** A comment line, then the command line(s) it explains. */
export type Example = readonly [comment: string, ...commandLines: string[]];

export interface CommandSpec {
  /** One line for `pvetasks --help` and the completion menus. */
  readonly summary: string;
  readonly operands?: OperandSpec;
  /** What the command does, for its `--help`; a long line is wrapped at 80 columns. */
  readonly description: string;
  readonly options: OptionTable;
  readonly examples: readonly Example[];
  /** After the examples: configuration, exit codes; long lines are wrapped. */
  readonly notes?: string;
  /** Left out of `--help` and of the completion scripts (the scripts' own helper). */
  readonly hidden?: boolean;
  /** Imports the command's module only when it runs: each command pays for itself alone. */
  readonly load: () => Promise<Command>;
}
