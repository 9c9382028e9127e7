/**
 * One task row. Memoised, and it selects its own row from the store by key, so an update of one task
 * re-renders that row only; its time comes from the shared ticker at the granularity it shows.
 */
import { Box } from 'ink';
import { memo } from 'react';
import { clusterOfKey, clusterOffline } from '../../tasks/cluster-view.js';
import type { TaskRow } from '../../tasks/store.js';
import { useBoard, useTasks, useTick } from '../context.js';
import { elapsedText, fit, formatClock, outcomeText, progressText } from '../format.js';
import { markedTitle } from '../other-window.js';
import { rateAndEta } from '../progress-text.js';
import type { Column, TaskColumnId } from '../layout.js';
import type { Theme, Tone } from '../theme.js';
import { rowTime } from '../ticker.js';
import { Line, Styled } from './styled.js';

interface Cell {
  text: string;
  tone?: Tone;
}

/** The CLUSTER cell: `!bravo` while that cluster cannot be reached (its rows are as they were). */
export function clusterCell(name: string | undefined, offline: boolean): Cell {
  return offline ? { text: `!${name ?? ''}`, tone: 'error' } : { text: name ?? '', tone: 'muted' };
}

function cellOf(id: TaskColumnId, row: TaskRow, now: number, width: number, theme: Theme, progressShown: boolean, offline: boolean): Cell {
  switch (id) {
    case 'glyph':
      return { text: theme.glyph[row.state], tone: row.state };
    case 'cluster':
      return clusterCell(clusterOfKey(row.key), offline);
    case 'title':
      return { text: markedTitle(row) };
    case 'node':
      return { text: row.node, tone: row.pollError ? 'error' : undefined };
    case 'user':
      return { text: row.user ?? '', tone: 'muted' };
    case 'start':
      return { text: row.startedAt !== undefined ? formatClock(row.startedAt) : '', tone: 'muted' };
    case 'elapsed':
      return { text: elapsedText(row, now) };
    case 'progress':
      return { text: progressText(row.progress?.percent, width, theme), tone: 'accent' };
    case 'outcome': {
      const text = outcomeText(row, now);
      if (!text && row.state === 'running') {
        // A running task's cell says how fast and how long still (a backup's log gives both), after the
        // bar when the progress column was dropped for width.
        const speed = rateAndEta(row.progress);
        const percent = row.progress?.percent;
        // Without the bar's column: the bar, or (when the cell also holds the speed) the percentage alone.
        const bar =
          progressShown || percent === undefined
            ? ''
            : speed
              ? `${Math.floor(percent)}%`
              : progressText(percent, Math.min(width, 16), theme);
        return { text: [bar, speed].filter(Boolean).join(' '), tone: 'accent' };
      }
      return { text, tone: row.pollError && row.state === 'running' ? 'error' : row.state };
    }
  }
}

export interface TaskLineProps {
  rowKey: string;
  selected: boolean;
  columns: readonly Column<TaskColumnId>[];
}

export const TaskLine = memo(function TaskLine({ rowKey, selected, columns }: TaskLineProps) {
  const { theme, onRowRender } = useBoard();
  onRowRender?.(rowKey);
  const row = useTasks((state) => state.row(rowKey));
  // Over several clusters: whether this row's cluster is offline (a stable boolean; false at once for one cluster).
  const offline = useTasks((state) => clusterOffline(state, clusterOfKey(rowKey)));
  const now = useTick((tick) => rowTime(row, tick.now));
  if (!row) return <Line />;
  const progressShown = columns.some((column) => column.id === 'progress');
  const last = columns.length - 1;
  const cells = columns.map((column, i) => {
    const cell = cellOf(column.id, row, now, column.width, theme, progressShown, offline);
    const padded = fit(cell.text, column.width, theme.ellipsis, column.align);
    // Ink re-reads every character on screen each frame: no padding after the last column, except on
    // the cursor row, whose highlight spans the row.
    const text = i === last && !selected ? padded.trimEnd() : padded;
    return (
      <Styled key={column.id} tone={cell.tone}>
        {i === 0 ? text : ` ${text}`}
      </Styled>
    );
  });
  // The marker and the state glyph are a text of their own: Ink measures each text's width on every
  // frame, and one non-ASCII glyph sends the whole line down string-width's slow path (segmenting
  // every character); the rest of the row is usually plain ASCII and measured at once.
  return (
    <Box height={1}>
      <Line inverse={selected}>
        {selected ? `${theme.cursor} ` : '  '}
        {cells[0]}
      </Line>
      <Line inverse={selected}>{cells.slice(1)}</Line>
    </Box>
  );
});

/** Column titles above a list. */
export function ColumnHeading({ columns }: { columns: readonly Column<string>[] }) {
  const theme = useBoard().theme;
  const text = columns.map((column) => fit(column.title, column.width, theme.ellipsis, column.align)).join(' ');
  return (
    <Line>
      <Styled tone="heading" bold>
        {`  ${text}`}
      </Styled>
    </Line>
  );
}
