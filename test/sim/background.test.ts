// The busy cluster's past: with `background`, the simulator starts with the last hour in its archive
// and a few tasks already running, so the demo's first frame is busy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestSim, enc, type TestSim } from './helpers.js';

interface ClusterTask {
  upid: string;
  node: string;
  type: string;
  id: string;
  user: string;
  starttime: number;
  endtime?: number;
  status?: string;
}

async function clusterTasks(t: TestSim): Promise<ClusterTask[]> {
  const reply = await t.api('/cluster/tasks');
  assert.equal(reply.status, 200);
  return reply.json.data;
}

const outcomeOf = (task: ClusterTask) =>
  task.status === undefined ? 'running' : task.status === 'OK' ? 'ok' : /^WARNINGS: \d+$/.test(task.status) ? 'warnings' : 'error';

test('history: at start the archive holds the last hour (mixed outcomes, several users) and a few tasks run', async () => {
  const t = await startTestSim({ seed: 3, background: true });
  try {
    const now = Math.floor(t.clock.now() / 1000);
    const tasks = await clusterTasks(t);
    assert.ok(tasks.length >= 30, `${tasks.length} tasks listed at once`);
    for (const task of tasks) {
      assert.ok(task.starttime <= now && task.starttime >= now - 65 * 60, `${task.upid} started within the last hour`);
      if (task.endtime !== undefined) assert.ok(task.endtime <= now && task.endtime >= task.starttime);
    }
    const outcomes = new Map<string, number>();
    for (const task of tasks) outcomes.set(outcomeOf(task), (outcomes.get(outcomeOf(task)) ?? 0) + 1);
    assert.ok((outcomes.get('ok') ?? 0) >= 15, 'mostly OK');
    assert.ok((outcomes.get('warnings') ?? 0) >= 1, 'some with warnings');
    assert.ok((outcomes.get('error') ?? 0) >= 2, 'some with errors');
    assert.ok(
      tasks.some((task) => task.status === 'job errors'),
      'a backup job that failed',
    );

    const users = new Set(tasks.map((task) => task.user));
    assert.ok(users.size >= 3, `users: ${[...users].join(', ')}`);
    assert.ok(users.has('root@pam'));

    // Running now: a backup job part-way through, and consoles.
    const running = tasks.filter((task) => task.status === undefined);
    assert.ok(running.length >= 3 && running.length <= 6, `${running.length} running`);
    const job = running.find((task) => task.type === 'vzdump');
    assert.ok(job, 'a backup job runs');
    assert.ok(
      running.some((task) => task.type === 'vncproxy'),
      'a console is open',
    );
    assert.ok(job.starttime < now, 'the running job started before now');
    const log = await t.log(job.upid);
    assert.match(log.join('\n'), /INFO: starting new backup job: vzdump/);
    assert.match(log.join('\n'), /INFO: Starting Backup of VM \d+ \(qemu\)/);

    // The history's logs are PVE's: a finished guest backup of the hour says when it ran.
    const done = tasks.find((task) => task.type === 'vzdump' && task.status === 'OK')!;
    const status = await t.api(`/nodes/${done.node}/tasks/${enc(done.upid)}/status`);
    assert.equal(status.json.data.exitstatus, 'OK');
    assert.match((await t.log(done.upid)).join('\n'), /INFO: Backup job finished successfully/);

    // And it goes on: the running job ends, new work appears.
    await t.run(t.clock.sleep(15 * 60_000));
    const later = await clusterTasks(t);
    const jobStatus = await t.api(`/nodes/${job.node}/tasks/${enc(job.upid)}/status`);
    assert.equal(jobStatus.json.data.status, 'stopped', 'the running job ended');
    assert.ok(
      later.some((task) => task.starttime > now),
      'new tasks since the start',
    );
  } finally {
    await t.close();
  }
});

test('history: the same seed gives the same history; another seed another', async () => {
  const snapshot = async (seed: number) => {
    const t = await startTestSim({ seed, background: true });
    try {
      return (await clusterTasks(t)).map((task) => `${task.upid} ${task.status ?? 'running'}`).sort();
    } finally {
      await t.close();
    }
  };
  const first = await snapshot(5);
  assert.deepEqual(await snapshot(5), first);
  assert.notDeepEqual(await snapshot(6), first);
});

test('history: none without background', async () => {
  const t = await startTestSim({ seed: 3 });
  try {
    assert.deepEqual(await clusterTasks(t), []);
  } finally {
    await t.close();
  }
});
