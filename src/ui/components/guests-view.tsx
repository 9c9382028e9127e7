/**
 * The Guests view: a window over the cluster's guests, with marks for bulk actions, and beside each
 * guest its lock (as PVE's web UI shows it) and the task in flight on it, ours or anyone's: what a
 * launch would be skipped for.
 */
import { Box } from 'ink';
import { memo, useMemo } from 'react';
import { activeTaskOn, clusterOfGuest, clusterOffline } from '../../tasks/cluster-view.js';
import type { Guest, TaskRow } from '../../tasks/store.js';
import { useBoard, useTasks, useUi } from '../context.js';
import { fit } from '../format.js';
import { keyLabel } from '../keymap.js';
import { cursorIndex } from '../visible.js';
import { clusterColumnWidth, guestColumns, windowTop, type Column, type GuestColumnId } from '../layout.js';
import type { Theme, Tone } from '../theme.js';
import { Line, Styled } from './styled.js';
import { ColumnHeading, clusterCell } from './task-line.js';

function statusTone(status: string): Tone | undefined {
  if (status === 'running') return 'ok';
  if (status === 'stopped') return 'muted';
  return 'warn';
}

/** PVE's lock on the guest (`backup`, `migrate`, `snapshot`...), with the web UI's lock as a glyph. */
export function lockText(lock: string, ascii: boolean): string {
  return ascii ? `lock:${lock}` : `🔒 ${lock}`;
}

/** The lock and the task in flight: `🔒 backup ● Backup Job`, `… Start VM 101` (queued). */
function activityText(guest: Guest, task: TaskRow | undefined, theme: Theme): string {
  const parts = [guest.lock ? lockText(guest.lock, theme.ascii) : '', task ? `${theme.glyph[task.state]} ${task.description}` : ''];
  return parts.filter(Boolean).join(' ');
}

function cellOf(
  id: GuestColumnId,
  cluster: string | undefined,
  offline: boolean,
  guest: Guest,
  marked: boolean,
  task: TaskRow | undefined,
  theme: Theme,
  activityShown: boolean,
): { text: string; tone?: Tone } {
  switch (id) {
    case 'mark':
      return { text: marked ? theme.mark : ' ', tone: 'marked' };
    case 'cluster':
      return clusterCell(cluster, offline);
    case 'vmid':
      return { text: String(guest.vmid) };
    case 'name':
      return { text: guest.name ?? '' };
    case 'node':
      return { text: guest.node };
    case 'type':
      return { text: guest.template ? `${guest.type} tpl` : guest.type, tone: guest.template ? 'muted' : undefined };
    case 'status':
      // Without its own column (a narrow terminal) the status says at least that the guest is locked.
      if (!activityShown && guest.lock) return { text: 'locked', tone: 'warn' };
      return { text: guest.status, tone: statusTone(guest.status) };
    case 'task':
      return { text: activityText(guest, task, theme), tone: guest.lock ? 'warn' : task ? task.state : undefined };
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
  const task = useTasks((s) => activeTaskOn(s, vmid));
  const marked = useUi((s) => s.guests.marks[vmid] === true);
  const cluster = useTasks((s) => clusterOfGuest(s, vmid));
  const offline = useTasks((s) => clusterOffline(s, cluster));
  if (!guest) return <Line />;
  const activityShown = columns.some((column) => column.id === 'task');
  return (
    <Line inverse={selected}>
      {selected ? `${theme.cursor} ` : '  '}
      {columns.map((column, i) => {
        const cell = cellOf(column.id, cluster, offline, guest, marked, task, theme, activityShown);
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
  const clusterWidth = useTasks((s) => clusterColumnWidth(s.clusters?.map((part) => part.name)));
  const columns = useMemo(() => guestColumns(width, clusterWidth), [width, clusterWidth]);
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
