/** What a command prints of its runtime beyond its targets: the runtime's messages, on stderr. */
import type { Runtime } from '../tasks/runtime.js';
import type { CliIo } from './io.js';

/**
 * Prints every new message of the runtime's one channel as `pvetasks: <text>` (after `prefix`, which
 * names the cluster when a run spans several); returns the stop.
 */
export function printMessages(runtime: Pick<Runtime, 'store'>, io: Pick<CliIo, 'stderr'>, prefix = ''): () => void {
  let last = runtime.store.getState().message;
  return runtime.store.subscribe((state) => {
    if (!state.message || state.message === last) return;
    last = state.message;
    io.stderr.write(`pvetasks: ${state.message.level === 'error' ? 'warning: ' : ''}${prefix}${state.message.text}\n`);
  });
}
