/**
 * The detail view of one task: its UPID fields, status, outcome, progress, a backup job's guests, and
 * the log tail. Long lines wrap (`w`) or scroll sideways (`←`/`→`); detail-text.ts fits them.
 */
import { Box } from 'ink';
import { clusterStateOf } from '../../tasks/cluster-view.js';
import { useBoard, useTasks, useTick, useUi } from '../context.js';
import { clip, cutColumns, fit, textWidth } from '../format.js';
import { keyLabel } from '../keymap.js';
import { guestDetail, type GuestBlock, type GuestEntry } from '../detail-guests.js';
import { detailLayout, logHeading, type ScreenLine } from '../detail-text.js';
import type { Theme } from '../theme.js';
import { Line, Styled } from './styled.js';

export function DetailView({ width, height }: { width: number; height: number }) {
  const { theme } = useBoard();
  const detail = useUi((s) => s.detail);
  const row = useTasks((s) => (detail ? s.row(detail.key) : undefined));
  // A backup job's guests by VMID: its own cluster's (one cluster: the store's).
  const guests = useTasks((s) => (detail ? clusterStateOf(s, detail.key).state.guests : s.guests));
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
  const layout = detailLayout(row, { guests, focusLog }, detail, { width, height, now }, theme);
  const shown = layout.log.lines.slice(layout.top, layout.top + layout.logHeight);
  return (
    <Box flexDirection="column" height={height}>
      {layout.fields.map((line, i) => (
        <FieldLine key={i} line={line} />
      ))}
      {layout.block.height > 0 ? <GuestLines block={layout.block} width={width} left={detail.wrap ? 0 : detail.left} /> : null}
      <Line>
        <Styled tone="heading" bold>
          {clip(logHeading(layout, detail, theme, width), width, theme.ellipsis)}
        </Styled>
      </Line>
      {shown.map((text, i) => (
        <Line key={layout.top + i}>{detail.wrap ? text : cutColumns(text, detail.left, width, theme.ellipsis)}</Line>
      ))}
    </Box>
  );
}

function FieldLine({ line }: { line: ScreenLine }) {
  return (
    <Line>
      <Styled tone={line.headTone}>{line.head}</Styled>
      <Styled tone={line.tone} bold={line.bold}>
        {line.text}
      </Styled>
    </Line>
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
function GuestLines({ block, width, left }: { block: GuestBlock; width: number; left: number }) {
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
        const detail = guestDetail(entry, theme.ellipsis);
        return (
          <Line key={entry.vmid}>
            {head}
            <Styled tone={tone}>{word}</Styled>
            {/* The guest's own time and reason; longer than its room, it scrolls with the log (←/→). */}
            {detail ? ` ${textWidth(detail) <= rest ? detail : cutColumns(detail, left, rest, theme.ellipsis)}` : ''}
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
