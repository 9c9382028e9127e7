/** The detail view of one task: its UPID fields, status, outcome, progress, and the log tail. */
import { Box } from 'ink';
import type { TaskRow } from '../../tasks/store.js';
import { formatElapsed } from '../../util/duration.js';
import { useBoard, useTasks, useTick, useUi } from '../context.js';
import { STATE_WORDS, clip, elapsedText, fit, formatDateTime, outcomeText, progressText, textWidth } from '../format.js';
import { logLines, logTop } from '../visible.js';
import { keyLabel } from '../keymap.js';
import { jobResults, progressDetails } from '../progress-text.js';
import { DETAIL_FIELD_LINES } from '../layout.js';
import { guestBlock, guestDetail, type GuestBlock, type GuestEntry } from '../detail-guests.js';
import { detailTitle } from '../other-window.js';
import type { Theme } from '../theme.js';
import { Line, Styled } from './styled.js';

export function DetailView({ width, height }: { width: number; height: number }) {
  const { theme } = useBoard();
  const detail = useUi((s) => s.detail);
  const row = useTasks((s) => (detail ? s.row(detail.key) : undefined));
  const lines = useTasks((s) => logLines(s, detail?.key));
  const guests = useTasks((s) => s.guests);
  const focusLog = useTasks((s) => s.focusLog);
  const now = useTick((t) => t.now);
  if (!detail) return null;
  if (!row) {
    return (
      <Line>
        <Styled tone="muted">{` This task is no longer listed. ${keyLabel('back')} goes back.`}</Styled>
      </Line>
    );
  }
  const block = guestBlock(row, { guests, focusLog }, height);
  const logHeight = Math.max(0, height - DETAIL_FIELD_LINES - block.height);
  const top = logTop(lines.length, logHeight, detail);
  const shown = lines.slice(top, top + logHeight);
  const following = detail.follow
    ? `following (${keyLabel('follow')} stops)`
    : `not following (${keyLabel('follow')} or ${keyLabel('bottom')} follows)`;
  const range = lines.length ? `lines ${top + 1}-${top + shown.length} of ${lines.length}` : 'no lines yet';
  const w = width;
  return (
    <Box flexDirection="column" height={height}>
      <Line>
        <Styled tone={row.state}>{theme.glyph[row.state]}</Styled>
        <Styled bold>{` ${clip(detailTitle(row), w - 2, theme.ellipsis)}`}</Styled>
      </Line>
      <Field label="UPID" width={w}>
        {row.upid ?? (row.sentAt !== undefined ? `(sent ${formatDateTime(row.sentAt)}, waiting for PVE's answer)` : '(not sent yet)')}
      </Field>
      <Field label="Task" width={w}>
        {`node ${row.node}${theme.separator}type ${row.type}${theme.separator}id ${row.taskId || '-'}${theme.separator}user ${row.user ?? '-'}`}
      </Field>
      <Field label="Time" width={w}>
        {timeLine(row, now, theme.separator)}
      </Field>
      <Line>
        <Styled tone="muted">{fit('Status', 9, theme.ellipsis)}</Styled>
        <Styled tone={row.state}>{`${theme.glyph[row.state]} ${STATE_WORDS[row.state]}`}</Styled>
        <Styled tone={row.state}>{clip(outcomeLine(row, now), Math.max(0, w - 20), theme.ellipsis)}</Styled>
      </Line>
      <Field label="Progress" width={w}>
        {[progressText(row.progress?.percent, Math.min(40, w - 10), theme), progressDetails(row.progress, theme.separator)]
          .filter(Boolean)
          .join('  ') || 'not reported'}
      </Field>
      {block.height > 0 ? <GuestLines block={block} width={w} /> : null}
      <Line>
        <Styled tone="heading" bold>
          {clip(`Log${theme.separator}${following}${theme.separator}${range}`, w, theme.ellipsis)}
        </Styled>
      </Line>
      {shown.map((text, i) => (
        <Line key={top + i}>{clip(text, w, theme.ellipsis)}</Line>
      ))}
    </Box>
  );
}

const GUEST_WORDS: Record<GuestEntry['outcome'], string> = {
  ok: 'ok',
  warnings: 'warnings',
  failed: 'failed',
  unknown: 'unknown',
  running: 'running',
  waiting: 'waiting',
};

function guestGlyph(outcome: GuestEntry['outcome'], theme: Theme): string {
  return outcome === 'waiting' ? theme.glyph.queued : theme.glyph[outcome];
}

/** The guests of a backup job: a heading with the counts, then one line per guest (its outcome and PVE's reason). */
function GuestLines({ block, width }: { block: GuestBlock; width: number }) {
  const theme = useBoard().theme;
  const counts = new Map<GuestEntry['outcome'], number>();
  for (const entry of block.entries) counts.set(entry.outcome, (counts.get(entry.outcome) ?? 0) + 1);
  const order: GuestEntry['outcome'][] = ['ok', 'warnings', 'failed', 'unknown', 'running', 'waiting'];
  const summary = order
    .filter((outcome) => counts.has(outcome))
    .map((outcome) => `${counts.get(outcome)} ${GUEST_WORDS[outcome]}`)
    .join(', ');
  const shown = block.entries.slice(0, block.shown);
  const hidden = block.entries.slice(block.shown);
  const nameWidth = Math.min(16, Math.max(4, ...shown.map((entry) => textWidth(entry.name ?? ''))));
  return (
    <>
      <Line>
        <Styled tone="muted">{fit('Guests', 9, theme.ellipsis)}</Styled>
        {clip(`${block.entries.length}: ${summary}`, Math.max(0, width - 9), theme.ellipsis)}
      </Line>
      {shown.map((entry) => {
        const tone = entry.outcome === 'waiting' ? 'muted' : entry.outcome;
        const head = `  ${String(entry.vmid).padStart(5)} ${fit(entry.name ?? '', nameWidth, theme.ellipsis)} `;
        const word = `${guestGlyph(entry.outcome, theme)} ${fit(GUEST_WORDS[entry.outcome], 9, theme.ellipsis)}`;
        const rest = Math.max(0, width - textWidth(head) - textWidth(word) - 1);
        return (
          <Line key={entry.vmid}>
            {head}
            <Styled tone={tone}>{word}</Styled>
            {guestDetail(entry, theme.ellipsis) ? ` ${clip(guestDetail(entry, theme.ellipsis), rest, theme.ellipsis)}` : ''}
          </Line>
        );
      })}
      {hidden.length > 0 ? (
        <Line>
          <Styled tone="muted">
            {clip(
              `  +${hidden.length} more: ${hidden.map((entry) => `${entry.vmid} ${GUEST_WORDS[entry.outcome]}`).join(', ')}`,
              width,
              theme.ellipsis,
            )}
          </Styled>
        </Line>
      ) : null}
    </>
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

/** PVE's exit status, then (for a backup job) how its guests fared, then a reason of ours. */
function outcomeLine(row: TaskRow, now: number): string {
  const guests = jobResults(row);
  const outcome = guests && row.exitStatus ? row.exitStatus : outcomeText(row, now);
  const parts = [
    outcome,
    guests && guests !== outcome ? guests : '',
    row.message && !outcome.includes(row.message) ? row.message : '',
  ].filter(Boolean);
  return parts.length ? `  ${parts.join('; ')}` : '';
}

function timeLine(row: TaskRow, now: number, separator: string): string {
  const parts = [row.startedAt !== undefined ? `started ${formatDateTime(row.startedAt)}` : `seen ${formatDateTime(row.firstSeenAt)}`];
  const elapsed = elapsedText(row, now);
  if (elapsed) parts.push(row.endedAt !== undefined ? `took ${elapsed}` : `running for ${elapsed}`);
  if (row.deadline !== undefined && row.endedAt === undefined && row.state !== 'timeout') {
    parts.push(row.deadline > now ? `times out in ${formatElapsed(row.deadline - now)}` : 'deadline passed');
  }
  return parts.join(separator);
}
