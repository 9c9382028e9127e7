// `pvetasks tasks` against a cluster whose task list is hostile or malformed: control sequences in every
// field, wrong types, nulls. The list is the simulator's, with bad items added where the client hands
// the answer over, so the command's own shape check and sanitizing are what is tested.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createPveClient } from '../../src/api/index.js';
import { createTasksCommand, type TaskListItem } from '../../src/cli/commands/tasks.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { fakeIo } from './fake-io.js';

const OSC52 = '\u001b]52;c;ZWNobyBwd25lZAo=\u0007';
const TITLE = '\u001b]0;pwned\u001b\\';
const CLEAR = '\u001b[2J';
/** What must never reach the terminal raw: ESC, BEL, other C0 but tab and newline, DEL, C1, bidi controls. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const HOSTILE_UPID = 'UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:';

/**
 * Items of the right shape carrying hostile text. A task's node, type, id and user are taken from its
 * UPID (format-checked), so the hostile copies of them in the item are never shown; its status is.
 */
const WELL_SHAPED = [
  {
    upid: HOSTILE_UPID,
    node: `pve1${TITLE}`,
    type: 'qmstart',
    id: `100${CLEAR}`,
    user: 'root@pam\u202e',
    starttime: 1_727_000_000,
    endtime: 1_727_000_010,
    status: `job errors${OSC52}`,
  },
];
/** Items of the wrong shape (the count is what stderr must say): skipped, never thrown. */
const MALFORMED = [
  // A status or an id of the wrong type.
  { upid: HOSTILE_UPID.replace('100', '101'), node: 'pve1', type: 'qmstart', id: 101, user: 'u@pve', starttime: '1727000001', status: 7 },
  {
    upid: HOSTILE_UPID.replace('100', '102'),
    node: 'pve1',
    type: 'qmstart',
    id: '102',
    user: 'u@pve',
    starttime: 1_727_000_002,
    status: { a: OSC52 },
  },
  // A UPID holding a control character.
  { upid: HOSTILE_UPID.replace('root@pam', `root@pam${OSC52}`), node: 'pve1', type: 'qmstart', user: 'u@pve', starttime: 1 },
  null,
  'UPID:pve1:',
  [1, 2],
  { node: 'pve1', type: 'qmstart', user: 'u@pve', starttime: 1 }, // no upid
  { upid: 42, node: 'pve1', type: 'qmstart', user: 'u@pve', starttime: 1 },
  { upid: HOSTILE_UPID, node: 'pve1', type: 'qmstart', user: 'u@pve', starttime: 'yesterday' },
  { upid: HOSTILE_UPID, node: { name: 'pve1' }, type: 'qmstart', user: 'u@pve', starttime: 1 },
];

describe('pvetasks tasks: a hostile or malformed task list', () => {
  let clock: ManualClock;
  let sim: Simulator;
  let scratch: string;

  before(async () => {
    clock = new ManualClock();
    sim = await startSimulator({ clock, seed: 5, unauthorizedDelayMs: 0 });
    scratch = mkdtempSync(join(tmpdir(), 'pvetasks-hostile-'));
    sim.control.spawnTask({ node: 'pve1', type: 'qmstart', id: '101', durationMs: Infinity });
  });
  after(async () => {
    await sim.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Runs `tasks` with the /cluster/tasks answer changed by `alter`. */
  async function run(args: string[], alter: (data: unknown[]) => unknown, { tty = false } = {}) {
    const command = createTasksCommand({
      clock,
      createClient: (options) => {
        const client = createPveClient(options);
        const get = client.GET.bind(client);
        client.GET = (async (...call: Parameters<typeof get>) => {
          const response = await get(...call);
          if (call[0] !== '/cluster/tasks') return response;
          return { ...response, data: alter(response.data as unknown[]) };
        }) as typeof client.GET;
        return client;
      },
    });
    const io = fakeIo({ env: { HOME: scratch, PROXMOX_VE_ENDPOINT: sim.url, PROXMOX_VE_API_TOKEN: sim.token }, cwd: scratch, tty });
    const code = await clock.runUntil(command(args, io));
    return { code, io, stdout: io.stdout.text, stderr: io.stderr.text };
  }
  const withBadItems = (data: unknown[]) => [...data, ...WELL_SHAPED, ...MALFORMED];

  test('malformed items are skipped and counted in one line on stderr; the rest is listed, exit 0', async () => {
    const { code, stdout, stderr } = await run([], withBadItems);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, `${MALFORMED.length} malformed items in /cluster/tasks ignored\n`);
    assert.match(stdout, /VM 101 - Start/, "the simulator's own task");
    assert.match(stdout, /VM 100 - Start/, 'the well-shaped hostile one');
  });

  test('the table (on a TTY, coloured) holds no control sequence from the server; placeholders show where', async () => {
    const { stdout } = await run([], withBadItems, { tty: true });
    const withoutOurColour = stdout.replace(/\u001b\[(?:\d+)?m/g, '');
    assert.doesNotMatch(withoutOurColour, RAW_CONTROL);
    assert.match(withoutOurColour, /ERROR: job errors\^\[/);
    assert.doesNotMatch(withoutOurColour, /pwned|ZWNob/, "the item's hostile copies of the UPID's fields are not shown");
  });

  test('--json: every line parses, holds no raw control character, and the values are sanitized', async () => {
    const { code, stdout } = await run(['--json'], withBadItems);
    assert.equal(code, 0);
    assert.doesNotMatch(stdout.replace(/\n/g, ''), RAW_CONTROL);
    const items = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as TaskListItem);
    const hostile = items.find((item) => item.upid === HOSTILE_UPID)!;
    assert.equal(hostile.node, 'pve1', "the UPID's node");
    assert.equal(hostile.exitstatus, 'job errors^[');
    assert.equal(hostile.outcome, 'failed');
    assert.equal(hostile.id, '100', "the UPID's id");
    assert.equal(hostile.user, 'root@pam');
  });

  test('an answer that is not a list: tried again, then one line and exit 1, never a stack trace', async () => {
    const { code, stdout, stderr } = await run([], () => ({ not: 'a list' }));
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.equal(stderr, 'pvetasks: cannot list tasks: unexpected answer from /cluster/tasks: not a list\n');
  });
});
