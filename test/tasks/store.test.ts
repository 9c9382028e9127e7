import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareRows, createTaskStore, type TaskRow, type TaskStore } from '../../src/tasks/store.js';
import { formatUpid } from '../../src/tasks/upid.js';

const T0 = Date.UTC(2026, 10, 27, 8, 0, 0);
const upid = (node: string, vmid: number, startSec: number, type = 'qmstart') =>
  formatUpid({ node, pid: 0x1000 + vmid, pstart: 0xabcdef, starttime: startSec, type, id: String(vmid), user: 'root@pam' });

/** Every row, read inside a write that changes nothing (the store keeps no row list in its state). */
function allRows(store: TaskStore): TaskRow[] {
  let rows: TaskRow[] = [];
  store.getState().update((tx) => {
    rows = [...tx.allRows()];
  });
  return rows;
}

function allRowsByKey(store: TaskStore): Record<string, TaskRow> {
  return Object.fromEntries(allRows(store).map((row) => [row.key, row]));
}

function rowsByKey(store: TaskStore, keys: readonly string[]): Record<string, TaskRow | undefined> {
  return Object.fromEntries(keys.map((key) => [key, store.getState().row(key)]));
}

function seed(count: number) {
  const store = createTaskStore();
  const keys: string[] = [];
  store.getState().update((tx) => {
    for (let i = 0; i < count; i++) {
      keys.push(tx.add({ upid: upid(`pve${(i % 3) + 1}`, 100 + i, T0 / 1000 + i), mine: i % 2 === 0, firstSeenAt: T0 }));
    }
  });
  return { store, keys };
}

test('an update to one task leaves every other row object identical', () => {
  const { store, keys } = seed(50);
  const before = rowsByKey(store, keys);
  store.getState().update((tx) => tx.patch(keys[7]!, { progress: { percent: 42 } }));
  const after = rowsByKey(store, keys);
  for (const key of keys) {
    if (key === keys[7]) assert.notEqual(after[key], before[key]);
    else assert.equal(after[key], before[key], `row ${key} was replaced`);
  }
  assert.equal(after[keys[7]!]!.progress?.percent, 42);
});

test('a patch that changes nothing notifies nobody and keeps the row', () => {
  const { store, keys } = seed(5);
  store.getState().update((tx) => tx.patch(keys[1]!, { progress: { percent: 10 } }));
  const row = store.getState().row(keys[1]!);
  let notified = 0;
  const unsubscribe = store.subscribe(() => notified++);
  store.getState().update((tx) => tx.patch(keys[1]!, { progress: { percent: 10 }, state: 'running' }));
  unsubscribe();
  assert.equal(notified, 0);
  assert.equal(store.getState().row(keys[1]!), row);
});

test('tallies per scope are kept on write', () => {
  const { store, keys } = seed(6); // mine: 0, 2, 4
  store.getState().update((tx) => {
    tx.finish(keys[0]!, 'ok', { exitStatus: 'OK' });
    tx.finish(keys[1]!, 'failed', { exitStatus: 'VM 101 already running' });
    tx.finish(keys[2]!, 'warnings', { exitStatus: 'WARNINGS: 1' });
    tx.timeOut(keys[4]!);
  });
  const { mine, cluster } = store.getState().tallies;
  assert.deepEqual(mine, { total: 3, queued: 0, running: 0, ok: 1, warnings: 1, failed: 0, timeout: 1, unknown: 0, skipped: 0 });
  assert.deepEqual(cluster, { total: 6, queued: 0, running: 2, ok: 1, warnings: 1, failed: 1, timeout: 1, unknown: 0, skipped: 0 });
});

test('a timed-out row keeps counting as timed out and records the late outcome', () => {
  const { store, keys } = seed(1);
  store.getState().update((tx) => tx.timeOut(keys[0]!));
  store.getState().update((tx) => tx.finish(keys[0]!, 'ok', { exitStatus: 'OK', endedAt: T0 + 5000 }));
  const row = store.getState().row(keys[0]!) as TaskRow;
  assert.equal(row.state, 'timeout');
  assert.equal(row.lateOutcome, 'ok');
  assert.equal(row.lateExitStatus, 'OK');
  assert.equal(store.getState().tallies.mine.timeout, 1);
  assert.equal(store.getState().tallies.mine.ok, 0);
});

test('order: running and queued first, then newest first, kept as states change', () => {
  const { store, keys } = seed(5);
  const start = (key: string) => store.getState().row(key)!.startedAt!;
  let order = store.getState().order.cluster;
  assert.deepEqual([...order], [...keys].reverse());
  store.getState().update((tx) => tx.finish(keys[4]!, 'ok'));
  order = store.getState().order.cluster;
  assert.equal(order.at(-1), keys[4], 'the ended row moves below the running ones');
  assert.deepEqual(order.slice(0, 4), [keys[3], keys[2], keys[1], keys[0]]);
  const queued = (() => {
    let key = '';
    store.getState().update((tx) => {
      key = tx.add({ mine: true, firstSeenAt: T0 + 10_000_000, node: 'pve1', type: 'qmstart' });
    });
    return key;
  })();
  assert.equal(store.getState().row(queued)!.state, 'queued');
  assert.equal(store.getState().order.mine[0], queued);
  assert.ok(start(keys[3]!) > start(keys[2]!));
  // A bulk change takes the full-sort path and gives the same order as a fresh sort.
  store.getState().update((tx) => {
    for (const key of keys.slice(0, 4)) tx.finish(key, 'failed');
  });
  const expected = [queued, keys[4], keys[3], keys[2], keys[1], keys[0]];
  assert.deepEqual([...store.getState().order.cluster], expected);
  const freshSort = allRows(store)
    .sort(compareRows)
    .map((row) => row.key);
  assert.deepEqual(freshSort, expected);
});

test('a UPID is registered once', () => {
  const { store, keys } = seed(1);
  const row = store.getState().row(keys[0]!)!;
  let again = '';
  store.getState().update((tx) => {
    again = tx.add({ upid: row.upid!, mine: false, firstSeenAt: T0 });
  });
  assert.equal(again, keys[0]);
  assert.equal(store.getState().tallies.cluster.total, 1);
});

test('a write that throws leaves nothing behind, its UPIDs included', () => {
  const { store, keys } = seed(2);
  const before = store.getState();
  const fresh = upid('pve2', 900, T0 / 1000 + 50);
  assert.throws(() =>
    store.getState().update((tx) => {
      tx.add({ upid: fresh, mine: true, firstSeenAt: T0 });
      tx.remove(keys[0]!);
      throw new Error('boom');
    }),
  );
  assert.equal(store.getState(), before);
  assert.equal(store.getState().keyOf(fresh), undefined);
  assert.equal(store.getState().keyOf(before.row(keys[0]!)!.upid!), keys[0]);
  let key = '';
  store.getState().update((tx) => {
    key = tx.add({ upid: fresh, mine: true, firstSeenAt: T0 });
  });
  assert.equal(store.getState().row(key)!.upid, fresh);
  assert.equal(store.getState().keyOf(fresh), key);
});

/** The order a fresh sort of every row gives: what the store's kept order must equal. */
function freshOrder(rows: readonly TaskRow[], mineOnly: boolean): string[] {
  return [...rows]
    .filter((row) => !mineOnly || row.mine)
    .sort(compareRows)
    .map((row) => row.key);
}

test('a bulk change (full re-sort) and single changes (insertions) give the same order as a fresh sort', () => {
  const { store, keys } = seed(200);
  store.getState().update((tx) => {
    for (const key of keys.filter((_, i) => i % 3 === 0)) tx.finish(key, 'ok');
  });
  for (const key of keys.filter((_, i) => i % 7 === 1)) store.getState().update((tx) => tx.finish(key, 'failed'));
  const { order } = store.getState();
  const rows = allRows(store);
  assert.deepEqual([...order.cluster], freshOrder(rows, false));
  assert.deepEqual([...order.mine], freshOrder(rows, true));
});

test('rowsChange names the rows a write touched, with what they were before', () => {
  const { store, keys } = seed(10);
  const version = store.getState().rowsChange.version;
  const old = store.getState().row(keys[3]!);
  let added = '';
  store.getState().update((tx) => {
    tx.patch(keys[3]!, { progress: { percent: 5 } });
    tx.remove(keys[4]!);
    added = tx.add({ mine: true, node: 'pve1', type: 'qmstart', firstSeenAt: T0 });
  });
  const { rowsChange, row } = store.getState();
  assert.equal(rowsChange.version, version + 1);
  assert.deepEqual([...rowsChange.before.keys()].sort(), [keys[3]!, keys[4]!, added].sort());
  assert.equal(rowsChange.before.get(keys[3]!), old);
  assert.equal(rowsChange.before.get(added), undefined);
  assert.equal(row(keys[4]!), undefined);
  // A write that touches no row leaves the version alone.
  store.getState().update((tx) => tx.setPoll({ cycles: 7 }));
  assert.equal(store.getState().rowsChange.version, version + 1);
});

test('a write that throws leaves the rows, the order and the tallies as they were', () => {
  const { store, keys } = seed(5);
  const before = allRowsByKey(store);
  const { order, tallies, rowsChange } = store.getState();
  assert.throws(() =>
    store.getState().update((tx) => {
      tx.finish(keys[0]!, 'ok');
      tx.remove(keys[1]!);
      tx.add({ mine: true, node: 'pve1', type: 'qmstart', firstSeenAt: T0 });
      throw new Error('boom');
    }),
  );
  assert.deepEqual(allRowsByKey(store), before);
  for (const key of keys) assert.equal(store.getState().row(key), before[key]);
  assert.equal(store.getState().order, order);
  assert.equal(store.getState().tallies, tallies);
  assert.equal(store.getState().rowsChange, rowsChange);
});

test('random small writes (adds, ends, removals, rows becoming mine) keep both orders equal to a fresh sort', () => {
  const { store, keys } = seed(300);
  let seedValue = 42;
  const random = () => (seedValue = (seedValue * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const live = [...keys];
  for (let round = 0; round < 400; round++) {
    store.getState().update((tx) => {
      for (let op = 0; op < 1 + Math.floor(random() * 3); op++) {
        const key = live[Math.floor(random() * live.length)]!;
        const choice = random();
        if (choice < 0.3) tx.finish(key, random() < 0.5 ? 'ok' : 'failed');
        else if (choice < 0.45) tx.patch(key, { mine: !tx.row(key)?.mine });
        else if (choice < 0.6 && live.length > 50) {
          tx.remove(key);
          live.splice(live.indexOf(key), 1);
        } else if (choice < 0.8) {
          live.push(
            tx.add({
              upid: upid('pve2', 5000 + round * 3 + op, T0 / 1000 + Math.floor(random() * 400)),
              mine: random() < 0.5,
              firstSeenAt: T0,
            }),
          );
        } else tx.patch(key, { progress: { percent: Math.floor(random() * 100) } });
      }
    });
    const { order } = store.getState();
    const rows = allRows(store);
    assert.deepEqual([...order.cluster], freshOrder(rows, false), `round ${round}`);
    assert.deepEqual([...order.mine], freshOrder(rows, true), `round ${round}`);
  }
});
