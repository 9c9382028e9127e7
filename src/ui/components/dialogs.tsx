/**
 * The dialogs: a confirm that names the count and the targets (for a launch, what each guest would
 * do: go, skipped or refused, with the reason, and the toggle that sends the skipped too), the backup
 * form (storage, mode, compression), the snapshot form (name, description), the launch limits and a
 * UPID to watch. The default answer is shown in capitals.
 */
import { Box } from 'ink';
import { useBoard, useTasks } from '../context.js';
import { clip, textWidth } from '../format.js';
import { dialogHeight, verdictRoom } from '../layout.js';
import { bindingOf, keyLabel, keysLabel } from '../keymap.js';
import { BACKUP_COMPRESSIONS, BACKUP_MODES, MAX_LIMIT, type Dialog, type LaunchCheck } from '../ui-state.js';
import { noSkipToggle, offersNoSkip, verdictLines } from '../verdicts.js';
import { isMaintenanceDialog } from '../maintenance-state.js';
import { MaintenanceFields, maintenanceHint } from './maintenance-dialogs.js';
import { FieldLine, TargetsLine, choice } from './form-lines.js';
import { Line, Styled } from './styled.js';

const MAX_WIDTH = 76;

const TITLES: Record<'limits' | 'watch', string> = {
  limits: 'Launch limits (they apply at once)',
  watch: 'Watch a task started elsewhere',
};

/** A dialog under the view, in a body of `body` lines (its verdicts get what the list can spare). */
export function DialogBox({ dialog, width, body = Infinity }: { dialog: Dialog; width: number; body?: number }) {
  const theme = useBoard().theme;
  const boxWidth = Math.min(width, MAX_WIDTH);
  const inner = boxWidth - 4;
  const title = dialog.kind === 'limits' || dialog.kind === 'watch' ? TITLES[dialog.kind] : dialog.title;
  const room = verdictRoom(dialog, body);
  return (
    <Box
      flexDirection="column"
      borderStyle={theme.border}
      borderColor={theme.colorOf('accent')}
      paddingX={1}
      width={boxWidth}
      height={dialogHeight(dialog, body)}
    >
      <Line>
        <Styled bold>{clip(title, inner, theme.ellipsis)}</Styled>
      </Line>
      {dialog.kind === 'confirm' && dialog.vmids ? <TargetsLine vmids={dialog.vmids} width={inner} /> : null}
      {dialog.kind === 'confirm' && !dialog.vmids && dialog.detail ? <Line>{clip(dialog.detail, inner, theme.ellipsis)}</Line> : null}
      {dialog.kind === 'confirm' ? <Verdicts check={dialog.check} width={inner} room={room} /> : null}
      {dialog.kind === 'confirm' && dialog.check && offersNoSkip(dialog.check) ? (
        <ToggleLine check={dialog.check} focused width={inner} />
      ) : null}
      {dialog.kind === 'backup' ? <BackupFields dialog={dialog} width={inner} room={room} /> : null}
      {dialog.kind === 'snapshot' ? <SnapshotFields dialog={dialog} width={inner} room={room} /> : null}
      {dialog.kind === 'limits' ? <LimitsFields dialog={dialog} width={inner} /> : null}
      {dialog.kind === 'watch' ? <WatchFields dialog={dialog} width={inner} /> : null}
      {isMaintenanceDialog(dialog) ? <MaintenanceFields dialog={dialog} width={inner} /> : null}
      <Line>
        <Styled tone="muted">{clip(hintOf(dialog, theme.ascii), inner, theme.ellipsis)}</Styled>
      </Line>
    </Box>
  );
}

/** How many guests go, and each one skipped or refused with its reason, windowed to `room` lines. */
function Verdicts({ check, width, room }: { check: LaunchCheck | undefined; width: number; room: number }) {
  const theme = useBoard().theme;
  const guests = useTasks((s) => s.guests);
  return (
    <>
      {verdictLines(check, guests, room).map((line, i) => (
        <Line key={i}>
          <Styled tone={line.tone}>{clip(line.text, width, theme.ellipsis)}</Styled>
        </Line>
      ))}
    </>
  );
}

/** The toggle "send to the skipped guests too" (the board's --no-skip), off unless the board was started with it. */
function ToggleLine({ check, focused, width }: { check: LaunchCheck; focused: boolean; width: number }) {
  const theme = useBoard().theme;
  const head = `${focused ? theme.cursor : ' '} `;
  return (
    <Line>
      <Styled bold={focused}>{head}</Styled>
      <Styled tone={check.noSkip ? 'warn' : undefined}>{clip(noSkipToggle(check), width - 2, theme.ellipsis)}</Styled>
    </Line>
  );
}

/** The dialog's keys, from the keymap; the default answer in capitals. */
function hintOf(dialog: Dialog, ascii: boolean): string {
  const yes = keyLabel('confirm', { ascii });
  const enter = keyLabel('accept', { ascii });
  const no = keysLabel(bindingOf('cancel'), ascii);
  const field = keyLabel('nextField', { ascii });
  const esc = keyLabel('cancel', { ascii, nonText: true });
  switch (dialog.kind) {
    case 'confirm': {
      const answer = dialog.defaultYes ? `[Y/n]  ${yes}/${enter}: yes  ${no}: no` : `[y/N]  ${yes}: yes  ${no}/${enter}: no`;
      return offersNoSkip(dialog.check) ? `${answer}  ${keyLabel('chooseNext', { ascii, letter: true })}: toggle` : answer;
    }
    case 'limits':
      return `${enter}: apply  ${esc}: cancel  ${field}: field  ${keyLabel('choosePrev', { ascii })}/${keyLabel('chooseNext', { ascii })}: -1/+1  digits: type`;
    case 'watch':
      return `${enter}: watch  ${esc}: cancel  (every key is text: paste the UPID)`;
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

function BackupFields({ dialog, width, room }: { dialog: Extract<Dialog, { kind: 'backup' }>; width: number; room: number }) {
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
      <TargetsLine vmids={dialog.vmids} width={width} />
      <Verdicts check={dialog.check} width={width} room={room} />
      <FieldLine label="Storage" value={storage} focused={dialog.field === 0} width={width} tone={storageTone} />
      <FieldLine label="Mode" value={choice(BACKUP_MODES, dialog.mode, theme.ascii)} focused={dialog.field === 1} width={width} />
      <FieldLine
        label="Compression"
        value={choice(BACKUP_COMPRESSIONS, dialog.compress, theme.ascii)}
        focused={dialog.field === 2}
        width={width}
      />
      {offersNoSkip(dialog.check) ? <ToggleLine check={dialog.check} focused={dialog.field === 3} width={width} /> : null}
    </>
  );
}

function SnapshotFields({ dialog, width, room }: { dialog: Extract<Dialog, { kind: 'snapshot' }>; width: number; room: number }) {
  const caret = '_';
  return (
    <>
      <TargetsLine vmids={dialog.vmids} width={width} />
      <Verdicts check={dialog.check} width={width} room={room} />
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
      {offersNoSkip(dialog.check) ? <ToggleLine check={dialog.check} focused={dialog.field === 2} width={width} /> : null}
    </>
  );
}

function LimitsFields({ dialog, width }: { dialog: Extract<Dialog, { kind: 'limits' }>; width: number }) {
  const caret = '_';
  // Each cluster has its own launch queue: the limits apply to each, not to their sum.
  const perCluster = useTasks((s) => (s.clusters?.length ?? 1) > 1);
  return (
    <>
      <FieldLine label="At once" value={dialog.parallel + (dialog.field === 0 ? caret : '')} focused={dialog.field === 0} width={width} />
      <FieldLine label="Per node" value={dialog.perNode + (dialog.field === 1 ? caret : '')} focused={dialog.field === 1} width={width} />
      <Line>
        {dialog.error ? (
          <Styled tone="error">{`  ! ${dialog.error}`}</Styled>
        ) : (
          <Styled tone="muted">{`  1 to ${MAX_LIMIT} each${perCluster ? ', per cluster' : ''}; launches already sent go on`}</Styled>
        )}
      </Line>
    </>
  );
}

function WatchFields({ dialog, width }: { dialog: Extract<Dialog, { kind: 'watch' }>; width: number }) {
  const theme = useBoard().theme;
  const value = `${dialog.text}_`;
  // The end of a long UPID matters (its type, id and user): cut from the left.
  const room = Math.max(0, width - 15);
  const shown = textWidth(value) > room ? `${theme.ellipsis}${value.slice(value.length - room + 1)}` : value;
  return (
    <>
      <FieldLine label="UPID" value={shown} focused width={width} />
      <Line>
        {dialog.error ? (
          <Styled tone="error">{clip(`  ! ${dialog.error}`, width, theme.ellipsis)}</Styled>
        ) : (
          <Styled tone="muted">{'  UPID:node:pid:pstart:starttime:type:id:user:'}</Styled>
        )}
      </Line>
    </>
  );
}
