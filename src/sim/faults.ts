/**
 * Fault injection. A fault is a plain object (FaultSpec) or its short string form:
 *
 *   latency=MS[@NODE]        every request waits MS before it is handled
 *   slow=MS[@NODE]           every response waits MS after it was handled (the action took effect)
 *   error500=RATE[@NODE]     that share (0..1) of requests answer 500 before anything happens
 *   drop=RATE[@NODE]         that share of connections is cut after the headers, mid-response
 *   malformed=RATE[@NODE]    that share of responses carries a broken JSON body (status 200)
 *   offline=NODE[:refuse|:timeout]
 *                            NODE is powered off: /nodes shows it offline; calls proxied to it answer
 *                            595 at once (refuse) or after proxyTimeoutMs (timeout, the default, as a
 *                            powered-off host does); its own listener refuses (refuse) or accepts and
 *                            never answers (timeout)
 *   listener-down=NODE       NODE's own listener refuses connections; the node itself stays online
 *
 * `@NODE` scopes a fault to requests arriving on that node's listener. Rates use their own seeded RNG.
 */
import { Rng } from './rng.js';

export type FaultSpec =
  | { kind: 'latency'; ms: number; listener?: string }
  | { kind: 'slow'; ms: number; listener?: string }
  | { kind: 'error500'; rate: number; listener?: string }
  | { kind: 'drop'; rate: number; listener?: string }
  | { kind: 'malformed'; rate: number; listener?: string }
  | { kind: 'offline'; node: string; mode: 'refuse' | 'timeout' }
  | { kind: 'listener-down'; node: string };

export const FAULT_HELP = `Faults (--fault SPEC, repeatable):
  latency=MS[@NODE]          add MS of delay before every request is handled
  slow=MS[@NODE]             hold every response MS after handling (slower than a client timeout)
  error500=RATE[@NODE]       answer that share (0..1) of requests with 500
  drop=RATE[@NODE]           cut that share of connections mid-response
  malformed=RATE[@NODE]      send that share of responses with a broken JSON body
  offline=NODE[:refuse|:timeout]
                             power NODE off: shown offline, proxied calls get 595 at once (refuse)
                             or after 30 s (timeout, default); its own port refuses or hangs
  listener-down=NODE         NODE's own port refuses connections (the node stays online)
  @NODE limits a fault to requests arriving on that node's port.`;

const NODE_RE = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

export class FaultSyntaxError extends Error {
  override name = 'FaultSyntaxError';
}

export function parseFaultSpec(text: string): FaultSpec {
  const bad = (why: string): never => {
    throw new FaultSyntaxError(`invalid fault '${text}': ${why}`);
  };
  const eq = text.indexOf('=');
  if (eq < 0) bad('expected KIND=VALUE');
  const kind = text.slice(0, eq).trim();
  let value = text.slice(eq + 1).trim();
  let listener: string | undefined;
  const at = value.lastIndexOf('@');
  if (at >= 0) {
    listener = value.slice(at + 1);
    value = value.slice(0, at);
    if (!NODE_RE.test(listener)) bad(`'${listener}' is not a node name`);
  }
  const scoped = listener === undefined ? {} : { listener };
  const milliseconds = () => {
    if (!/^\d+$/.test(value)) bad('expected a whole number of milliseconds');
    return Number(value);
  };
  const rate = () => {
    const number = Number(value);
    if (value === '' || !Number.isFinite(number) || number < 0 || number > 1) bad('expected a share between 0 and 1');
    return number;
  };
  switch (kind) {
    case 'latency':
      return { kind, ms: milliseconds(), ...scoped };
    case 'slow':
      return { kind, ms: milliseconds(), ...scoped };
    case 'error500':
    case 'drop':
    case 'malformed':
      return { kind, rate: rate(), ...scoped };
    case 'offline': {
      if (listener !== undefined) bad('offline takes no @NODE scope');
      const [node = '', mode = 'timeout', ...rest] = value.split(':');
      if (!NODE_RE.test(node)) bad(`'${node}' is not a node name`);
      if (rest.length > 0 || (mode !== 'refuse' && mode !== 'timeout')) bad("mode is 'refuse' or 'timeout'");
      return { kind, node, mode: mode as 'refuse' | 'timeout' };
    }
    case 'listener-down':
      if (listener !== undefined) bad('listener-down takes no @NODE scope');
      if (!NODE_RE.test(value)) bad(`'${value}' is not a node name`);
      return { kind, node: value };
    default:
      return bad('unknown kind (latency, slow, error500, drop, malformed, offline, listener-down)');
  }
}

export function formatFaultSpec(fault: FaultSpec): string {
  switch (fault.kind) {
    case 'offline':
      return `offline=${fault.node}:${fault.mode}`;
    case 'listener-down':
      return `listener-down=${fault.node}`;
    case 'latency':
    case 'slow':
      return `${fault.kind}=${fault.ms}${fault.listener ? `@${fault.listener}` : ''}`;
    default:
      return `${fault.kind}=${fault.rate}${fault.listener ? `@${fault.listener}` : ''}`;
  }
}

export type FaultInput = FaultSpec | string;

export function toFaultSpec(input: FaultInput): FaultSpec {
  return typeof input === 'string' ? parseFaultSpec(input) : input;
}

/** The active faults, and the questions the server asks about them per request. */
export class FaultSet {
  private faults: FaultSpec[] = [];
  private readonly rng: Rng;

  constructor(
    seed: number,
    private readonly onChange: () => void,
  ) {
    this.rng = new Rng(seed, 4);
  }

  list(): FaultSpec[] {
    return [...this.faults];
  }

  add(input: FaultInput): FaultSpec {
    const fault = toFaultSpec(input);
    this.faults.push(fault);
    this.onChange();
    return fault;
  }

  /** Removes faults equal to `input` (same string form); returns how many. */
  remove(input: FaultInput): number {
    const key = formatFaultSpec(toFaultSpec(input));
    const before = this.faults.length;
    this.faults = this.faults.filter((fault) => formatFaultSpec(fault) !== key);
    if (this.faults.length !== before) this.onChange();
    return before - this.faults.length;
  }

  clear(): void {
    this.faults = [];
    this.onChange();
  }

  offlineMode(node: string): 'refuse' | 'timeout' | undefined {
    for (const fault of this.faults) if (fault.kind === 'offline' && fault.node === node) return fault.mode;
    return undefined;
  }

  /** Whether a node's own listener should not accept connections. */
  listenerRefuses(node: string): boolean {
    return this.faults.some(
      (fault) =>
        (fault.kind === 'listener-down' && fault.node === node) ||
        (fault.kind === 'offline' && fault.node === node && fault.mode === 'refuse'),
    );
  }

  /** Whether a node's own listener accepts and never answers. */
  listenerHangs(node: string): boolean {
    return this.offlineMode(node) === 'timeout';
  }

  totalMs(kind: 'latency' | 'slow', listener: string): number {
    let total = 0;
    for (const fault of this.faults) {
      if (fault.kind === kind && (fault.listener === undefined || fault.listener === listener)) total += fault.ms;
    }
    return total;
  }

  /** Draws once per matching rate fault (so the RNG sequence does not depend on the listener order). */
  hit(kind: 'error500' | 'drop' | 'malformed', listener: string): boolean {
    let hit = false;
    for (const fault of this.faults) {
      if (fault.kind !== kind || (fault.listener !== undefined && fault.listener !== listener)) continue;
      if (this.rng.next() < fault.rate) hit = true;
    }
    return hit;
  }
}
