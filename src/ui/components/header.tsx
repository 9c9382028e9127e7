/**
 * The header: where we are connected and as whom, through which endpoint, how fresh the data is, the
 * one spinner that says polling is alive (static while paused), DEMO / PAUSED / READ-ONLY, and a
 * second line when there is more to say: that no endpoint answers (one banner for our connection,
 * not one per node), else which nodes cannot be reached, and the last failover once one happened.
 */
import { Box } from 'ink';
import type { ConnectionStatus, NodeHealth } from '../../tasks/store.js';
import { formatDuration, formatElapsed } from '../../util/duration.js';
import { useBoard, useTasks, useTick } from '../context.js';
import { clip, formatClock, textWidth } from '../format.js';
import { ClustersHeader } from './clusters-header.js';
import { Line, Styled } from './styled.js';

function endpointName(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}

/** Data is `live` while the last poll is at most this many intervals old; then its age counts up. */
const LIVE_INTERVALS = 2;
/** Data older than this many poll intervals is called stale. */
const STALE_INTERVALS = 3;

/**
 * How fresh the data is. While polls arrive on time it says `live` and does not change, so a quiet
 * board draws no frame between polls (each frame costs Ink a full pass over the screen); once polls
 * are late, the age counts up every second.
 */
function dataAge(lastSuccessAt: number | undefined, now: number, intervalMs = 2000): string {
  if (lastSuccessAt === undefined) return 'waiting for data';
  const age = Math.max(0, now - lastSuccessAt);
  if (age <= LIVE_INTERVALS * intervalMs) return 'live';
  return `updated ${formatElapsed(age)} ago${age > STALE_INTERVALS * intervalMs ? ' (stale)' : ''}`;
}

export function Header({ width, lines }: { width: number; lines: number }) {
  // Over several clusters the header tells each one's liveness instead (clusters-header.tsx).
  const several = useTasks((s) => s.clusters !== undefined);
  return several ? <ClustersHeader width={width} lines={lines} /> : <ClusterHeader width={width} lines={lines} />;
}

function ClusterHeader({ width, lines }: { width: number; lines: number }) {
  const { theme, readOnly, store } = useBoard();
  const session = useTasks((s) => s.session);
  const paused = useTasks((s) => s.poll.paused);
  // Without Sys.Audit on /, the cluster scope holds the credentials' own tasks only (each node's list).
  const ownOnly = useTasks((s) => s.access?.clusterTasks === false);
  const nodes = useTasks((s) => s.nodes);
  const connection = useTasks((s) => s.connection);
  // The spinner steps once per completed poll cycle: it says polling is alive, and stops when it is not.
  const cycles = useTasks((s) => s.poll.cycles);
  // Read on the ticker's beat, as a label: it changes (and draws a frame) only when the text does.
  const age = useTick((t) => dataAge(store.getState().poll.lastSuccessAt, t.now, session?.intervalMs));

  const spinner = paused ? (theme.ascii ? '=' : '■') : theme.spinner[cycles % theme.spinner.length]!;
  const flags = [
    session?.demo ? 'DEMO' : '',
    session?.insecure ? 'INSECURE' : '',
    paused ? 'PAUSED' : '',
    readOnly || session?.readOnly ? 'READ-ONLY' : '',
  ].filter(Boolean);
  const place = session ? `${session.cluster ?? endpointName(session.endpoint)}${theme.separator}${session.user}` : 'pvetasks';
  // The endpoint in use, unless the place already names it (no cluster name).
  const via = connection && !place.startsWith(`${connection.endpoint}${theme.separator}`) ? `via ${connection.endpoint}` : '';
  // The age of the data matters most, so it comes first, and the poll interval is cut first.
  const facts = `${theme.separator}${[
    age,
    via,
    ownOnly ? 'own tasks: no Sys.Audit on /' : '',
    session ? `poll ${formatDuration(session.intervalMs)}` : '',
  ]
    .filter(Boolean)
    .join(theme.separator)}`;
  // The spinner and the flags always show; the place gets what the facts leave (some of them at least).
  const room = Math.max(0, width - 2 - flags.reduce((sum, flag) => sum + flag.length + 1, 0));
  const where = clip(place, Math.max(8, room - Math.min(textWidth(facts), 24)), theme.ellipsis);
  const factsText = clip(facts, Math.max(0, room - textWidth(where)), theme.ellipsis);

  return (
    <Box flexDirection="column" height={lines}>
      <Line>
        <Styled tone="accent">{`${spinner} `}</Styled>
        <Styled bold>{where}</Styled>
        {flags.map((flag) => (
          <Styled key={flag} tone="warn" bold>{` ${flag}`}</Styled>
        ))}
        {factsText}
      </Line>
      {lines > 1 ? <SecondLine nodes={nodes} connection={connection} width={width} /> : null}
    </Box>
  );
}

interface SecondLineProps {
  nodes: Readonly<Record<string, NodeHealth>>;
  connection: ConnectionStatus | undefined;
  width: number;
}

function SecondLine({ nodes, connection, width }: SecondLineProps) {
  const theme = useBoard().theme;
  const now = useTick((t) => t.now);
  const arrow = theme.ascii ? '->' : '→';
  const failover = connection?.failover
    ? `failover ${formatClock(connection.failover.at)}: ${connection.failover.from} ${arrow} ${connection.failover.to} (${connection.failover.reason})`
    : '';
  // No endpoint answers: that is our connection, and the nodes' own state is unknown meanwhile.
  if (connection?.outage) {
    const { since, reason } = connection.outage;
    const { endpoints } = connection;
    const banner = (where: string) => `! cannot reach the API${where}, retrying (since ${formatClock(since)})`;
    // The time matters more than every endpoint's name: the names go first, then the cause is cut.
    const forms = [banner(` at ${endpoints.join(', ')}`)];
    if (endpoints.length > 1)
      forms.push(banner(` at ${connection.endpoint} and ${endpoints.length - 1} more`), banner(` (${endpoints.length} endpoints)`));
    const text = `${forms.find((form) => textWidth(form) <= width) ?? forms[forms.length - 1]!}: ${reason}`;
    return (
      <Line>
        <Styled tone="error">{clip(text, width, theme.ellipsis)}</Styled>
      </Line>
    );
  }
  const down = Object.values(nodes)
    .filter((node) => node.error)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(
      (node) => `${node.name} since ${formatClock(node.error!.since)} (${formatElapsed(now - node.error!.since)}: ${node.error!.message})`,
    );
  if (down.length === 0) {
    return (
      <Line>
        <Styled tone="warn">{clip(failover, width, theme.ellipsis)}</Styled>
      </Line>
    );
  }
  const unreachable = `! unreachable: ${down.join('; ')}`;
  return (
    <Line>
      <Styled tone="error">{clip(unreachable, width, theme.ellipsis)}</Styled>
      {failover && textWidth(unreachable) + 2 < width ? (
        <Styled tone="warn">{clip(`${theme.separator}${failover}`, width - textWidth(unreachable), theme.ellipsis)}</Styled>
      ) : null}
    </Line>
  );
}
