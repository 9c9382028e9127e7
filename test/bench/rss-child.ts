/**
 * Memory of the board with N tasks in the registry, in a process of its own bundled like the binary.
 * The board is drawn through `runBoard` at 120x40 on the real clock (its ticker redraws running times
 * as the binary's does), and every 2 s, the poll interval, one batch of changes lands as a poll cycle
 * would bring it: three progress updates, one task ending, one new task. RSS is read every 250 ms;
 * the peak is reported.
 *
 * Prints one JSON line: {peakRss, lastRss, heapUsed, samples}.
 */
import { createTaskStore } from '../../src/tasks/store.js';
import { runBoard } from '../../src/ui/index.js';
import { systemClock } from '../../src/util/clock.js';
import { FakeKeyboard, FakeTerminal, fillRegistry, noActions, pickUpdate, runChild, sleep } from './board-rig.js';

interface Args {
  tasks: number;
  windowMs: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const POLL_MS = 2000;
const SAMPLE_MS = 250;

runChild(async () => {
  const terminal = new FakeTerminal(120, 40);
  const store = createTaskStore();
  fillRegistry(store, args.tasks, Date.now());
  const abort = new AbortController();
  const first = terminal.nextFrame();
  const done = runBoard({
    store,
    actions: noActions,
    clock: systemClock,
    stdin: new FakeKeyboard() as unknown as NodeJS.ReadStream,
    stdout: terminal as unknown as NodeJS.WriteStream,
    ascii: false,
    color: true,
    readOnly: false,
    initialScope: 'cluster',
    signal: abort.signal,
  });
  await first;
  let peakRss = process.memoryUsage().rss;
  let samples = 0;
  let cycle = 0;
  const started = Date.now();
  let nextPoll = started + POLL_MS;
  while (Date.now() - started < args.windowMs) {
    await sleep(SAMPLE_MS);
    if (Date.now() >= nextPoll) {
      nextPoll += POLL_MS;
      cycle++;
      const now = Date.now();
      const writes = [0, 0, 0, 1, 2].map((kind, i) => pickUpdate(store, kind, cycle * 5 + i, now));
      store.getState().update((tx) => {
        for (const write of writes) write(tx);
      });
      store.getState().update((tx) => tx.setPoll({ lastSuccessAt: now, cycles: 10 + cycle }));
    }
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    samples++;
  }
  const memory = process.memoryUsage();
  abort.abort();
  await done;
  process.stdout.write(
    `${JSON.stringify({ peakRss: Math.max(peakRss, memory.rss), lastRss: memory.rss, heapUsed: memory.heapUsed, samples })}\n`,
  );
});
