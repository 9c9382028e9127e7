/**
 * The dialogs' side of the dispatcher: opening the confirm, backup and snapshot dialogs, their keys,
 * and carrying out what was confirmed through the runtime's actions.
 */
import type { Key } from 'ink';
import type { LaunchRequest } from '../tasks/launch-plan.js';
import { say, setUi, targetGuests } from './actions.js';
import type { BoardDeps } from './context.js';
import { describeTargets } from './format.js';
import { commandFor, isPrintable, keyLabel, type Command } from './keymap.js';
import { defaultSnapshotName, snapshotNameError } from '../tasks/snapshot-name.js';
import { BACKUP_COMPRESSIONS, BACKUP_MODES, type ConfirmPurpose, type Dialog } from './ui-state.js';

export function askToQuit(deps: BoardDeps): void {
  const { running, queued } = deps.store.getState().tallies.mine;
  if (running + queued === 0) {
    deps.exit({ reason: 'quit' });
    return;
  }
  const what = [running ? `${running} running` : '', queued ? `${queued} queued` : ''].filter(Boolean).join(', ');
  openConfirm(deps, { type: 'quit' }, `Quit? Tasks started here: ${what}.`, false, 'Running tasks keep running on the server.');
}

export function openConfirm(
  deps: BoardDeps,
  purpose: ConfirmPurpose,
  title: string,
  defaultYes: boolean,
  below?: string | readonly number[],
): void {
  const dialog: Dialog = { kind: 'confirm', purpose, title, defaultYes };
  if (typeof below === 'string') dialog.detail = below;
  else if (below) dialog.vmids = below;
  setUi(deps, { dialog, filterEditing: false });
}

let nextDialogId = 1;

export function openLaunchDialog(deps: BoardDeps, action: 'start' | 'backup' | 'snapshot'): void {
  const guests = targetGuests(deps);
  if (guests.length === 0) {
    say(deps, `no guest to act on: move the cursor to one or mark some with ${keyLabel('mark')}`, 'error');
    return;
  }
  const vmids = guests.map((g) => g.vmid);
  const targets = describeTargets(guests);
  if (action === 'start') {
    openConfirm(deps, { type: 'launch', request: { action: 'start', vmids } }, `Start ${targets}?`, true, vmids);
    return;
  }
  if (action === 'snapshot') {
    const dialog: Dialog = {
      kind: 'snapshot',
      vmids,
      title: `Snapshot ${targets}?`,
      field: 0,
      name: defaultSnapshotName(deps.clock.now()),
      description: '',
    };
    setUi(deps, { dialog, filterEditing: false });
    return;
  }
  const id = nextDialogId++;
  const dialog: Dialog = {
    kind: 'backup',
    id,
    vmids,
    title: `Back up ${targets}?`,
    storages: { status: 'loading' },
    field: 0,
    storage: 0,
    mode: 0,
    compress: 0,
  };
  setUi(deps, { dialog, filterEditing: false });
  const settle = (storages: Extract<Dialog, { kind: 'backup' }>['storages']) => {
    const current = deps.ui.getState().dialog;
    if (current?.kind === 'backup' && current.id === id) setUi(deps, { dialog: { ...current, storages } });
  };
  deps.actions.backupStorages(vmids).then(
    (ids) => settle({ status: 'ready', ids }),
    (error: unknown) => settle({ status: 'failed', message: error instanceof Error ? error.message : String(error) }),
  );
}

/**
 * Asks whether the launches an earlier session queued (and never sent) go out now. Under --read-only
 * nothing is sent and nothing is dropped: they stay queued in the session for a later run.
 */
export function askToResume(deps: BoardDeps, count: number): void {
  if (count <= 0) return;
  const what = count === 1 ? '1 queued launch' : `${count} queued launches`;
  if (deps.readOnly) {
    say(deps, `${what} from the last session ${count === 1 ? 'waits' : 'wait'}: not sent under --read-only`);
    return;
  }
  openConfirm(
    deps,
    { type: 'resume', count },
    `Resume ${what} from the last session?`,
    true,
    `${keyLabel('confirm')} sends ${count === 1 ? 'it' : 'them'} as launch slots free up; ${keyLabel('cancel')} drops ${count === 1 ? 'it' : 'them'}.`,
  );
}

function declineResume(deps: BoardDeps): void {
  deps.actions.resumeLaunches(false);
}

function closeDialog(deps: BoardDeps): void {
  setUi(deps, { dialog: undefined });
}

export function dialogKey(deps: BoardDeps, dialog: Dialog, input: string, key: Key): void {
  if (dialog.kind === 'snapshot' && isPrintable(input, key)) {
    setUi(deps, { dialog: editSnapshot(dialog, (text) => text + input) });
    return;
  }
  const binding = commandFor('dialog', input, key);
  if (!binding) return;
  const command = binding.command;
  if (command === 'cancel') {
    closeDialog(deps);
    // Held launches wait for an answer: no is an answer too.
    if (dialog.kind === 'confirm' && dialog.purpose.type === 'resume') declineResume(deps);
    return;
  }
  switch (dialog.kind) {
    case 'confirm':
      if (command === 'confirm' || (command === 'accept' && dialog.defaultYes)) {
        closeDialog(deps);
        carryOut(deps, dialog.purpose);
      } else if (command === 'accept') {
        closeDialog(deps);
      }
      return;
    case 'snapshot':
      if (command === 'deleteChar') setUi(deps, { dialog: editSnapshot(dialog, (text) => text.slice(0, -1)) });
      else if (command === 'nextField' || command === 'prevField') setUi(deps, { dialog: { ...dialog, field: 1 - dialog.field } });
      else if (command === 'accept' || command === 'confirm') submitSnapshot(deps, dialog);
      return;
    case 'backup':
      return backupKey(deps, dialog, command);
  }
}

function editSnapshot(dialog: Extract<Dialog, { kind: 'snapshot' }>, edit: (text: string) => string): Dialog {
  if (dialog.field === 0) return { ...dialog, name: edit(dialog.name), error: undefined };
  return { ...dialog, description: edit(dialog.description) };
}

function submitSnapshot(deps: BoardDeps, dialog: Extract<Dialog, { kind: 'snapshot' }>): void {
  const snapname = dialog.name.trim();
  const error = snapshotNameError(snapname);
  if (error) {
    setUi(deps, { dialog: { ...dialog, field: 0, error } });
    return;
  }
  const description = dialog.description.trim();
  const request: LaunchRequest = description
    ? { action: 'snapshot', vmids: dialog.vmids, snapname, description }
    : { action: 'snapshot', vmids: dialog.vmids, snapname };
  closeDialog(deps);
  carryOut(deps, { type: 'launch', request });
}

const BACKUP_FIELDS = 3;

function backupKey(deps: BoardDeps, dialog: Extract<Dialog, { kind: 'backup' }>, command: Command): void {
  const storages = dialog.storages.status === 'ready' ? dialog.storages.ids : [];
  const choiceCounts = [storages.length, BACKUP_MODES.length, BACKUP_COMPRESSIONS.length];
  const fields = ['storage', 'mode', 'compress'] as const;
  switch (command) {
    case 'nextField':
    case 'prevField': {
      const step = command === 'nextField' ? 1 : BACKUP_FIELDS - 1;
      setUi(deps, { dialog: { ...dialog, field: (dialog.field + step) % BACKUP_FIELDS } });
      return;
    }
    case 'chooseNext':
    case 'choosePrev': {
      const count = choiceCounts[dialog.field]!;
      if (count === 0) return;
      const field = fields[dialog.field]!;
      const step = command === 'chooseNext' ? 1 : count - 1;
      setUi(deps, { dialog: { ...dialog, [field]: (dialog[field] + step) % count } });
      return;
    }
    case 'confirm':
    case 'accept': {
      const storage = storages[dialog.storage];
      if (!storage) {
        say(deps, dialog.storages.status === 'loading' ? 'still looking for backup storages' : 'no backup storage to use', 'error');
        return;
      }
      closeDialog(deps);
      carryOut(deps, {
        type: 'launch',
        request: {
          action: 'backup',
          vmids: dialog.vmids,
          storage,
          mode: BACKUP_MODES[dialog.mode]!,
          compress: BACKUP_COMPRESSIONS[dialog.compress]!,
        },
      });
      return;
    }
    default:
      return;
  }
}

function carryOut(deps: BoardDeps, purpose: ConfirmPurpose): void {
  switch (purpose.type) {
    case 'quit':
      deps.exit({ reason: 'quit' });
      return;
    case 'resume':
      deps.actions.resumeLaunches(true);
      return;
    case 'stop':
      deps.actions.stopTask(purpose.key).catch((error: unknown) => {
        say(deps, `stop failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
      });
      return;
    case 'launch': {
      // The runtime says what it queued, or why it did not.
      if (deps.actions.launch(purpose.request).length === 0) return;
      // Watch what was just launched: the new rows are queued, so they sort to the top of `mine`.
      const ui = deps.ui.getState();
      setUi(deps, {
        view: 'tasks',
        scope: 'mine',
        tasks: { ...ui.tasks, cursor: { index: 0, top: 0 } },
        guests: { ...ui.guests, marks: {} },
      });
      return;
    }
  }
}
