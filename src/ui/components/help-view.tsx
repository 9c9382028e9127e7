/** The `?` overlay: the keymap for the current view, then the dialog and filter keys. */
import { Box } from 'ink';
import { useBoard, useUi } from '../context.js';
import { clip, fit } from '../format.js';
import { bindingOf, bindingsFor, keyLabel, keysLabel, type KeyContext } from '../keymap.js';
import type { View } from '../ui-state.js';
import { Line, Styled } from './styled.js';

interface HelpLine {
  text: string;
  heading?: boolean;
  off?: boolean;
}

const VIEW_NAMES: Record<View, string> = { tasks: 'Tasks view', guests: 'Guests view', detail: 'Task detail' };

export function helpLines(view: View, readOnly: boolean, ascii: boolean): HelpLine[] {
  const lines: HelpLine[] = [];
  const section = (title: string, context: KeyContext) => {
    lines.push({ text: title, heading: true });
    for (const binding of bindingsFor(context)) {
      if (binding.command === 'interrupt' && context !== view) continue;
      const off = readOnly && binding.action === true;
      const description = off ? `${binding.description} (off)` : binding.description;
      lines.push({ text: `  ${fit(keysLabel(binding, ascii), 16, '~')} ${description}`, off });
    }
  };
  section(`Keys: ${VIEW_NAMES[view]}${readOnly ? ' (read-only: actions are off)' : ''}`, view);
  section('In a dialog', 'dialog');
  section('In the filter (/)', 'filter');
  return lines;
}

export function HelpView({ width, height }: { width: number; height: number }) {
  const { theme, readOnly } = useBoard();
  const view = useUi((s) => s.view);
  const wanted = useUi((s) => s.help?.top ?? 0);
  const lines = helpLines(view, readOnly, theme.ascii);
  const room = Math.max(0, height - 1);
  const top = Math.max(0, Math.min(wanted, lines.length - room));
  const scroll = `${keyLabel('down', { letter: true })}/${keyLabel('up', { letter: true })} scroll`;
  const more = lines.length > room ? ` (${top + 1}-${Math.min(lines.length, top + room)} of ${lines.length}, ${scroll})` : '';
  return (
    <Box flexDirection="column" height={height}>
      <Line>
        <Styled tone="muted">
          {clip(`${keysLabel(bindingOf('closeHelp'), theme.ascii)} closes the help${more}`, width, theme.ellipsis)}
        </Styled>
      </Line>
      {lines.slice(top, top + room).map((line, i) => (
        <Line key={top + i}>
          <Styled tone={line.heading ? 'heading' : line.off ? 'muted' : undefined} bold={line.heading}>
            {clip(line.text, width, theme.ellipsis)}
          </Styled>
        </Line>
      ))}
    </Box>
  );
}
