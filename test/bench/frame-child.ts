/**
 * One frame-time measurement, in a process of its own (bundled like the real binary: production React,
 * no tsx). Fills a task store with N tasks, draws it on a fake terminal of 120x46 (so the task list
 * shows 40 rows), then applies one task update at a time and times each from the store update to
 * Ink's write of the new frame.
 *
 * - `board`: the real board through `runBoard` (the binary's Ink options: the 8 fps cap, the output
 *   stage). Its clock is a ManualClock that never moves, so only the updates draw frames; the time
 *   runs to the stage's write of the changed cells.
 * - `table`: the naive board, `@alcalzone/ink-table` given every row of the registry in the same
 *   order with the same texts, re-rendered by Ink at the same frame rate after the same updates.
 *
 * Updates rotate through UPDATE_KINDS, each on one task. Consecutive updates are spaced past Ink's
 * 125 ms frame cap, so each frame is drawn at once, as it is when a poll's answer arrives.
 *
 * Prints one JSON line: {times, kinds, rss, peakRss, writes, bytes}.
 */
import { Table } from '@alcalzone/ink-table';
import { render } from 'ink';
import { performance } from 'node:perf_hooks';
import { createElement, type ComponentType } from 'react';
import { combineStores } from '../../src/tasks/cluster-view.js';
import { createTaskStore } from '../../src/tasks/store.js';
import { runBoard } from '../../src/ui/index.js';
import { MANUAL_CLOCK_EPOCH, ManualClock } from '../../src/util/clock.js';
import { FakeKeyboard, FakeTerminal, UPDATE_KINDS, fillRegistry, noActions, pickUpdate, runChild, sleep, tableData } from './board-rig.js';

interface Args {
  mode: 'board' | 'table';
  tasks: number;
  samples: number;
  warmup: number;
  columns: number;
  rows: number;
  /** Number the update kinds from here (so that short runs of the same size cover every kind). */
  offset?: number;
  /**
   * Clusters (board mode): `tasks` in each cluster's own store, the board drawing the view over them
   * (cluster-view.ts), each update going to the next cluster in turn. Default 1: the store itself.
   */
  clusters?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const NOW = MANUAL_CLOCK_EPOCH;
/** runBoard caps Ink at 8 frames a second: wait past that between updates. */
const FRAME_GAP_MS = 140;

runChild(async () => {
  const terminal = new FakeTerminal(args.columns, args.rows);
  const stdout = terminal as unknown as NodeJS.WriteStream;
  const stdin = new FakeKeyboard() as unknown as NodeJS.ReadStream;
  const stores = Array.from({ length: Math.max(1, args.clusters ?? 1) }, () => createTaskStore());
  for (const part of stores) fillRegistry(part, args.tasks, NOW);
  const view = combineStores(
    stores.map((part, index) => ({ name: ['alpha', 'bravo', 'charlie', 'delta'][index] ?? `cluster${index + 1}`, store: part })),
    new ManualClock(NOW),
  );
  const store = stores[0]!;
  let peakRss = process.memoryUsage().rss;
  const times: number[] = [];
  const kinds: number[] = [];

  let redraw: () => void;
  let stop: () => Promise<void>;
  const first = terminal.nextFrame();
  if (args.mode === 'board') {
    const abort = new AbortController();
    const done = runBoard({
      store: view.store,
      actions: noActions,
      clock: new ManualClock(NOW),
      stdin,
      stdout,
      ascii: false,
      color: true,
      readOnly: false,
      initialScope: 'cluster',
      signal: abort.signal,
    });
    redraw = () => {};
    stop = async () => {
      abort.abort();
      await done;
    };
  } else {
    // (The cast only picks the table's props for plain string rows; createElement cannot infer them.)
    const PlainTable = Table as unknown as ComponentType<{ data: Array<Record<string, string>> }>;
    const element = () => createElement(PlainTable, { data: tableData(store, NOW) });
    // Straight to the terminal: the table is far taller than the screen, and the output stage would
    // rightly write nothing for a change above it (so no frame to time). Ink writes every frame whole.
    const instance = render(element(), {
      stdout,
      stdin,
      exitOnCtrlC: false,
      maxFps: 8,
      incrementalRendering: false,
    });
    redraw = () => instance.rerender(element());
    stop = async () => {
      instance.unmount();
      await instance.waitUntilExit();
    };
  }
  await first;
  await sleep(FRAME_GAP_MS);

  const offset = args.offset ?? 0;
  for (let sample = 0; sample < args.warmup + args.samples; sample++) {
    const kind = (offset + sample) % UPDATE_KINDS.length;
    // The next cluster in turn (one cluster: always its store).
    const target = stores[(offset + sample) % stores.length]!;
    const write = pickUpdate(target, kind, offset + sample, NOW);
    const frame = terminal.nextFrame();
    const started = performance.now();
    // Each update arrives as a poll cycle's result: the board shows it, moves included, at the cycle's end.
    target.getState().update((tx) => {
      write(tx);
      tx.setPoll({ cycles: target.getState().poll.cycles + 1 });
    });
    redraw();
    const writtenAt = await frame;
    if (sample >= args.warmup) {
      times.push(writtenAt - started);
      kinds.push(kind);
    }
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    await sleep(FRAME_GAP_MS);
  }
  const rss = process.memoryUsage().rss;
  await stop();
  process.stdout.write(
    `${JSON.stringify({ times, kinds, rss, peakRss: Math.max(peakRss, rss), writes: terminal.writes, bytes: terminal.bytes })}\n`,
  );
});
