/**
 * The lines every dialog form is built of: a field (`> Label:  value`), a choice among fixed values,
 * and the line naming the guests a dialog acts on. Shared by the launch and maintenance dialogs.
 */
import type { Guest } from '../../tasks/store.js';
import { useBoard, useTasks } from '../context.js';
import { clip, fit, listTargets, textWidth } from '../format.js';
import { Line, Styled } from './styled.js';

/** One form field: `> Label:  value`, the focused one marked with `>`. */
export function FieldLine({
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

/** `‹ value ›   (all, the, values)`: the chosen one of fixed values, and what there is to choose from. */
export function choice(values: readonly string[], index: number, ascii: boolean): string {
  const [left, right] = ascii ? ['<', '>'] : ['‹', '›'];
  return `${left} ${values[index] ?? ''} ${right}   (${values.join(', ')})`;
}

const NO_GUESTS: readonly Guest[] = [];

/** The guests a dialog acts on, as many as fit on one line (a guest not in the store yet by its VMID). */
export function TargetsLine({ vmids, width }: { vmids: readonly number[]; width: number }) {
  const theme = useBoard().theme;
  const guests = useTasks((s) => s.guests);
  const list = vmids.map((vmid) => guests[vmid] ?? { vmid, node: '?', type: 'qemu' as const, status: '', template: false });
  return (
    <Line>
      <Styled tone="accent">{listTargets(list.length ? list : NO_GUESTS, width, theme.ellipsis)}</Styled>
    </Line>
  );
}
