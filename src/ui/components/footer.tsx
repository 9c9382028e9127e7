/**
 * The footer: the tally of the current scope (of the filtered rows while a filter is on), then one
 * status line: the filter being typed, else the newest message while it is fresh, else key hints from
 * the keymap.
 */
import { Box } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import type { Message } from '../../tasks/store.js';
import { useBoard, useTasks, useTick, useUi } from '../context.js';
import { clip, fitTally, textWidth, wrapColumns } from '../format.js';
import { hintsFor, keyLabel } from '../keymap.js';
import { Line, Styled } from './styled.js';

/** How long a message stays on the status line: an error a little longer than news. */
export const INFO_MESSAGE_MS = 5_000;
export const ERROR_MESSAGE_MS = 10_000;
/** The longest any message stays (the ticker ticks every second while one may show). */
export const MESSAGE_MS = ERROR_MESSAGE_MS;

/**
 * Whether `message` still shows at `now`: until it expires (on the shared clock), unless a dialog
 * opened after it (`hidden`: the message then on screen) or the next message replaced it.
 */
export function messageShows(message: Message | undefined, now: number, hidden: Message | undefined): boolean {
  if (!message || message === hidden) return false;
  return now - message.at < (message.level === 'error' ? ERROR_MESSAGE_MS : INFO_MESSAGE_MS);
}

export function Footer({ width }: { width: number }) {
  const { theme } = useBoard();
  const hidden = useUi((s) => s.hiddenMessage);
  const editing = useUi((s) => s.filterEditing);
  const message = useTasks((s) => s.message);
  const fresh = useTick((t) => messageShows(message, t.now, hidden));
  // A fresh message too long for one line (a saved log's path) takes the tally's line while it shows,
  // rather than end in an ellipsis; the tally is back when the message goes.
  if (message && fresh && !editing) {
    const text = `${message.level === 'error' ? '! ' : ''}${message.text}`;
    if (textWidth(text) > width) {
      const [first = '', ...rest] = wrapColumns(text, width);
      return (
        <Box flexDirection="column" height={2}>
          <Line>
            <Styled tone={message.level === 'error' ? 'error' : 'accent'}>{first}</Styled>
          </Line>
          <Line>
            <Styled tone={message.level === 'error' ? 'error' : 'accent'}>{clip(rest.join(''), width, theme.ellipsis)}</Styled>
          </Line>
        </Box>
      );
    }
  }
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
  const sort = useUi((s) => s.tasks.sort);
  const problems = useUi((s) => s.view !== 'guests' && s.tasks.problems);
  const stored = useTasks(useShallow((s) => s.tallies[scope]));
  const filtered = useTasks((s) => listTasks(s, scope, filter, { sort, problems }).tally);
  const tally = filtered ?? stored;
  // The view bar names the scope; here only whether the counts are of the filtered rows.
  const label = filtered ? 'filtered: ' : '';
  return (
    <Line>
      <Styled tone="muted">{label}</Styled>
      {fitTally(tally, width, label, theme.separator).map((part, i) => (
        <Styled key={part.state} tone={part.count > 0 ? part.state : 'muted'}>
          {`${i ? theme.separator : ''}${part.label} ${part.count}`}
        </Styled>
      ))}
    </Line>
  );
}

function StatusLine({ width }: { width: number }) {
  const { theme, readOnly } = useBoard();
  const editing = useUi((s) => s.filterEditing);
  const replacing = useUi((s) => s.filterFresh);
  const view = useUi((s) => s.view);
  const filter = useUi((s) => (s.view === 'guests' ? s.guests.filter : s.tasks.filter));
  const hidden = useUi((s) => s.hiddenMessage);
  const message = useTasks((s) => s.message);
  const fresh = useTick((t) => messageShows(message, t.now, hidden));

  if (editing) {
    const keys = `   ${keyLabel('keepFilter')}: keep  ${keyLabel('clearFilter')}: clear`;
    // A new filter: the old one shows, dimmed and said in words, until the first key replaces it.
    const text = replacing ? `${filter}   (typing replaces it)` : `${filter}_`;
    return (
      <Line>
        <Styled tone="accent" bold>
          /
        </Styled>
        <Styled tone={replacing ? 'muted' : undefined}>{clip(text, Math.max(1, width - 1 - textWidth(keys)), theme.ellipsis)}</Styled>
        <Styled tone="muted">{keys}</Styled>
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
  // Whole hints only: the last ones go first when the line is too narrow (READ-ONLY stays).
  const tail = readOnly ? '  READ-ONLY' : '';
  while (hints.length > 1 && textWidth(hints.join('  ') + tail) > width) hints.pop();
  return (
    <Line>
      <Styled tone="muted">{clip(hints.join('  ') + tail, width, theme.ellipsis)}</Styled>
    </Line>
  );
}
