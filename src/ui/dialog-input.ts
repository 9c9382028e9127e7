/**
 * The dialogs' side of the dispatcher: opening the confirm, backup and snapshot dialogs, the keys of
 * every dialog, and carrying out what was confirmed through the runtime's actions.
 */
import type { Key } from 'ink';
import type { LaunchRequest } from '../tasks/launch-plan.js';
import { defaultSnapshotName, snapshotNameError } from '../tasks/snapshot-name.js';
import { launchTargets, say, setUi, watchLaunched } from './actions.js';
import type { BoardDeps } from './context.js';
import { closeDialog, launchCheck, openConfirm, openDialog } from './dialog-open.js';
import { commandFor, isPrintable, keyLabel, type Command } from './keymap.js';
import { editLimit, limitsKey, submitWatch } from './queue-dialogs.js';
import { BACKUP_COMPRESSIONS, BACKUP_MODES, type ConfirmPurpose, type Dialog, type LaunchCheck } from './ui-state.js';
import { offersNoSkip } from './verdicts.js';

export function askToQuit(deps: BoardDeps): void {
  const { running, queued } = deps.store.getState().tallies.mine;
  if (running + queued === 0) {
    deps.exit({ reason: 'quit' });
    return;
  }
  const what = [running ? `${running} running` : '', queued ? `${queued} queued` : ''].filter(Boolean).join(', ');
  openConfirm(deps, { type: 'quit' }, `Quit? Tasks started here: ${what}.`, false, 'Running tasks keep running on the server.');
}

let nextDialogId = 1;

export function openLaunchDialog(deps: BoardDeps, action: 'start' | 'backup' | 'snapshot'): void {
  const chosen = launchTargets(deps);
  if (!chosen) return;
  const { vmids, described: targets } = chosen;
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
      // The snapshot's name does not change what is skipped.
      check: launchCheck(deps, { action: 'snapshot', vmids, snapname: 'check' }, deps.noSkip),
    };
    openDialog(deps, dialog);
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
    // Checked once a storage is chosen: the privilege to write there is part of the check.
    check: { verdicts: [], noSkip: deps.noSkip },
  };
  openDialog(deps, dialog);
  const settle = (storages: Extract<Dialog, { kind: 'backup' }>['storages']) => {
    const current = deps.ui.getState().dialog;
    if (current?.kind === 'backup' && current.id === id) setUi(deps, { dialog: withBackupCheck(deps, { ...current, storages }) });
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
  // No by default: a stray Enter must not send launches the operator may have forgotten.
  openConfirm(
    deps,
    { type: 'resume', count },
    `Resume ${what} from the last session?`,
    false,
    `${keyLabel('confirm')} sends ${count === 1 ? 'it' : 'them'} as launch slots free up; ${keyLabel('cancel')} drops ${count === 1 ? 'it' : 'them'}.`,
  );
}

function declineResume(deps: BoardDeps): void {
  deps.actions.resumeLaunches(false);
}

export function dialogKey(deps: BoardDeps, dialog: Dialog, input: string, key: Key): void {
  if (isPrintable(input, key) && typesText(dialog)) return typeText(deps, dialog, input);
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
        carryOut(deps, dialog.purpose, dialog.check);
      } else if (command === 'accept') {
        closeDialog(deps);
        if (dialog.purpose.type === 'resume') declineResume(deps);
      } else if ((command === 'chooseNext' || command === 'choosePrev') && offersNoSkip(dialog.check)) {
        setUi(deps, { dialog: { ...dialog, check: toggled(dialog.check!) } });
      }
      return;
    case 'snapshot':
      if (command === 'deleteChar') setUi(deps, { dialog: editSnapshot(dialog, (text) => text.slice(0, -1)) });
      else if (command === 'nextField' || command === 'prevField') {
        const fields = offersNoSkip(dialog.check) ? 3 : 2;
        setUi(deps, { dialog: { ...dialog, field: (dialog.field + (command === 'nextField' ? 1 : fields - 1)) % fields } });
      } else if ((command === 'chooseNext' || command === 'choosePrev') && dialog.field === 2) {
        setUi(deps, { dialog: { ...dialog, check: toggled(dialog.check) } });
      } else if (command === 'accept' || command === 'confirm') submitSnapshot(deps, dialog);
      return;
    case 'backup':
      return backupKey(deps, dialog, command);
    case 'limits':
      return limitsKey(deps, dialog, command);
    case 'watch':
      if (command === 'deleteChar') setUi(deps, { dialog: { ...dialog, text: dialog.text.slice(0, -1), error: undefined } });
      else if (command === 'accept') submitWatch(deps, dialog);
      return;
  }
}

/** Whether a printable key is text here: in a text field (the snapshot's name and description, a UPID, a limit). */
function typesText(dialog: Dialog): boolean {
  return (dialog.kind === 'snapshot' && dialog.field < 2) || dialog.kind === 'watch' || dialog.kind === 'limits';
}

function typeText(deps: BoardDeps, dialog: Dialog, input: string): void {
  if (dialog.kind === 'snapshot') setUi(deps, { dialog: editSnapshot(dialog, (text) => text + input) });
  else if (dialog.kind === 'watch') setUi(deps, { dialog: { ...dialog, text: dialog.text + input, error: undefined } });
  else if (dialog.kind === 'limits') {
    // Only digits make a limit; anything else is ignored rather than shown and refused.
    const digits = input.replace(/\D/g, '');
    if (digits) setUi(deps, { dialog: editLimit(dialog, (text) => (text + digits).replace(/^0+/, '').slice(0, 3)) });
  }
}

function toggled(check: LaunchCheck): LaunchCheck {
  return { ...check, noSkip: !check.noSkip };
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
  carryOut(deps, { type: 'launch', request }, dialog.check);
}

type BackupDialog = Extract<Dialog, { kind: 'backup' }>;

/** The backup dialog with its verdicts for the storage chosen now (none while storages load). */
function withBackupCheck(deps: BoardDeps, dialog: BackupDialog): BackupDialog {
  const storage = dialog.storages.status === 'ready' ? dialog.storages.ids[dialog.storage] : undefined;
  const request: LaunchRequest | undefined = storage
    ? { action: 'backup', vmids: dialog.vmids, storage, mode: BACKUP_MODES[dialog.mode]!, compress: BACKUP_COMPRESSIONS[dialog.compress]! }
    : undefined;
  return { ...dialog, check: launchCheck(deps, request, dialog.check.noSkip) };
}

function backupKey(deps: BoardDeps, dialog: BackupDialog, command: Command): void {
  const storages = dialog.storages.status === 'ready' ? dialog.storages.ids : [];
  const choiceCounts = [storages.length, BACKUP_MODES.length, BACKUP_COMPRESSIONS.length];
  const fields = ['storage', 'mode', 'compress'] as const;
  const fieldCount = offersNoSkip(dialog.check) ? 4 : 3;
  switch (command) {
    case 'nextField':
    case 'prevField': {
      const step = command === 'nextField' ? 1 : fieldCount - 1;
      setUi(deps, { dialog: { ...dialog, field: (dialog.field + step) % fieldCount } });
      return;
    }
    case 'chooseNext':
    case 'choosePrev': {
      if (dialog.field === 3) {
        setUi(deps, { dialog: { ...dialog, check: toggled(dialog.check) } });
        return;
      }
      const count = choiceCounts[dialog.field]!;
      if (count === 0) return;
      const field = fields[dialog.field]!;
      const step = command === 'chooseNext' ? 1 : count - 1;
      setUi(deps, { dialog: withBackupCheck(deps, { ...dialog, [field]: (dialog[field] + step) % count }) });
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
      carryOut(
        deps,
        {
          type: 'launch',
          request: {
            action: 'backup',
            vmids: dialog.vmids,
            storage,
            mode: BACKUP_MODES[dialog.mode]!,
            compress: BACKUP_COMPRESSIONS[dialog.compress]!,
          },
        },
        dialog.check,
      );
      return;
    }
    default:
      return;
  }
}

function carryOut(deps: BoardDeps, purpose: ConfirmPurpose, check?: LaunchCheck): void {
  switch (purpose.type) {
    case 'quit':
      deps.exit({ reason: 'quit' });
      return;
    case 'resume':
      deps.actions.resumeLaunches(true);
      return;
    case 'cancelQueued':
      deps.actions.cancelQueued();
      return;
    case 'stop':
      deps.actions.stopTask(purpose.key).catch((error: unknown) => {
        say(deps, `stop failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
      });
      return;
    case 'launch': {
      // The runtime says what it queued, skipped and refused (its rows too), or why it sent nothing.
      const options = check?.noSkip ? { noSkip: true } : undefined;
      if (deps.actions.launch(purpose.request, options).length > 0) watchLaunched(deps);
      return;
    }
  }
}
