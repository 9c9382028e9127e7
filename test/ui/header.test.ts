// The header names the endpoint in use and, once one happened, the last failover; with no endpoint
// answering it shows one banner for the connection instead of one per node.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createTaskStore, type ConnectionStatus, type TaskStore } from '../../src/tasks/store.js';
import { T0, addTask, cleanup, linesOf, mountBoard } from './helpers.js';

afterEach(() => cleanup());

const ENDPOINTS = ['pve1.example.com:8006', 'pve2.example.com:8006', 'pve3.example.com:8006'];

function connectedStore(connection: Partial<ConnectionStatus> = {}): TaskStore {
  const store = createTaskStore();
  store.getState().update((tx) => {
    tx.setSession({
      endpoint: 'https://pve1.example.com:8006',
      user: 'ops@pve',
      cluster: 'prod',
      demo: false,
      intervalMs: 2000,
      readOnly: false,
    });
    tx.setPoll({ lastSuccessAt: T0 });
    tx.setConnection({ endpoint: ENDPOINTS[0]!, endpoints: ENDPOINTS, ...connection });
  });
  return store;
}

const clockText = (ms: number) => new Date(ms).toTimeString().slice(0, 8);

test('the first line names the endpoint in use; nothing more to say, no second line', async () => {
  const board = await mountBoard({ store: connectedStore() });
  const lines = linesOf(board.frame());
  assert.match(lines[0]!, /^. prod · ops@pve · live · via pve1\.example\.com:8006 · poll 2s$/);
  assert.match(lines[1]!, /^\[Tasks: /, 'the view bar follows at once');
  assert.equal(lines.length, 23);
});

test('after a failover: the endpoint now in use, and when, from which, to which and why on the second line', async () => {
  const store = connectedStore({
    endpoint: ENDPOINTS[1]!,
    failover: { at: T0 - 60_000, from: ENDPOINTS[0]!, to: ENDPOINTS[1]!, reason: 'no answer (timeout)' },
  });
  const board = await mountBoard({ store, size: { columns: 100, rows: 24 } });
  let lines = linesOf(board.frame());
  assert.match(lines[0]!, /via pve2\.example\.com:8006/);
  assert.equal(lines[1], `failover ${clockText(T0 - 60_000)}: pve1.example.com:8006 → pve2.example.com:8006 (no answer (timeout))`);
  assert.equal(lines.length, 23, 'the list gave up one line for it');
  // Beside a node banner, the failover follows it on the same line.
  store.getState().update((tx) => tx.setNode('pve3', { online: false, error: { message: '595 No route to host', since: T0 - 5000 } }));
  await board.press();
  lines = linesOf(board.frame());
  assert.match(lines[1]!, /^! unreachable: pve3 since \d\d:\d\d:\d\d \(5s: 595 No route to host\) · failover \d\d:\d\d:\d\d: pve1/);
  assert.ok(lines.every((line) => line.length <= 100));
});

test('ASCII: the failover arrow is ASCII too', async () => {
  const store = connectedStore({ failover: { at: T0, from: ENDPOINTS[0]!, to: ENDPOINTS[1]!, reason: 'connection refused' } });
  const board = await mountBoard({ store, ascii: true, size: { columns: 100, rows: 24 } });
  assert.match(linesOf(board.frame())[1]!, /pve1\.example\.com:8006 -> pve2\.example\.com:8006 \(connection refused\)$/);
});

test('no endpoint answers: one banner for the connection, not one per node, and the row blames nobody', async () => {
  const store = connectedStore();
  const key = addTask(store, { vmid: 100, node: 'pve2' });
  const board = await mountBoard({ store, size: { columns: 140, rows: 24 } });
  // A node banner from before the outage...
  store.getState().update((tx) => {
    tx.setNode('pve2', { online: false, error: { message: '595 Connection refused', since: T0 - 40_000 } });
    tx.setConnection({ endpoint: ENDPOINTS[0]!, endpoints: ENDPOINTS, outage: { since: T0 - 30_000, reason: 'connection refused' } });
  });
  await board.press();
  const lines = linesOf(board.frame());
  assert.equal(
    lines[1],
    `! cannot reach the API at ${ENDPOINTS.join(', ')}, retrying (since ${clockText(T0 - 30_000)}): connection refused`,
  );
  assert.equal(lines.filter((line) => line.includes('unreachable')).length, 0, '...gives way to the one banner');
  assert.equal(store.getState().row(key)!.pollError, undefined);
  // Narrower, the time and the cause stay; the other endpoints are counted, then only counted.
  await board.resize(110, 24);
  assert.equal(
    linesOf(board.frame())[1]!,
    `! cannot reach the API at pve1.example.com:8006 and 2 more, retrying (since ${clockText(T0 - 30_000)}): connection refused`,
  );
  await board.resize(80, 24);
  assert.match(
    linesOf(board.frame())[1]!,
    new RegExp(`^! cannot reach the API \\(3 endpoints\\), retrying \\(since ${clockText(T0 - 30_000)}\\): connection ref…$`),
  );
  // The outage is over: the line goes.
  store.getState().update((tx) => {
    tx.setConnection({ endpoint: ENDPOINTS[0]!, endpoints: ENDPOINTS });
    tx.setNode('pve2', { online: true });
  });
  await board.press();
  assert.match(linesOf(board.frame())[1]!, /^\[Tasks: /);
});
