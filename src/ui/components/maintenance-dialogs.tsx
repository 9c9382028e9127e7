/**
 * The migrate and drain dialogs' lines, between the dialog box's title and its key hint: the migrate
 * form (target node, local disks) with PVE's migration check once asked, and the drain plan (where
 * each guest goes, or why it stays, the ones that stay first). Every line is a fixed one, so the box
 * keeps the height maintenanceDialogHeight (maintenance-state.ts) says.
 */
import type { Verdict } from '../../tasks/launch-check.js';
import { describeDrainPlan, restartNote } from '../../tasks/drain.js';
import type { Guest } from '../../tasks/store.js';
import { useBoard, useTasks } from '../context.js';
import { clip } from '../format.js';
import { bindingOf, keyLabel, keysLabel } from '../keymap.js';
import { migrateRequest } from '../maintenance-input.js';
import { DRAIN_PLAN_LINES, type DrainDialog, type MaintenanceDialog, type MigrateDialog } from '../maintenance-state.js';
import { FieldLine, TargetsLine, choice } from './form-lines.js';
import { Line, Styled } from './styled.js';

export function MaintenanceFields({ dialog, width }: { dialog: MaintenanceDialog; width: number }) {
  return dialog.kind === 'migrate' ? <MigrateFields dialog={dialog} width={width} /> : <DrainFields dialog={dialog} width={width} />;
}

/** The dialog's keys, from the keymap; the default answer in capitals. */
export function maintenanceHint(dialog: MaintenanceDialog, ascii: boolean): string {
  const yes = keyLabel('confirm', { ascii });
  const enter = keyLabel('accept', { ascii });
  const no = keysLabel(bindingOf('cancel'), ascii);
  const choose = `${keyLabel('choosePrev', { ascii })}/${keyLabel('chooseNext', { ascii })}`;
  if (dialog.kind === 'drain') return `[y/N]  ${yes}: drain  ${no}/${enter}: no  ${choose}: local disks`;
  const next = dialog.check?.status === 'ready' ? 'migrate' : 'check';
  return `[Y/n]  ${yes}/${enter}: ${next}  ${no}: cancel  ${keyLabel('nextField', { ascii })}: field  ${choose}: choose`;
}

const LOCAL_DISKS = ['no', 'mirror to the target (with-local-disks)'];

/** `2 to migrate; skipped 101 (already on pve2); refused 112 (uses local devices: hostpci0); CT 109 restarts: ...`. */
export function verdictSummary(verdicts: readonly Verdict[], guests: Readonly<Record<number, Guest>>): string {
  const going = verdicts.filter((verdict) => 'go' in verdict).length;
  const parts = [`${going} to migrate`];
  // Over several clusters a verdict names the view's guest id: the guest says its own VMID.
  const vmidOf = (id: number) => guests[id]?.vmid ?? id;
  for (const verdict of verdicts) {
    if ('skip' in verdict) parts.push(`skipped ${vmidOf(verdict.vmid)} (${verdict.skip})`);
    else if ('refuse' in verdict) parts.push(`refused ${vmidOf(verdict.vmid)} (${verdict.refuse})`);
  }
  // Last: what stays matters more on one line than what the operator chose to restart.
  const restarting = restartNote(verdicts, guests);
  if (restarting) parts.push(restarting);
  return parts.join('; ');
}

function MigrateFields({ dialog, width }: { dialog: MigrateDialog; width: number }) {
  const theme = useBoard().theme;
  const guests = useTasks((s) => s.guests);
  const { nodes, check } = dialog;
  const target =
    nodes.status === 'loading'
      ? 'reading the nodes...'
      : nodes.status === 'failed'
        ? `could not read the nodes: ${nodes.message}`
        : nodes.value.length === 0
          ? 'no node is online'
          : choice(nodes.value, dialog.node, theme.ascii);
  const request = migrateRequest(dialog);
  const status = !check
    ? `${keyLabel('accept', { ascii: theme.ascii })}: PVE's migration check first, nothing is sent yet`
    : check.status === 'loading'
      ? "asking PVE's migration check..."
      : check.status === 'failed'
        ? `the check failed: ${check.message}`
        : verdictSummary(check.value, guests);
  const tone = check?.status === 'failed' ? 'error' : check?.status === 'ready' ? undefined : 'muted';
  return (
    <>
      <TargetsLine vmids={dialog.vmids} width={width} />
      <FieldLine label="Target" value={target} focused={dialog.field === 0} width={width} />
      <FieldLine
        label="Local disks"
        value={choice(LOCAL_DISKS, dialog.withLocalDisks ? 1 : 0, theme.ascii)}
        focused={dialog.field === 1}
        width={width}
      />
      <Line>
        <Styled tone={request ? tone : 'muted'}>{clip(`  ${status}`, width, theme.ellipsis)}</Styled>
      </Line>
    </>
  );
}

function DrainFields({ dialog, width }: { dialog: DrainDialog; width: number }) {
  const theme = useBoard().theme;
  const guests = useTasks((s) => s.guests);
  const { plan } = dialog;
  const lines: Array<{ text: string; tone?: 'error' | 'muted' | 'accent' }> = [];
  if (plan.status === 'loading') lines.push({ text: `planning the drain of ${dialog.node}...`, tone: 'muted' });
  else if (plan.status === 'failed') lines.push({ text: `no plan: ${plan.message}`, tone: 'error' });
  else {
    const [summary, ...rest] = describeDrainPlan(plan.value, guests);
    lines.push({ text: summary!.replace(/^drain \S+: /, ''), tone: 'accent' });
    const guestLines = rest.filter((line) => !line.startsWith('note: '));
    // The guests that stay come first: they are what the operator must look at.
    const staying = guestLines.filter((line) => !line.includes(' -> '));
    const going = guestLines.filter((line) => line.includes(' -> '));
    const ordered = [...staying, ...going];
    const shown = ordered.length > DRAIN_PLAN_LINES ? ordered.slice(0, DRAIN_PLAN_LINES - 1) : ordered;
    for (const line of shown) {
      const tone = line.includes(' cannot move: ') ? ('error' as const) : line.includes(' stays: ') ? ('muted' as const) : undefined;
      lines.push({ text: line, ...(tone ? { tone } : {}) });
    }
    if (shown.length < ordered.length) lines.push({ text: `  +${ordered.length - shown.length} more`, tone: 'muted' });
  }
  while (lines.length < DRAIN_PLAN_LINES + 1) lines.push({ text: '' });
  const notes = plan.status === 'ready' ? plan.value.notes.join('; ') : '';
  return (
    <>
      {lines.map((line, index) => (
        <Line key={index}>
          <Styled tone={line.tone}>{clip(line.text, width, theme.ellipsis)}</Styled>
        </Line>
      ))}
      <FieldLine label="Local disks" value={choice(LOCAL_DISKS, dialog.withLocalDisks ? 1 : 0, theme.ascii)} focused width={width} />
      <Line>
        <Styled tone="muted">{clip(notes, width, theme.ellipsis)}</Styled>
      </Line>
    </>
  );
}
