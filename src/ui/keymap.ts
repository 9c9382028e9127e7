/**
 * The one table of keys. The input dispatcher, the `?` help overlay, the footer hints and the README's
 * key table all come from it, so they cannot disagree.
 */
import type { Key } from 'ink';

/** Where a key applies: a view, or a layer above the views. */
export type KeyContext = 'tasks' | 'guests' | 'detail' | 'help' | 'dialog' | 'filter';

export type Command =
  | 'up'
  | 'down'
  | 'pageUp'
  | 'pageDown'
  | 'top'
  | 'bottom'
  | 'switchView'
  | 'open'
  | 'back'
  | 'filter'
  | 'mark'
  | 'markAll'
  | 'clearMarks'
  | 'start'
  | 'backup'
  | 'snapshot'
  | 'shutdown'
  | 'hardStop'
  | 'reboot'
  | 'migrate'
  | 'drain'
  | 'stop'
  | 'follow'
  | 'scope'
  | 'pause'
  | 'refresh'
  | 'help'
  | 'quit'
  | 'sortNext'
  | 'sortPrev'
  | 'problems'
  | 'copyUpid'
  | 'watchUpid'
  | 'pauseQueue'
  | 'cancelQueued'
  | 'limits'
  | 'wrap'
  | 'scrollLeft'
  | 'scrollRight'
  | 'saveLog'
  | 'interrupt'
  | 'closeHelp'
  | 'confirm'
  | 'cancel'
  | 'accept'
  | 'nextField'
  | 'prevField'
  | 'choosePrev'
  | 'chooseNext'
  | 'deleteChar'
  | 'keepFilter'
  | 'clearFilter'
  | 'typeText';

type SpecialKey =
  'upArrow' | 'downArrow' | 'leftArrow' | 'rightArrow' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'tab' | 'return' | 'escape' | 'backspace';

/** One key: a printable character, or a named key, with the modifiers that must be held. */
export interface KeyStroke {
  readonly char?: string;
  readonly special?: SpecialKey;
  readonly ctrl?: boolean;
  readonly shift?: boolean;
}

export interface Binding {
  readonly command: Command;
  readonly keys: readonly KeyStroke[];
  readonly description: string;
  readonly where: readonly KeyContext[];
  /** Starts or stops something on the cluster: off under `--read-only`. */
  readonly action?: boolean;
  /** A word for the footer's key hints (the most useful commands only). */
  readonly hint?: string;
}

const LISTS: readonly KeyContext[] = ['tasks', 'guests'];
const VIEWS: readonly KeyContext[] = ['tasks', 'guests', 'detail'];
const SCROLLING: readonly KeyContext[] = ['tasks', 'guests', 'detail', 'help'];
const ALL: readonly KeyContext[] = ['tasks', 'guests', 'detail', 'help', 'dialog', 'filter'];

const ch = (char: string): KeyStroke => ({ char });
const sp = (special: SpecialKey, shift?: boolean): KeyStroke => (shift ? { special, shift } : { special });

export const KEYMAP: readonly Binding[] = [
  { command: 'up', keys: [sp('upArrow'), ch('k')], description: 'move up (log: scroll up, stops following)', where: SCROLLING },
  { command: 'down', keys: [sp('downArrow'), ch('j')], description: 'move down', where: SCROLLING },
  { command: 'pageUp', keys: [sp('pageUp')], description: 'page up', where: SCROLLING },
  { command: 'pageDown', keys: [sp('pageDown')], description: 'page down', where: SCROLLING },
  { command: 'top', keys: [ch('g'), sp('home')], description: 'go to the top', where: SCROLLING },
  { command: 'bottom', keys: [ch('G'), sp('end')], description: 'go to the bottom (log: follow again)', where: SCROLLING },
  { command: 'switchView', keys: [sp('tab')], description: 'switch between the Tasks and Guests views', where: LISTS, hint: 'view' },
  { command: 'open', keys: [sp('return')], description: 'open the task: details, progress, log', where: ['tasks'], hint: 'open' },
  { command: 'back', keys: [sp('escape')], description: 'back; clear the filter (and problems only)', where: VIEWS },
  {
    command: 'filter',
    keys: [ch('/')],
    description: 'filter the list (vmid, name, node, type, user, outcome)',
    where: LISTS,
    hint: 'filter',
  },
  { command: 'mark', keys: [ch(' ')], description: 'mark or unmark the guest, then move down', where: ['guests'], hint: 'mark' },
  { command: 'markAll', keys: [ch('*')], description: 'mark every visible guest', where: ['guests'] },
  { command: 'clearMarks', keys: [ch('u')], description: 'clear the marks', where: ['guests'] },
  {
    command: 'start',
    keys: [ch('s')],
    description: 'start the marked guests (or the one under the cursor)',
    where: ['guests'],
    action: true,
    hint: 'start',
  },
  {
    command: 'backup',
    keys: [ch('b')],
    description: 'back up the marked guests (asks storage, mode, compression)',
    where: ['guests'],
    action: true,
    hint: 'backup',
  },
  {
    command: 'snapshot',
    keys: [ch('n')],
    description: 'snapshot the marked guests (asks the name)',
    where: ['guests'],
    action: true,
    hint: 'snapshot',
  },
  // Maintenance windows (issue 16): capitals for the heavy ones, as k9s and htop keep small letters for the everyday.
  {
    command: 'shutdown',
    keys: [ch('S')],
    description: 'shut the marked guests down cleanly (ACPI or guest agent)',
    where: ['guests'],
    action: true,
  },
  {
    command: 'hardStop',
    keys: [ch('K')],
    description: 'stop the marked guests hard: a power-off, like pulling the plug (asks, default No)',
    where: ['guests'],
    action: true,
  },
  { command: 'reboot', keys: [ch('R')], description: 'reboot the marked guests', where: ['guests'], action: true },
  {
    command: 'migrate',
    keys: [ch('m')],
    description: "migrate the marked guests to another node (asks the target, shows PVE's check first)",
    where: ['guests'],
    action: true,
  },
  {
    command: 'drain',
    keys: [ch('D')],
    description: 'drain the node of the guest under the cursor: every guest to the other nodes (shows the plan)',
    where: ['guests'],
    action: true,
  },
  {
    command: 'stop',
    keys: [ch('x')],
    description: 'stop the running task, or cancel a queued launch',
    where: ['tasks', 'detail'],
    action: true,
    hint: 'stop',
  },
  { command: 'follow', keys: [ch('f')], description: 'follow the log on/off', where: ['detail'], hint: 'follow' },
  { command: 'scope', keys: [ch('c')], description: 'tasks started here (mine) / the whole cluster', where: ['tasks'], hint: 'scope' },
  { command: 'pause', keys: [ch('p')], description: 'pause or resume polling', where: VIEWS, hint: 'pause' },
  { command: 'refresh', keys: [ch('r')], description: 'refresh now', where: VIEWS },
  { command: 'help', keys: [ch('?')], description: 'help: this list', where: VIEWS, hint: 'help' },
  { command: 'quit', keys: [ch('q')], description: 'quit (asks first while tasks started here still run)', where: VIEWS, hint: 'quit' },
  // Issue 15: sorting, the problems filter, the launch queue's controls, the detail view's long lines.
  {
    command: 'sortNext',
    keys: [ch('>')],
    description: 'sort by the next column: start, state, guest, node, duration',
    where: ['tasks'],
    hint: 'sort',
  },
  { command: 'sortPrev', keys: [ch('<')], description: 'sort by the previous column', where: ['tasks'] },
  {
    command: 'problems',
    keys: [ch('!')],
    description: 'problems only (failed, timed out, unknown) on/off',
    where: ['tasks'],
    hint: 'problems',
  },
  {
    command: 'copyUpid',
    keys: [ch('y')],
    description: 'copy the UPID to the clipboard (OSC 52: only with --osc52 or PVETASKS_OSC52=1)',
    where: ['tasks', 'detail'],
  },
  { command: 'watchUpid', keys: [ch('a')], description: 'watch a task started elsewhere: type or paste its UPID', where: ['tasks'] },
  {
    command: 'pauseQueue',
    keys: [ch('P')],
    description: 'pause or resume the launch queue (sent tasks go on)',
    where: LISTS,
    action: true,
  },
  {
    command: 'cancelQueued',
    keys: [ch('X')],
    description: 'cancel every queued launch not sent yet (asks first)',
    where: LISTS,
    action: true,
  },
  { command: 'limits', keys: [ch('L')], description: 'launch limits: at once, per node (changed live)', where: LISTS, action: true },
  { command: 'wrap', keys: [ch('w')], description: 'wrap long lines on/off', where: ['detail'], hint: 'wrap' },
  { command: 'scrollLeft', keys: [sp('leftArrow'), ch('h')], description: 'scroll long lines left (not wrapped)', where: ['detail'] },
  { command: 'scrollRight', keys: [sp('rightArrow'), ch('l')], description: 'scroll long lines right (not wrapped)', where: ['detail'] },
  {
    command: 'saveLog',
    keys: [ch('s')],
    description: "save the task's whole log to a file (0600), in the state dir",
    where: ['detail'],
    hint: 'save',
  },
  { command: 'interrupt', keys: [{ char: 'c', ctrl: true }], description: 'quit at once (tasks keep running on the server)', where: ALL },
  { command: 'closeHelp', keys: [sp('escape'), ch('?'), ch('q'), sp('return')], description: 'close the help', where: ['help'] },
  { command: 'confirm', keys: [ch('y')], description: 'yes (not in a text field)', where: ['dialog'] },
  { command: 'cancel', keys: [ch('n'), sp('escape')], description: 'no, close the dialog (n not in a text field)', where: ['dialog'] },
  { command: 'accept', keys: [sp('return')], description: 'take the default, shown in capitals (Y/n, y/N)', where: ['dialog'] },
  { command: 'nextField', keys: [sp('tab'), sp('downArrow')], description: 'next field', where: ['dialog'] },
  { command: 'prevField', keys: [sp('tab', true), sp('upArrow')], description: 'previous field', where: ['dialog'] },
  { command: 'choosePrev', keys: [sp('leftArrow')], description: 'previous choice; a limit one less; flip a toggle', where: ['dialog'] },
  {
    command: 'chooseNext',
    keys: [sp('rightArrow'), ch(' ')],
    description: 'next choice; a limit one more; flip a toggle (send to the skipped guests too)',
    where: ['dialog'],
  },
  { command: 'typeText', keys: [], description: 'typed as text (q, j, y and n too)', where: ['filter', 'dialog'] },
  { command: 'deleteChar', keys: [sp('backspace')], description: 'delete the last character', where: ['filter', 'dialog'] },
  { command: 'keepFilter', keys: [sp('return')], description: 'keep the filter and return to the list', where: ['filter'] },
  { command: 'clearFilter', keys: [sp('escape')], description: 'clear the filter', where: ['filter'] },
];

const BY_COMMAND = new Map(KEYMAP.map((binding) => [binding.command, binding]));

export function bindingOf(command: Command): Binding {
  return BY_COMMAND.get(command)!;
}

function specialPressed(special: SpecialKey, key: Key): boolean {
  // Terminals send DEL (0x7f) for Backspace, which Ink reports as `delete`.
  if (special === 'backspace') return key.backspace || key.delete;
  return key[special];
}

export function matches(stroke: KeyStroke, input: string, key: Key): boolean {
  if (stroke.special) {
    if (!specialPressed(stroke.special, key)) return false;
    return stroke.special !== 'tab' || Boolean(stroke.shift) === key.shift;
  }
  if (Boolean(stroke.ctrl) !== key.ctrl) return false;
  return input === stroke.char;
}

/** The command this key means where the user is, if any. */
export function commandFor(context: KeyContext, input: string, key: Key): Binding | undefined {
  for (const binding of KEYMAP) {
    if (!binding.where.includes(context)) continue;
    if (binding.keys.some((stroke) => matches(stroke, input, key))) return binding;
  }
  return undefined;
}

/** Printable text (a key or a paste): what a text field takes. */
export function isPrintable(input: string, key: Key): boolean {
  return input.length > 0 && !key.ctrl && !key.meta && !/[\u0000-\u001f\u007f]/.test(input);
}

const SPECIAL_LABELS: Record<SpecialKey, [unicode: string, ascii: string]> = {
  upArrow: ['↑', 'Up'],
  downArrow: ['↓', 'Down'],
  leftArrow: ['←', 'Left'],
  rightArrow: ['→', 'Right'],
  pageUp: ['PgUp', 'PgUp'],
  pageDown: ['PgDn', 'PgDn'],
  home: ['Home', 'Home'],
  end: ['End', 'End'],
  tab: ['Tab', 'Tab'],
  return: ['Enter', 'Enter'],
  escape: ['Esc', 'Esc'],
  backspace: ['Backspace', 'Backspace'],
};

export function strokeLabel(stroke: KeyStroke, ascii: boolean): string {
  if (stroke.special) {
    const name = SPECIAL_LABELS[stroke.special][ascii ? 1 : 0];
    return stroke.shift ? `Shift-${name}` : name;
  }
  if (stroke.ctrl) return `Ctrl-${stroke.char!.toUpperCase()}`;
  return stroke.char === ' ' ? 'Space' : stroke.char!;
}

/**
 * The label of a command's first key, for every hint shown anywhere (`Esc`, `Enter`, `f`), so a key
 * named in a message is the key the dispatcher takes. `nonText`: the first key that is not typed as
 * text in a text field (Esc rather than n); `letter`: the first letter key (j rather than ↓).
 */
export function keyLabel(
  command: Command,
  { ascii = false, nonText = false, letter = false }: { ascii?: boolean; nonText?: boolean; letter?: boolean } = {},
): string {
  const keys = bindingOf(command).keys;
  const preferred = nonText ? keys.find((key) => key.special || key.ctrl) : letter ? keys.find((key) => key.char && !key.ctrl) : undefined;
  return strokeLabel(preferred ?? keys[0]!, ascii);
}

/** Whether this key means `command` (wherever the user is). */
export function isCommand(command: Command, input: string, key: Key): boolean {
  return bindingOf(command).keys.some((stroke) => matches(stroke, input, key));
}

export function keysLabel(binding: Binding, ascii: boolean): string {
  if (binding.command === 'typeText') return 'text';
  return binding.keys.map((stroke) => strokeLabel(stroke, ascii)).join('/');
}

export function bindingsFor(context: KeyContext): Binding[] {
  return KEYMAP.filter((binding) => binding.where.includes(context));
}

/** The footer's short hints for a view, e.g. `Enter open`; actions are left out under --read-only. */
export function hintsFor(context: KeyContext, readOnly: boolean, ascii: boolean): string[] {
  return bindingsFor(context)
    .filter((binding) => binding.hint && !(readOnly && binding.action))
    .map((binding) => `${binding.keys.map((stroke) => strokeLabel(stroke, ascii))[0]} ${binding.hint}`);
}

const CONTEXT_NAMES: Record<KeyContext, string> = {
  tasks: 'Tasks',
  guests: 'Guests',
  detail: 'Detail',
  help: 'Help',
  dialog: 'Dialogs',
  filter: 'Filter',
};

/** The key table as Markdown, for the README. */
export function keymapMarkdown(): string {
  const escapeCell = (text: string) => text.replace(/\|/g, '\\|');
  const lines = ['| Keys | Action | Where |', '| --- | --- | --- |'];
  for (const binding of KEYMAP) {
    const keys =
      binding.command === 'typeText' ? 'printable keys' : binding.keys.map((stroke) => `\`${strokeLabel(stroke, false)}\``).join(', ');
    const where = binding.where === ALL ? 'everywhere' : binding.where.map((context) => CONTEXT_NAMES[context]).join(', ');
    const description = binding.action ? `${binding.description} (off with \`--read-only\`)` : binding.description;
    lines.push(`| ${escapeCell(keys)} | ${escapeCell(description)} | ${where} |`);
  }
  return `${lines.join('\n')}\n`;
}
