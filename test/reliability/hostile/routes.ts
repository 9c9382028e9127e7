/**
 * What the hostile server answers: a tiny cluster (two nodes, three guests, other users' tasks, and the
 * tasks and snapshots its POSTs start) and one table of routes, one for every endpoint pvetasks uses.
 * Each route makes its answer for the data mode it is asked in:
 * - `clean`: well-formed answers, as PVE sends them;
 * - `strings`: every string field carries every attack of attacks.ts; lists also hold items whose
 *   identity (UPID, node name, storage id) is hostile, a very long name and a 10 MB log line;
 * - `types`: a number or object where a string belongs, null items, a string where a list belongs,
 *   an object where a task id belongs; lists still hold a few good items.
 */
import { formatUpid } from '../../../src/tasks/upid.js';
import { MANUAL_CLOCK_EPOCH } from '../../../src/util/clock.js';
import { HOSTILE, HUGE_LOG_LINE, LONG_TEXT, hostile } from './attacks.js';

export type DataMode = 'clean' | 'strings' | 'types';

/** What the server remembers: the tasks and snapshots its POSTs started, and who asked. */
export interface ClusterState {
  readonly launched: Task[];
  readonly snapshots: Map<number, string[]>;
  /** The auth id in launched UPIDs. */
  user: string;
}

export const NODES = ['pve1', 'pve2'] as const;
export const GUESTS = [
  { vmid: 100, type: 'qemu', node: 'pve1', name: 'web', status: 'stopped' },
  { vmid: 101, type: 'lxc', node: 'pve2', name: 'db', status: 'stopped' },
  { vmid: 102, type: 'qemu', node: 'pve1', name: 'app', status: 'running' },
] as const;
/** The storage a backup may use in every data mode. */
export const BACKUP_STORAGE = 'backup-nfs';

const START = Math.floor(MANUAL_CLOCK_EPOCH / 1000) - 600;
const upid = (node: string, n: number, type: string, id: string, user: string) =>
  formatUpid({ node, pid: 0x1000 + n, pstart: 0xc0ffee, starttime: START + n, type, id, user });

export interface Task {
  upid: string;
  node: string;
  type: string;
  id: string;
  user: string;
  starttime: number;
  /** Undefined while running. */
  status?: (mode: DataMode) => string;
}

/** Other users' tasks, always there: one running, two finished. */
export const FOREIGN_TASKS: Task[] = [
  taskOf(upid('pve1', 1, 'qmigrate', '102', 'ops@pve')),
  taskOf(upid('pve2', 2, 'vzdump', '101', 'backup@pam'), (mode) => (mode === 'clean' ? 'OK' : hostile('job errors'))),
  taskOf(upid('pve1', 3, 'qmstart', '100', 'root@pam'), () => 'OK'),
];

function taskOf(id: string, status?: Task['status']): Task {
  const [, node, , , start, type, worker, user] = id.split(':');
  return { upid: id, node: node!, type: type!, id: worker!, user: user!, starttime: parseInt(start!, 16), ...(status ? { status } : {}) };
}

/** What a route's answer is made from. */
export interface Ask {
  mode: DataMode;
  params: Record<string, string>;
  query: URLSearchParams;
  body: URLSearchParams;
  /** `clean`, or followed by every attack in the strings mode. */
  text(clean: string): string;
  state: ClusterState;
}

/** PVE's `{data}` (with `total` for lists that page). */
export type Answer = { data: unknown; total?: unknown };

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  answer(ask: Ask): Answer;
}

const data = (value: unknown): Answer => ({ data: value });

/** Items every list of the strings mode adds: identities no client may take (controls in UPID and node). */
const HOSTILE_TASK_ITEMS = [
  { upid: hostile('UPID:pve1:00001234:00C0FFEE:6745A000:qmstart:100:root@pam:'), node: 'pve1', type: 'qmstart', user: 'root@pam' },
  { upid: `UPID:pve1:00001235:00C0FFEE:6745A000:qmstart:100:root@pam${HOSTILE.replace(/[\s:/]/g, '')}:`, node: 'pve1' },
];
/** Items every list of the types mode adds: nothing a client can read as an entry. */
const WRONG_ITEMS = [null, 7, 'UPID:pve1:', [1, 2], { upid: 42 }, { upid: { nested: HOSTILE } }];
/** And task lists: a UPID of their own, and one field a client reads of the wrong type. */
const WRONG_TASK_ITEMS = [
  { status: 7 },
  { status: { text: HOSTILE } },
  { endtime: 'soon' },
  { node: 5 },
  { user: { name: 'root@pam' } },
  { type: ['qmstart'] },
].map((wrong, n) => ({
  upid: upid('pve1', 50 + n, 'qmstart', '100', 'root@pam'),
  node: 'pve1',
  type: 'qmstart',
  user: 'root@pam',
  ...wrong,
}));

function taskItem(task: Task, ask: Ask) {
  const finished = task.status !== undefined;
  if (ask.mode === 'types') {
    // What a client reads of the right type (times as numeric strings, as some PVE versions send
    // them), everything else of the wrong type: a client must read what it needs and no more.
    return {
      upid: task.upid,
      node: task.node,
      type: task.type,
      id: task.id,
      user: task.user,
      starttime: String(task.starttime),
      pid: 'x',
      pstart: { ticks: 1 },
      saved: [1],
      ...(finished ? { status: task.status!('types'), endtime: String(task.starttime + 5) } : {}),
    };
  }
  return {
    upid: task.upid,
    node: task.node,
    type: task.type,
    id: ask.text(task.id),
    user: task.user,
    starttime: task.starttime,
    pstart: 0xc0ffee,
    saved: ask.text('1'),
    ...(finished ? { status: task.status!(ask.mode), endtime: task.starttime + 5 } : { pid: 4321 }),
  };
}

/** A task list as the mode makes it. */
function taskList(ask: Ask, tasks: Task[]): unknown[] {
  const items = list(
    ask,
    tasks.map((task) => taskItem(task, ask)),
  );
  return ask.mode === 'types' ? [...items, ...WRONG_TASK_ITEMS] : items;
}

/** A list as the mode makes it: good items, plus hostile or wrong ones. */
function list(ask: Ask, good: unknown[], hostileItems: unknown[] = HOSTILE_TASK_ITEMS): unknown[] {
  if (ask.mode === 'strings') return [...good, ...hostileItems];
  if (ask.mode === 'types') return [...good, ...WRONG_ITEMS];
  return good;
}

function logLines(ask: Ask): unknown[] {
  if (ask.mode === 'types') return [null, { n: 1, t: 5 }, { n: 2, t: 'a plain line' }, 'a string', { n: 4, t: { a: HOSTILE } }];
  const lines =
    ask.mode === 'clean'
      ? ['starting', 'TASK OK']
      : [ask.text('starting'), HUGE_LOG_LINE, ask.text('INFO: 50% done'), `TASK ERROR: ${HOSTILE}`];
  return lines.map((t, i) => ({ n: i + 1, t }));
}

/** The answer to a launch: a UPID the server then knows, its exit status given by the mode at read time. */
function launch(ask: Ask, type: string, node: string, id: string): Answer {
  const { state } = ask;
  // Its status is read as the mode is then: a hostile one in the strings mode, else OK.
  const task = taskOf(upid(node, 100 + state.launched.length, type, id, state.user), (mode) =>
    mode === 'strings' ? hostile('start failed') : 'OK',
  );
  state.launched.push(task);
  return data(task.upid);
}

const ROUTES: Route[] = [
  {
    // Newer pvetasks read it to know whether /cluster/tasks shows them their own tasks (Sys.Audit on /).
    method: 'GET',
    path: '/access/permissions',
    answer: (ask) => {
      if (ask.mode === 'types') return data({ '/': 'Sys.Audit', '/vms': [1], [HOSTILE]: null });
      const privileges = { 'Sys.Audit': 1, 'VM.PowerMgmt': 1, 'VM.Backup': 1, 'VM.Snapshot': 1, 'Datastore.AllocateSpace': 1 };
      if (ask.mode === 'clean') return data({ '/': privileges });
      return data({
        '/': { ...privileges, [hostile('Sys.Audit')]: 1 },
        [hostile('/vms')]: privileges,
        // Hostile flags on a path of its own, which still grants what a launch needs there.
        '/vms/100': { ...privileges, 'VM.Audit': HOSTILE },
      });
    },
  },
  {
    method: 'GET',
    path: '/version',
    answer: (ask) => data({ version: ask.text('8.2.4'), release: ask.text('8.2'), repoid: ask.text('faa83925') }),
  },
  {
    method: 'POST',
    path: '/access/ticket',
    answer: (ask) =>
      ask.mode === 'types'
        ? data({ ticket: 5, CSRFPreventionToken: { token: 1 }, username: ['root@pam'] })
        : data({
            ticket: `PVE:root@pam:6745A000::${ask.text('signature')}`,
            CSRFPreventionToken: '6745A000:csrf',
            username: ask.text('root@pam'),
          }),
  },
  {
    method: 'GET',
    path: '/cluster/status',
    answer: (ask) =>
      data(
        list(
          ask,
          [
            { type: 'cluster', name: ask.mode === 'types' ? { name: 'c' } : ask.mode === 'strings' ? LONG_TEXT : 'cluster', nodes: 2 },
            ...NODES.map((name) => ({ type: 'node', name, online: 1 })),
          ],
          [
            { type: 'node', name: hostile('pve9') },
            { type: 'node', name: '..' },
          ],
        ),
      ),
  },
  {
    method: 'GET',
    path: '/cluster/resources',
    answer: (ask) => {
      const guests = GUESTS.map((guest, i) =>
        ask.mode === 'types'
          ? { ...guest, name: 5, status: { s: 1 }, tags: ['a'], template: 'yes', lock: null, vmid: String(guest.vmid) }
          : {
              ...guest,
              name: i === 2 ? LONG_TEXT : ask.text(guest.name),
              status: guest.status,
              tags: ask.text('prod'),
              hastate: ask.mode === 'clean' ? undefined : ask.text('ignored'),
              // A hostile lock on the guest nobody launches: a locked guest is skipped, not sent.
              lock: ask.mode === 'clean' || i !== 2 ? undefined : ask.text('backup'),
            },
      );
      // Guests no request may be built for: a node that is a path step, or that holds controls.
      return data(
        list(ask, guests, [
          { ...GUESTS[0], vmid: 110, node: '..' },
          { ...GUESTS[0], vmid: 111, node: hostile('pve1') },
        ]),
      );
    },
  },
  {
    method: 'GET',
    path: '/cluster/tasks',
    answer: (ask) => data(taskList(ask, [...FOREIGN_TASKS, ...ask.state.launched])),
  },
  {
    method: 'GET',
    path: '/nodes',
    answer: (ask) =>
      data(
        list(
          ask,
          NODES.map((node) => ({ node, status: 'online', level: ask.mode === 'types' ? 0 : ask.text(''), maxcpu: ask.text('8') })),
          [
            { node: hostile('pve3'), status: 'online' },
            { node: '..', status: 'online' },
          ],
        ),
      ),
  },
  {
    method: 'GET',
    path: '/nodes/{node}/tasks',
    answer: (ask) => {
      const active = ask.query.get('source') === 'active';
      const tasks = [...FOREIGN_TASKS, ...ask.state.launched].filter(
        (task) => task.node === ask.params.node && (task.status === undefined) === active,
      );
      if (ask.mode === 'types' && active) return { data: 'not a list', total: 'many' };
      const items = taskList(ask, tasks);
      return { data: items, total: ask.mode === 'types' ? { n: items.length } : items.length };
    },
  },
  {
    method: 'GET',
    path: '/nodes/{node}/tasks/{upid}/status',
    answer: (ask) => {
      const task = [...FOREIGN_TASKS, ...ask.state.launched].find((known) => known.upid === ask.params.upid);
      if (!task?.status) return data({ status: 'running', upid: ask.params.upid });
      if (ask.mode === 'types') return data({ status: 'stopped', exitstatus: 42 });
      return data({ status: 'stopped', exitstatus: task.status(ask.mode), upid: task.upid, node: task.node, type: ask.text(task.type) });
    },
  },
  {
    method: 'GET',
    path: '/nodes/{node}/tasks/{upid}/log',
    answer: (ask) => {
      const lines = logLines(ask);
      const start = Number(ask.query.get('start') ?? 0);
      const limit = Number(ask.query.get('limit') ?? 0) || lines.length;
      return { data: lines.slice(start, start + limit), total: ask.mode === 'types' ? 'lots' : lines.length };
    },
  },
  { method: 'DELETE', path: '/nodes/{node}/tasks/{upid}', answer: (ask) => data(ask.mode === 'types' ? { stopped: true } : ask.text('')) },
  {
    method: 'GET',
    path: '/nodes/{node}/storage',
    answer: (ask) =>
      data(
        list(
          ask,
          [{ storage: BACKUP_STORAGE, active: 1, enabled: 1, content: ask.text('backup'), type: ask.text('nfs') }],
          [
            { storage: hostile('local'), active: 1 },
            { storage: '../../etc', active: 1 },
          ],
        ),
      ),
  },
  {
    method: 'GET',
    path: '/nodes/{node}/{kind}/{vmid}/snapshot',
    answer: (ask) => {
      if (ask.mode === 'types') return data({ name: 'current' });
      const made = ask.state.snapshots.get(Number(ask.params.vmid)) ?? [];
      const names = ['current', ...made].map((name) => ({ name, description: ask.text('a snapshot') }));
      return data(list(ask, names, [{ name: hostile('pre-upgrade'), description: HOSTILE }]));
    },
  },
  {
    method: 'POST',
    path: '/nodes/{node}/{kind}/{vmid}/snapshot',
    answer: (ask) => {
      const vmid = Number(ask.params.vmid);
      ask.state.snapshots.set(vmid, [...(ask.state.snapshots.get(vmid) ?? []), ask.body.get('snapname') ?? '']);
      if (ask.mode === 'types') return data(12345);
      return launch(ask, ask.params.kind === 'qemu' ? 'qmsnapshot' : 'vzsnapshot', ask.params.node!, ask.params.vmid!);
    },
  },
  {
    method: 'POST',
    path: '/nodes/{node}/{kind}/{vmid}/status/start',
    answer: (ask) =>
      ask.mode === 'types'
        ? data({ upid: 'UPID:pve1:' })
        : launch(ask, ask.params.kind === 'qemu' ? 'qmstart' : 'vzstart', ask.params.node!, ask.params.vmid!),
  },
  {
    method: 'POST',
    path: '/nodes/{node}/vzdump',
    answer: (ask) => {
      if (ask.mode === 'types') return data(null);
      // A UPID-like answer whose user field holds controls: no client may take it for a task id.
      if (ask.mode === 'strings') return data(`UPID:${ask.params.node}:00001236:00C0FFEE:6745A000:vzdump::root@pam\u202e\u001b]0;x\u0007:`);
      const vmids = ask.body.get('vmid') ?? '';
      return launch(ask, 'vzdump', ask.params.node!, vmids.includes(',') ? '' : vmids);
    },
  },
];

/** The route for a request (its path without /api2/json), with its path parameters. */
const MATCHERS = ROUTES.map((route) => ({
  route,
  pattern: new RegExp(`^${route.path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`),
}));

export function findRoute(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
  for (const { route, pattern } of MATCHERS) {
    const match = route.method === method ? pattern.exec(path) : null;
    if (match) return { route, params: { ...match.groups } };
  }
  return undefined;
}
