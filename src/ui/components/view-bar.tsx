/** The line under the header: which view and scope, marks, and the filter with "N of M". */
import { useBoard, useTasks, useUi } from '../context.js';
import { fit, plural, textWidth } from '../format.js';
import { keyLabel } from '../keymap.js';
import { Line, Styled } from './styled.js';

export function ViewBar({ width }: { width: number }) {
  const { theme, listTasks, listGuests } = useBoard();
  const view = useUi((s) => s.view);
  const scope = useUi((s) => s.scope);
  const taskFilter = useUi((s) => s.tasks.filter);
  const guestFilter = useUi((s) => s.guests.filter);
  const marks = useUi((s) => s.guests.marks);
  const tasks = useTasks((s) => listTasks(s, scope, taskFilter));
  const guests = useTasks((s) => listGuests(s, guestFilter));

  if (view === 'detail') {
    return (
      <Line>
        <Styled tone="heading" bold>
          [Task detail]
        </Styled>
        <Styled tone="muted">{` ${keyLabel('back')}: back to the list`}</Styled>
      </Line>
    );
  }
  const markCount = Object.keys(marks).length;
  const left =
    view === 'tasks'
      ? {
          current: `[Tasks: ${scope}]`,
          rest: `  ${keyLabel('scope')}: ${scope === 'mine' ? 'cluster' : 'mine'}   ${keyLabel('switchView')}: Guests`,
        }
      : { current: '[Guests]', rest: `  Tasks: ${scope}${markCount ? `   ${markCount} marked` : ''}` };
  const filter = view === 'tasks' ? taskFilter : guestFilter;
  const shown = view === 'tasks' ? tasks.keys.length : guests.vmids.length;
  const total = view === 'tasks' ? tasks.total : guests.total;
  const right = filter ? `filter "${filter}": ${shown} of ${total}` : view === 'tasks' ? plural(total, 'task') : plural(total, 'guest');
  const room = Math.max(0, width - textWidth(left.current) - textWidth(right) - 2);
  return (
    <Line>
      <Styled tone="heading" bold>
        {left.current}
      </Styled>
      <Styled tone="muted">{fit(left.rest, room, theme.ellipsis)}</Styled>
      {`  ${right}`}
    </Line>
  );
}
