/**
 * The line under the header: which view and scope, marks, the launch queue's state while there is a
 * queue, the sort, "problems only", and the filter with "N of M". What does not fit goes, the least
 * useful first: the key reminders, then the queue's limits, the sort, the queue.
 */
import type { QueueStatus } from '../../tasks/store.js';
import { useBoard, useTasks, useUi } from '../context.js';
import { fit, plural, textWidth } from '../format.js';
import { keyLabel } from '../keymap.js';
import { Line, Styled } from './styled.js';

/** The queue in words, long and short: `queue PAUSED: 12 waiting, 4 at once, 2 per node`. */
export function queueText(queue: QueueStatus, waiting: number): [long: string, short: string] | undefined {
  if (!queue.paused && waiting === 0) return undefined;
  const head = `queue${queue.paused ? ' PAUSED' : ''}: ${waiting} waiting`;
  return [`${head}, ${queue.parallel} at once, ${queue.perNode} per node`, head];
}

export function ViewBar({ width }: { width: number }) {
  const { theme, listTasks, listGuests } = useBoard();
  const view = useUi((s) => s.view);
  const scope = useUi((s) => s.scope);
  const taskFilter = useUi((s) => s.tasks.filter);
  const sort = useUi((s) => s.tasks.sort);
  const problems = useUi((s) => s.tasks.problems);
  const guestFilter = useUi((s) => s.guests.filter);
  const marks = useUi((s) => s.guests.marks);
  const tasks = useTasks((s) => listTasks(s, scope, taskFilter, { sort, problems }));
  const guests = useTasks((s) => listGuests(s, guestFilter));
  const queue = useTasks((s) => s.queue);
  const waiting = useTasks((s) => s.tallies.mine.queued);

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
      : { current: '[Guests]', rest: `  Tasks: ${scope}` };
  const filter = view === 'tasks' ? taskFilter : guestFilter;
  const shown = view === 'tasks' ? tasks.keys.length : guests.vmids.length;
  const total = view === 'tasks' ? tasks.total : guests.total;
  const narrowed = filter !== '' || (view === 'tasks' && problems);
  const count = narrowed ? `${shown} of ${total}` : view === 'tasks' ? plural(total, 'task') : plural(total, 'guest');
  const filterText = [view === 'tasks' && problems ? 'problems only' : '', filter ? `filter "${filter}"` : ''].filter(Boolean).join(', ');
  // The marks are what s, b and n act on: they stay whatever else goes.
  const marked = view === 'guests' && markCount ? `${markCount} marked  ` : '';
  const must = `${marked}${filterText ? `${filterText}: ${count}` : count}`;
  const queueWords = queueText(queue, waiting);
  // By what they are worth: the queue (short), the sort; then the queue's limits if there is room.
  const room = width - textWidth(left.current) - textWidth(must) - 2;
  const widthOf = (parts: ReadonlyArray<{ text: string }>) => parts.reduce((sum, part) => sum + textWidth(part.text) + 2, 0);
  const chosen: Array<{ text: string; tone?: 'warn' }> = [];
  const queueTone = queue.paused ? { tone: 'warn' as const } : {};
  if (queueWords && widthOf([{ text: queueWords[1] }]) <= room) chosen.push({ text: queueWords[1], ...queueTone });
  const sortWord = view === 'tasks' && sort !== 'start' ? `sort: ${sort}` : '';
  if (sortWord && widthOf([...chosen, { text: sortWord }]) <= room) chosen.push({ text: sortWord });
  if (queueWords && chosen[0]?.text === queueWords[1] && widthOf(chosen) - textWidth(queueWords[1]) + textWidth(queueWords[0]) <= room) {
    chosen[0] = { text: queueWords[0], ...queueTone };
  }
  const right = [...chosen.map((part) => part.text), must].join('  ');
  const restRoom = Math.max(0, width - textWidth(left.current) - textWidth(right) - 2);
  return (
    <Line>
      <Styled tone="heading" bold>
        {left.current}
      </Styled>
      <Styled tone="muted">{fit(left.rest, restRoom, theme.ellipsis)}</Styled>
      {chosen.map((part) => (
        <Styled key={part.text} tone={part.tone}>{`  ${part.text}`}</Styled>
      ))}
      {`  ${must}`}
    </Line>
  );
}
