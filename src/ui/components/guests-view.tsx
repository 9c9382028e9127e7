/** The Guests view: a window over the cluster's guests, with marks for bulk actions. */
import { Box } from 'ink';
import { memo, useMemo } from 'react';
import type { Guest } from '../../tasks/store.js';
import { useBoard, useTasks, useUi } from '../context.js';
import { fit } from '../format.js';
import { keyLabel } from '../keymap.js';
import { cursorIndex } from '../visible.js';
import { guestColumns, windowTop, type Column, type GuestColumnId } from '../layout.js';
import type { Theme, Tone } from '../theme.js';
import { Line, Styled } from './styled.js';
import { ColumnHeading } from './task-line.js';

function statusTone(status: string): Tone | undefined {
  if (status === 'running') return 'ok';
  if (status === 'stopped') return 'muted';
  return 'warn';
}

function cellOf(id: GuestColumnId, guest: Guest, marked: boolean, theme: Theme): { text: string; tone?: Tone } {
  switch (id) {
    case 'mark':
      return { text: marked ? theme.mark : ' ', tone: 'marked' };
    case 'vmid':
      return { text: String(guest.vmid) };
    case 'name':
      return { text: guest.name ?? '' };
    case 'node':
      return { text: guest.node };
    case 'type':
      return { text: guest.template ? `${guest.type} tpl` : guest.type, tone: guest.template ? 'muted' : undefined };
    case 'status':
      return { text: guest.lock ? `${guest.status} (${guest.lock})` : guest.status, tone: statusTone(guest.status) };
    case 'ha':
      return { text: guest.hastate ?? '' };
    case 'tags':
      return { text: (guest.tags ?? '').replace(/[;,]/g, ' '), tone: 'muted' };
  }
}

interface GuestLineProps {
  vmid: number;
  selected: boolean;
  columns: readonly Column<GuestColumnId>[];
}

const GuestLine = memo(function GuestLine({ vmid, selected, columns }: GuestLineProps) {
  const { theme, onRowRender } = useBoard();
  onRowRender?.(vmid);
  const guest = useTasks((s) => s.guests[vmid]);
  const marked = useUi((s) => s.guests.marks[vmid] === true);
  if (!guest) return <Line />;
  return (
    <Line inverse={selected}>
      {selected ? `${theme.cursor} ` : '  '}
      {columns.map((column, i) => {
        const cell = cellOf(column.id, guest, marked, theme);
        const text = fit(cell.text, column.width, theme.ellipsis, column.align);
        return (
          <Styled key={column.id} tone={cell.tone}>
            {i === 0 ? text : ` ${text}`}
          </Styled>
        );
      })}
    </Line>
  );
});

export function GuestsView({ width, height }: { width: number; height: number }) {
  const { listGuests } = useBoard();
  const filter = useUi((s) => s.guests.filter);
  const cursor = useUi((s) => s.guests.cursor);
  const visible = useTasks((s) => listGuests(s, filter));
  const columns = useMemo(() => guestColumns(width), [width]);
  if (!columns) return null;

  const index = cursorIndex(visible.vmids, cursor);
  const top = windowTop(visible.vmids.length, index, height, cursor.top);
  const slice = visible.vmids.slice(top, top + height);
  return (
    <Box flexDirection="column" height={height + 1}>
      <ColumnHeading columns={columns} />
      {slice.map((vmid, i) => (
        <GuestLine key={vmid} vmid={vmid} selected={top + i === index} columns={columns} />
      ))}
      {slice.length === 0 && height > 0 ? (
        <Line>
          <Styled tone="muted">{filter ? `  No guest matches the filter (${keyLabel('back')} clears it).` : '  No guest seen yet.'}</Styled>
        </Line>
      ) : null}
    </Box>
  );
}
