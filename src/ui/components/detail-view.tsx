/** The detail view of one task: its UPID fields, status, outcome, progress, and the log tail. */
import { Box } from 'ink';
import type { TaskRow } from '../../tasks/store.js';
import { formatElapsed } from '../../util/duration.js';
import { useBoard, useTasks, useTick, useUi } from '../context.js';
import { STATE_WORDS, clip, elapsedText, fit, formatDateTime, outcomeText, progressText, taskTitle } from '../format.js';
import { logLines, logTop } from '../visible.js';
import { DETAIL_FIELD_LINES } from '../layout.js';
import { Line, Styled } from './styled.js';

export function DetailView({ width, height }: { width: number; height: number }) {
  const { theme } = useBoard();
  const detail = useUi((s) => s.detail);
  const row = useTasks((s) => (detail ? s.rows[detail.key] : undefined));
  const lines = useTasks((s) => logLines(s, detail?.key));
  const now = useTick((t) => t.now);
  if (!detail) return null;
  if (!row) {
    return (
      <Line>
        <Styled tone="muted">  This task is no longer listed. Esc goes back.</Styled>
      </Line>
    );
  }
  const logHeight = Math.max(0, height - DETAIL_FIELD_LINES);
  const top = logTop(lines.length, logHeight, detail);
  const shown = lines.slice(top, top + logHeight);
  const following = detail.follow ? 'following (f stops)' : 'not following (f or G follows)';
  const range = lines.length ? `lines ${top + 1}-${top + shown.length} of ${lines.length}` : 'no lines yet';
  const w = width;
  return (
    <Box flexDirection="column" height={height}>
      <Line>
        <Styled tone={row.state}>{theme.glyph[row.state]}</Styled>
        <Styled bold>{` ${clip(taskTitle(row), w - 2, theme.ellipsis)}`}</Styled>
      </Line>
      <Field label="UPID" width={w}>{row.upid ?? '(not started yet)'}</Field>
      <Field label="Task" width={w}>
        {`node ${row.node}${theme.separator}type ${row.type}${theme.separator}id ${row.taskId || '-'}${theme.separator}user ${row.user ?? '-'}`}
      </Field>
      <Field label="Time" width={w}>{timeLine(row, now, theme.separator)}</Field>
      <Line>
        <Styled tone="muted">{fit('Status', 9, theme.ellipsis)}</Styled>
        <Styled tone={row.state}>{`${theme.glyph[row.state]} ${STATE_WORDS[row.state]}`}</Styled>
        <Styled tone={row.state}>{clip(outcomeLine(row, now), Math.max(0, w - 20), theme.ellipsis)}</Styled>
      </Line>
      <Field label="Progress" width={w}>
        {progressText(row.progress?.percent, Math.min(40, w - 10), theme) || 'not reported'}
      </Field>
      <Line>
        <Styled tone="heading" bold>{clip(`Log${theme.separator}${following}${theme.separator}${range}`, w, theme.ellipsis)}</Styled>
      </Line>
      {shown.map((text, i) => (
        <Line key={top + i}>{clip(text, w, theme.ellipsis)}</Line>
      ))}
    </Box>
  );
}

function Field({ label, width, children }: { label: string; width: number; children: string }) {
  const theme = useBoard().theme;
  return (
    <Line>
      <Styled tone="muted">{fit(label, 9, theme.ellipsis)}</Styled>
      {clip(children, Math.max(0, width - 9), theme.ellipsis)}
    </Line>
  );
}

function outcomeLine(row: TaskRow, now: number): string {
  const outcome = outcomeText(row, now);
  const parts = [outcome, row.message && !outcome.includes(row.message) ? row.message : ''].filter(Boolean);
  return parts.length ? `  ${parts.join('; ')}` : '';
}

function timeLine(row: TaskRow, now: number, separator: string): string {
  const parts = [
    row.startedAt !== undefined ? `started ${formatDateTime(row.startedAt)}` : `seen ${formatDateTime(row.firstSeenAt)}`,
  ];
  const elapsed = elapsedText(row, now);
  if (elapsed) parts.push(row.endedAt !== undefined ? `took ${elapsed}` : `running for ${elapsed}`);
  if (row.deadline !== undefined && row.endedAt === undefined && row.state !== 'timeout') {
    parts.push(row.deadline > now ? `times out in ${formatElapsed(row.deadline - now)}` : 'deadline passed');
  }
  return parts.join(separator);
}
