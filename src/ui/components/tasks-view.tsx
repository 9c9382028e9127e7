/** The Tasks view: a window over the scope's rows (only the visible slice is rendered). */
import { Box } from 'ink';
import { useMemo } from 'react';
import { useBoard, useTasks, useUi } from '../context.js';
import { cursorIndex } from '../visible.js';
import { keyLabel } from '../keymap.js';
import { clusterColumnWidth, taskColumns, windowTop } from '../layout.js';
import { Line, Styled } from './styled.js';
import { ColumnHeading, TaskLine } from './task-line.js';

export function TasksView({ width, height }: { width: number; height: number }) {
  const { listTasks } = useBoard();
  const scope = useUi((s) => s.scope);
  const filter = useUi((s) => s.tasks.filter);
  const sort = useUi((s) => s.tasks.sort);
  const problems = useUi((s) => s.tasks.problems);
  const cursor = useUi((s) => s.tasks.cursor);
  const visible = useTasks((s) => listTasks(s, scope, filter, { sort, problems }));
  const clusterWidth = useTasks((s) => clusterColumnWidth(s.clusters?.map((part) => part.name)));
  const columns = useMemo(() => taskColumns(width, clusterWidth), [width, clusterWidth]);
  if (!columns) return null;

  const index = cursorIndex(visible.keys, cursor);
  const top = windowTop(visible.keys.length, index, height, cursor.top);
  const slice = visible.keys.slice(top, top + height);
  return (
    <Box flexDirection="column" height={height + 1}>
      <ColumnHeading columns={columns} />
      {slice.map((key, i) => (
        <TaskLine key={key} rowKey={key} selected={top + i === index} columns={columns} />
      ))}
      {slice.length === 0 && height > 0 ? <EmptyTasks filtered={filter !== ''} problems={problems} scope={scope} /> : null}
    </Box>
  );
}

function EmptyTasks({ filtered, problems, scope }: { filtered: boolean; problems: boolean; scope: string }) {
  const text = filtered
    ? `  No task matches the filter (${keyLabel('back')} clears it).`
    : problems
      ? `  No failed, timed-out or unknown task here (${keyLabel('problems')} shows them all).`
      : scope === 'mine'
        ? `  No task started here yet: ${keyLabel('switchView')} opens the guests to launch some; ${keyLabel('scope')} shows the whole cluster.`
        : '  No task in the cluster yet.';
  return (
    <Line>
      <Styled tone="muted">{text}</Styled>
    </Line>
  );
}
