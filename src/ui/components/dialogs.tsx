/**
 * The dialogs: a confirm that names the count and the targets, the backup form (storage, mode,
 * compression) and the snapshot form (name, description). The default answer is shown in capitals.
 */
import { Box } from 'ink';
import type { Guest } from '../../tasks/store.js';
import { useBoard, useTasks } from '../context.js';
import { clip, fit, listTargets, textWidth } from '../format.js';
import { dialogHeight } from '../layout.js';
import { bindingOf, keyLabel, keysLabel } from '../keymap.js';
import { BACKUP_COMPRESSIONS, BACKUP_MODES, type Dialog } from '../ui-state.js';
import { isMaintenanceDialog } from '../maintenance-state.js';
import { MaintenanceFields, maintenanceHint } from './maintenance-dialogs.js';
import { Line, Styled } from './styled.js';

const MAX_WIDTH = 76;

export function DialogBox({ dialog, width }: { dialog: Dialog; width: number }) {
  const theme = useBoard().theme;
  const boxWidth = Math.min(width, MAX_WIDTH);
  const inner = boxWidth - 4;
  return (
    <Box
      flexDirection="column"
      borderStyle={theme.border}
      borderColor={theme.colorOf('accent')}
      paddingX={1}
      width={boxWidth}
      height={dialogHeight(dialog)}
    >
      <Line>
        <Styled bold>{clip(dialog.title, inner, theme.ellipsis)}</Styled>
      </Line>
      {dialog.kind === 'confirm' && dialog.vmids ? <Targets vmids={dialog.vmids} width={inner} /> : null}
      {dialog.kind === 'confirm' && !dialog.vmids && dialog.detail ? <Line>{clip(dialog.detail, inner, theme.ellipsis)}</Line> : null}
      {dialog.kind === 'backup' ? <BackupFields dialog={dialog} width={inner} /> : null}
      {dialog.kind === 'snapshot' ? <SnapshotFields dialog={dialog} width={inner} /> : null}
      {isMaintenanceDialog(dialog) ? <MaintenanceFields dialog={dialog} width={inner} /> : null}
      <Line>
        <Styled tone="muted">{clip(hintOf(dialog, theme.ascii), inner, theme.ellipsis)}</Styled>
      </Line>
    </Box>
  );
}

/** The dialog's keys, from the keymap; the default answer in capitals. */
function hintOf(dialog: Dialog, ascii: boolean): string {
  const yes = keyLabel('confirm', { ascii });
  const enter = keyLabel('accept', { ascii });
  const no = keysLabel(bindingOf('cancel'), ascii);
  const field = keyLabel('nextField', { ascii });
  switch (dialog.kind) {
    case 'confirm':
      return dialog.defaultYes ? `[Y/n]  ${yes}/${enter}: yes  ${no}: no` : `[y/N]  ${yes}: yes  ${no}/${enter}: no`;
    case 'backup': {
      const choose = `${keyLabel('choosePrev', { ascii })}/${keyLabel('chooseNext', { ascii })}`;
      return `[Y/n]  ${yes}/${enter}: back up  ${no}: cancel  ${field}: field  ${choose}: choose`;
    }
    case 'snapshot':
      return `[Y/n]  ${enter}: snapshot  ${keyLabel('cancel', { ascii, nonText: true })}: cancel  ${field}: field  (${yes}, ${keyLabel('cancel')} are text)`;
    default:
      return maintenanceHint(dialog, ascii);
  }
}

const NO_GUESTS: readonly Guest[] = [];

function Targets({ vmids, width }: { vmids: readonly number[]; width: number }) {
  const theme = useBoard().theme;
  const guests = useTasks((s) => s.guests);
  const list = vmids.map((vmid) => guests[vmid] ?? { vmid, node: '?', type: 'qemu' as const, status: '', template: false });
  return (
    <Line>
      <Styled tone="accent">{listTargets(list.length ? list : NO_GUESTS, width, theme.ellipsis)}</Styled>
    </Line>
  );
}

/** One form field: `> Label:  value`, the focused one marked with `>`. */
function FieldLine({
  label,
  value,
  focused,
  width,
  tone,
}: {
  label: string;
  value: string;
  focused: boolean;
  width: number;
  tone?: 'error' | 'muted';
}) {
  const theme = useBoard().theme;
  const head = `${focused ? theme.cursor : ' '} ${fit(`${label}:`, 13, theme.ellipsis)}`;
  return (
    <Line>
      <Styled bold={focused}>{head}</Styled>
      <Styled tone={tone}>{clip(value, Math.max(0, width - textWidth(head)), theme.ellipsis)}</Styled>
    </Line>
  );
}

function choice(values: readonly string[], index: number, ascii: boolean): string {
  const [left, right] = ascii ? ['<', '>'] : ['‹', '›'];
  return `${left} ${values[index] ?? ''} ${right}   (${values.join(', ')})`;
}

function BackupFields({ dialog, width }: { dialog: Extract<Dialog, { kind: 'backup' }>; width: number }) {
  const theme = useBoard().theme;
  const { storages } = dialog;
  const storage =
    storages.status === 'loading'
      ? 'looking for storages that take backups...'
      : storages.status === 'failed'
        ? `could not list storages: ${storages.message}`
        : storages.ids.length === 0
          ? 'no storage takes backups on these nodes'
          : choice(storages.ids, dialog.storage, theme.ascii);
  const storageTone =
    storages.status === 'failed' || (storages.status === 'ready' && storages.ids.length === 0)
      ? 'error'
      : storages.status === 'loading'
        ? 'muted'
        : undefined;
  return (
    <>
      <Targets vmids={dialog.vmids} width={width} />
      <FieldLine label="Storage" value={storage} focused={dialog.field === 0} width={width} tone={storageTone} />
      <FieldLine label="Mode" value={choice(BACKUP_MODES, dialog.mode, theme.ascii)} focused={dialog.field === 1} width={width} />
      <FieldLine
        label="Compression"
        value={choice(BACKUP_COMPRESSIONS, dialog.compress, theme.ascii)}
        focused={dialog.field === 2}
        width={width}
      />
    </>
  );
}

function SnapshotFields({ dialog, width }: { dialog: Extract<Dialog, { kind: 'snapshot' }>; width: number }) {
  const caret = '_';
  return (
    <>
      <Targets vmids={dialog.vmids} width={width} />
      <FieldLine label="Name" value={dialog.name + (dialog.field === 0 ? caret : '')} focused={dialog.field === 0} width={width} />
      <FieldLine
        label="Description"
        value={dialog.description + (dialog.field === 1 ? caret : '')}
        focused={dialog.field === 1}
        width={width}
      />
      <Line>
        {dialog.error ? (
          <Styled tone="error">{`  ! ${dialog.error}`}</Styled>
        ) : (
          <Styled tone="muted">{'  letters, digits, - and _; starts with a letter; 2 to 40 characters'}</Styled>
        )}
      </Line>
    </>
  );
}
