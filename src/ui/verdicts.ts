/**
 * The lines a launch dialog shows about its verdicts before anything is sent: how many guests go,
 * then each guest that is skipped or refused with its reason, windowed to the room there is (the rest
 * summed up by reason). Pure, so the dialog and the frame's height agree.
 */
import type { Verdict } from '../tasks/launch-check.js';
import type { Guest } from '../tasks/store.js';
import { plural } from './format.js';
import type { LaunchCheck } from './ui-state.js';

export interface VerdictLine {
  text: string;
  tone?: 'skipped' | 'failed' | 'muted';
}

type Skip = Extract<Verdict, { skip: string }>;
type Refuse = Extract<Verdict, { refuse: string }>;

const isSkip = (verdict: Verdict): verdict is Skip => 'skip' in verdict;
const isRefuse = (verdict: Verdict): verdict is Refuse => 'refuse' in verdict;

/** The guests a check skips (sent anyway under noSkip), refuses, and sends. */
export function verdictCounts(check: LaunchCheck): { go: number; skipped: number; refused: number } {
  const skipped = check.verdicts.filter(isSkip).length;
  const refused = check.verdicts.filter(isRefuse).length;
  const go = check.verdicts.length - refused - (check.noSkip ? 0 : skipped);
  return { go, skipped, refused };
}

/** Whether the dialog has anything to say beyond its targets: a guest skipped or refused. */
export function hasVerdictLines(check: LaunchCheck | undefined): boolean {
  return check !== undefined && check.verdicts.some((verdict) => !('go' in verdict));
}

/** The lines the verdicts take with at most `room` lines. */
export function verdictLineCount(check: LaunchCheck | undefined, room: number): number {
  return verdictLines(check, {}, room).length;
}

/**
 * `3 go · 1 skipped · 1 refused`, then `- 102 db01: already running` per guest not sent, windowed to
 * `room` lines: the last one sums up the rest (`+4 more: 3 already running, 1 template`). Nothing when
 * every guest goes.
 */
export function verdictLines(check: LaunchCheck | undefined, guests: Readonly<Record<number, Guest>>, room: number): VerdictLine[] {
  if (!check || !hasVerdictLines(check)) return [];
  const { go, skipped, refused } = verdictCounts(check);
  const summary = [
    `${go} go`,
    skipped ? (check.noSkip ? `${skipped} that would be skipped sent anyway` : `${skipped} skipped`) : '',
    refused ? `${refused} refused` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const lines: VerdictLine[] = [{ text: summary }];
  if (room <= 1) return room === 1 ? lines : [];
  const others = check.verdicts.filter((verdict): verdict is Skip | Refuse => !('go' in verdict));
  // Refusals first: they cannot be sent whatever the toggle says.
  others.sort((a, b) => Number(isSkip(a)) - Number(isSkip(b)));
  // Guests by their id in the view: over several clusters that is not the VMID (cluster-view.ts).
  const name = (id: number) => {
    const guest = guests[id];
    return guest ? `${guest.vmid}${guest.name ? ` ${guest.name}` : ''}` : String(id);
  };
  const budget = room - 1;
  const listed = others.length <= budget ? others : others.slice(0, budget - 1);
  for (const verdict of listed) {
    const refusedHere = isRefuse(verdict);
    const reason = refusedHere ? `refused: ${verdict.refuse}` : check.noSkip ? `sent anyway (${verdict.skip})` : verdict.skip;
    lines.push({ text: `- ${name(verdict.vmid)}: ${reason}`, tone: refusedHere ? 'failed' : 'skipped' });
  }
  const rest = others.slice(listed.length);
  if (rest.length > 0) {
    const reasons = new Map<string, number>();
    for (const verdict of rest) {
      const reason = isRefuse(verdict) ? `refused (${verdict.refuse})` : verdict.skip;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    const parts = [...reasons].sort((a, b) => b[1] - a[1]).map(([reason, count]) => `${count} ${reason}`);
    lines.push({ text: `+${rest.length} more: ${parts.join(', ')}`, tone: 'muted' });
  }
  return lines;
}

/** Whether the dialog offers the toggle "send to the skipped guests too": some guest would be skipped. */
export function offersNoSkip(check: LaunchCheck | undefined): boolean {
  return check !== undefined && check.verdicts.some(isSkip);
}

/** The toggle's text: `[ ] send to the 2 skipped guests too (--no-skip)`. */
export function noSkipToggle(check: LaunchCheck): string {
  const skipped = check.verdicts.filter(isSkip).length;
  return `${check.noSkip ? '[x]' : '[ ]'} send to the ${plural(skipped, 'skipped guest')} too (--no-skip)`;
}
