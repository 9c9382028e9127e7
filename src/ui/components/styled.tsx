/** Text in a tone of the theme: coloured (and bold, when asked) only while colour is on. */
import { Text } from 'ink';
import type { ReactNode } from 'react';
import { useTheme } from '../context.js';
import type { Tone } from '../theme.js';

export function Styled({ tone, bold, children }: { tone?: Tone; bold?: boolean; children: ReactNode }) {
  const theme = useTheme();
  if (!theme.color) return <Text>{children}</Text>;
  return (
    <Text color={tone ? theme.colorOf(tone) : undefined} bold={bold}>
      {children}
    </Text>
  );
}

/** One line of the frame: never wraps, so the frame keeps its height whatever the text. */
export function Line({ children, inverse }: { children?: ReactNode; inverse?: boolean }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate-end" inverse={theme.color && inverse}>
      {children ?? ' '}
    </Text>
  );
}
