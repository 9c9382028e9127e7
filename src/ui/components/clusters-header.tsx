/**
 * The header of a board over several clusters: the one spinner, the flags, and each cluster's
 * liveness (`alpha live · bravo offline 12s · charlie live`), shorter forms as the terminal narrows.
 * The second line names the clusters whose API cannot be reached, else the nodes that cannot be
 * reached (`cluster/node`), else the last failover.
 */
import { Box } from 'ink';
import type { TaskStoreState } from '../../tasks/store.js';
import { formatElapsed } from '../../util/duration.js';
import { useBoard, useTasks, useTick } from '../context.js';
import { clip, formatClock, textWidth } from '../format.js';
import type { Theme } from '../theme.js';
import { Line, Styled } from './styled.js';

type Parts = NonNullable<TaskStoreState['clusters']>;

/** Polls at most this many intervals old count as live (as the one-cluster header's `live`). */
const LIVE_INTERVALS = 2;

/** One cluster's liveness: long and short words. */
function liveness(state: TaskStoreState, now: number): { long: string; short: string; down: boolean } {
  const outage = state.connection?.outage;
  if (outage) {
    const age = formatElapsed(now - outage.since).replace(' ', '');
    return { long: `offline ${age}`, short: `off ${age}`, down: true };
  }
  const last = state.poll.lastSuccessAt;
  if (last === undefined) return { long: 'connecting', short: '…', down: false };
  const age = Math.max(0, now - last);
  if (age <= LIVE_INTERVALS * (state.session?.intervalMs ?? 2000)) return { long: 'live', short: 'ok', down: false };
  const late = formatElapsed(age).replace(' ', '');
  return { long: `late ${late}`, short: `late ${late}`, down: false };
}

/** The liveness line's text that fits `room`: every cluster named, long words, then short, then counts. */
export function livenessText(parts: Parts, now: number, theme: Theme, room: number): string {
  const states = parts.map((part) => ({ name: part.name, ...liveness(part.state, now) }));
  const long = states.map((s) => `${s.name} ${s.long}`).join(theme.separator);
  if (textWidth(long) <= room) return long;
  const short = states.map((s) => `${s.name} ${s.short}`).join(' ');
  if (textWidth(short) <= room) return short;
  const down = states.filter((s) => s.down).map((s) => s.name);
  const counts = `${parts.length} clusters, ${parts.length - down.length} up${down.length ? `, down: ${down.join(' ')}` : ''}`;
  return clip(counts, room, theme.ellipsis);
}

export function ClustersHeader({ width, lines }: { width: number; lines: number }) {
  const { theme, readOnly, store } = useBoard();
  const paused = useTasks((s) => s.poll.paused);
  const cycles = useTasks((s) => s.poll.cycles);
  const session = useTasks((s) => s.session);
  const now = useTick((t) => t.now);
  const spinner = paused ? (theme.ascii ? '=' : '■') : theme.spinner[cycles % theme.spinner.length]!;
  const insecure = useTasks((s) => s.clusters?.some((part) => part.state.session?.insecure) === true);
  const flags = [
    session?.demo ? 'DEMO' : '',
    insecure ? 'INSECURE' : '',
    paused ? 'PAUSED' : '',
    readOnly || session?.readOnly ? 'READ-ONLY' : '',
  ].filter(Boolean);
  const room = Math.max(0, width - 2 - flags.reduce((sum, flag) => sum + flag.length + 1, 0) - 1);
  // A string: the header draws again only when some cluster's liveness reads differently, not on every write.
  const text = useTasks((s) => livenessText(s.clusters ?? [], now, theme, room));
  return (
    <Box flexDirection="column" height={lines}>
      <Line>
        <Styled tone="accent">{`${spinner} `}</Styled>
        {flags.map((flag) => (
          <Styled key={flag} tone="warn" bold>{`${flag} `}</Styled>
        ))}
        <Styled bold>{text}</Styled>
      </Line>
      {lines > 1 ? <ClustersSecondLine state={store.getState()} now={now} width={width} theme={theme} /> : null}
    </Box>
  );
}

function ClustersSecondLine({ state, now, width, theme }: { state: TaskStoreState; now: number; width: number; theme: Theme }) {
  const parts = state.clusters ?? [];
  const outages = parts.flatMap((part) => {
    const connection = part.state.connection;
    if (!connection?.outage) return [];
    const { since, reason } = connection.outage;
    return [`${part.name}: cannot reach the API at ${connection.endpoints.join(', ')}, retrying (since ${formatClock(since)}): ${reason}`];
  });
  const down = Object.values(state.nodes)
    .filter((node) => node.error)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(
      (node) => `${node.name} since ${formatClock(node.error!.since)} (${formatElapsed(now - node.error!.since)}: ${node.error!.message})`,
    );
  const arrow = theme.ascii ? '->' : '→';
  const failovers = parts.flatMap((part) => {
    const failover = part.state.connection?.failover;
    return failover
      ? [`${part.name} failover ${formatClock(failover.at)}: ${failover.from} ${arrow} ${failover.to} (${failover.reason})`]
      : [];
  });
  const [text, tone] =
    outages.length > 0
      ? [`! ${outages.join('; ')}`, 'error' as const]
      : down.length > 0
        ? [`! unreachable: ${down.join('; ')}`, 'error' as const]
        : [failovers.join('; '), 'warn' as const];
  return (
    <Line>
      <Styled tone={tone}>{clip(text, width, theme.ellipsis)}</Styled>
    </Line>
  );
}
