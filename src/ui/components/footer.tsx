/**
 * The footer: the tally of the current scope (of the filtered rows while a filter is on), then one
 * status line: the filter being typed, else the newest message, else key hints from the keymap.
 */
import { Box } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useBoard, useTasks, useTick, useUi } from '../context.js';
import { clip, tallyParts, textWidth } from '../format.js';
import { hintsFor, keyLabel } from '../keymap.js';
import { Line, Styled } from './styled.js';

/** How long a message stays on the status line. */
export const MESSAGE_MS = 10_000;

export function Footer({ width }: { width: number }) {
  return (
    <Box flexDirection="column" height={2}>
      <TallyLine width={width} />
      <StatusLine width={width} />
    </Box>
  );
}

function TallyLine({ width }: { width: number }) {
  const { theme, listTasks } = useBoard();
  const scope = useUi((s) => s.scope);
  const filter = useUi((s) => (s.view === 'guests' ? '' : s.tasks.filter));
  const stored = useTasks(useShallow((s) => s.tallies[scope]));
  const filtered = useTasks((s) => listTasks(s, scope, filter).tally);
  const tally = filtered ?? stored;
  // The view bar names the scope; here only whether the counts are of the filtered rows.
  const label = filtered ? 'filtered: ' : '';
  let used = textWidth(label);
  return (
    <Line>
      <Styled tone="muted">{label}</Styled>
      {tallyParts(tally).map((part, i) => {
        const text = `${i ? theme.separator : ''}${part.label} ${part.count}`;
        used += textWidth(text);
        if (used > width) return null;
        return (
          <Styled key={part.state} tone={part.count > 0 ? part.state : 'muted'}>
            {text}
          </Styled>
        );
      })}
    </Line>
  );
}

function StatusLine({ width }: { width: number }) {
  const { theme, readOnly } = useBoard();
  const editing = useUi((s) => s.filterEditing);
  const view = useUi((s) => s.view);
  const filter = useUi((s) => (s.view === 'guests' ? s.guests.filter : s.tasks.filter));
  const message = useTasks((s) => s.message);
  const fresh = useTick((t) => message !== undefined && t.now - message.at < MESSAGE_MS);

  if (editing) {
    return (
      <Line>
        <Styled tone="accent" bold>
          /
        </Styled>
        {clip(`${filter}_`, width - 30, theme.ellipsis)}
        <Styled tone="muted">{`   ${keyLabel('keepFilter')}: keep  ${keyLabel('clearFilter')}: clear`}</Styled>
      </Line>
    );
  }
  if (message && fresh) {
    return (
      <Line>
        <Styled tone={message.level === 'error' ? 'error' : 'accent'}>
          {clip(`${message.level === 'error' ? '! ' : ''}${message.text}`, width, theme.ellipsis)}
        </Styled>
      </Line>
    );
  }
  const hints = hintsFor(view, readOnly, theme.ascii);
  if (readOnly) hints.push('READ-ONLY');
  return (
    <Line>
      <Styled tone="muted">{clip(hints.join('  '), width, theme.ellipsis)}</Styled>
    </Line>
  );
}
