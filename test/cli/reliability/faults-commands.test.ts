// The fault suite on the commands' path: `wait` and `start` run in-process against the simulator while
// it misbehaves, on one ManualClock. Each scenario: no crash, one finished event per target, the
// summary's tallies right, and every outcome what the cluster really did once the fault cleared.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLaunchCommand } from '../../../src/cli/commands/launch.js';
import { createWaitCommand } from '../../../src/cli/commands/wait.js';
import type { FaultInput } from '../../../src/sim/index.js';
import type { ManualClock } from '../../../src/util/clock.js';
import {
  assertCleanStderr,
  at,
  eventsOf,
  faultWindow,
  ioFor,
  MINUTE,
  SECOND,
  spawnBatch,
  startCluster,
  tally,
  type Simulator,
} from '../../reliability/helpers.js';

interface Scenario {
  name: string;
  faults: FaultInput[];
  /** When the faults start (clock ms after the command starts); 0: before it connects. */
  fromMs?: number;
  /** How long they last. */
  forMs: number;
  /** Configure every node as an endpoint. */
  allEndpoints?: boolean;
  /** Ticket login instead of the token. */
  password?: boolean;
  /** Something else that happens mid-run. */
  during?: (sim: Simulator) => void;
}

const SCENARIOS: Scenario[] = [
  { name: '20 % of requests answer 500', faults: ['error500=0.2'], forMs: 3 * MINUTE },
  { name: '2 s added to every request', faults: ['latency=2000'], forMs: 3 * MINUTE },
  { name: 'a node offline (refusing at once), then back', faults: ['offline=pve2:refuse'], fromMs: 5 * SECOND, forMs: 90 * SECOND },
  { name: 'a node offline (timing out slowly), then back', faults: ['offline=pve3:timeout'], fromMs: 5 * SECOND, forMs: 2 * MINUTE },
  {
    name: 'the node we are connected to goes away; the next endpoint carries on',
    faults: ['offline=pve1:timeout'],
    fromMs: 5 * SECOND,
    forMs: 2 * MINUTE,
    allEndpoints: true,
  },
  {
    name: "the connected node's API refuses connections; the next endpoint carries on",
    faults: ['listener-down=pve1'],
    fromMs: 5 * SECOND,
    forMs: 2 * MINUTE,
    allEndpoints: true,
  },
  { name: 'connections dropped mid-response', faults: ['drop=0.3'], forMs: 3 * MINUTE },
  {
    name: 'responses slower than the client timeout',
    faults: ['slow=40000@pve1'],
    fromMs: 5 * SECOND,
    forMs: 2 * MINUTE,
    allEndpoints: true,
  },
  { name: 'malformed JSON', faults: ['malformed=0.3'], forMs: 3 * MINUTE },
  { name: 'a ticket expiring mid-run', faults: [], forMs: 0, password: true, during: (sim) => sim.control.expireTickets() },
];

async function armed(sim: Simulator, clock: ManualClock, scenario: Scenario): Promise<void> {
  if (scenario.faults.length > 0) {
    if (!scenario.fromMs) await faultWindow(sim, clock, scenario.faults, scenario.forMs);
    else at(clock, scenario.fromMs, () => faultWindow(sim, clock, scenario.faults, scenario.forMs));
  }
  if (scenario.during) at(clock, 30 * SECOND, () => scenario.during!(sim));
}

describe('wait under faults', () => {
  for (const scenario of SCENARIOS) {
    test(scenario.name, async () => {
      const { sim, clock } = await startCluster();
      try {
        const tasks = spawnBatch(sim, 12);
        const io = ioFor(sim, { allEndpoints: scenario.allEndpoints, password: scenario.password });
        await armed(sim, clock, scenario);
        const code = await clock.runUntil(
          createWaitCommand({ clock })([...tasks.map((task) => task.upid), '--json', '--timeout', '10m'], io),
        );
        assertCleanStderr(io.stderr.text);
        const { finished, summary } = eventsOf(io);
        assert.equal(finished.length, tasks.length, `one finished event per UPID\n${io.stderr.text}`);
        assert.equal(new Set(finished.map((event) => event.upid)).size, tasks.length, 'no UPID reported twice');
        for (const task of tasks) {
          const event = finished.find((item) => item.upid === task.upid)!;
          assert.equal(event.outcome, task.expected, `${task.upid} ended ${task.exitStatus}`);
          if (task.expected !== 'unknown') assert.equal(event.exitstatus, task.exitStatus);
        }
        const { event: _, ...counts } = summary;
        assert.deepEqual(counts, tally(tasks.map((task) => task.expected)));
        assert.equal(code, 1, 'a failed task: exit 1');
      } finally {
        await sim.close();
      }
    });
  }
});

describe('start under faults', () => {
  for (const scenario of SCENARIOS) {
    test(scenario.name, async () => {
      const { sim, clock } = await startCluster({ guests: 60 });
      try {
        const guests = sim.control
          .guests({ status: 'stopped' })
          .filter((guest) => guest.roles.length === 0 && !guest.template && !guest.hastate)
          .slice(0, 10);
        assert.equal(guests.length, 10);
        assert.equal(new Set(guests.map((guest) => guest.node)).size, 3);
        const io = ioFor(sim, { allEndpoints: scenario.allEndpoints, password: scenario.password });
        await armed(sim, clock, scenario);
        const code = await clock.runUntil(
          createLaunchCommand('start', { clock })(
            [...guests.map((guest) => String(guest.vmid)), '--json', '--parallel', '2', '--timeout', '10m'],
            io,
          ),
        );
        assertCleanStderr(io.stderr.text);
        const { finished, summary } = eventsOf(io);
        assert.equal(finished.length, guests.length, `one finished event per guest\n${io.stderr.text}`);
        assert.equal(new Set(finished.map((event) => event.vmid)).size, guests.length, 'no guest reported twice');
        const outcomes: string[] = [];
        for (const guest of guests) {
          const event = finished.find((item) => item.vmid === guest.vmid)!;
          const started = sim.control.tasks({ id: String(guest.vmid) }).filter((task) => /start$/.test(task.type));
          assert.ok(started.length <= 1, `guest ${guest.vmid} started ${started.length} times`);
          sim.control.settle();
          if (started.length === 1) {
            assert.equal(event.upid, started[0]!.upid);
            assert.equal(event.outcome, 'ok', `guest ${guest.vmid}: ${JSON.stringify(event)}`);
            assert.equal(sim.control.guest(guest.vmid)!.status, 'running');
          } else {
            // Refused (a 500 before anything happened): failed with PVE's reason. Sent without an
            // answer and not found on its node: unknown, never sent again.
            assert.ok(['failed', 'unknown'].includes(String(event.outcome)), `guest ${guest.vmid}: ${JSON.stringify(event)}`);
            assert.equal(event.upid, null);
            assert.ok(String(event.message).length > 0);
            assert.equal(sim.control.guest(guest.vmid)!.status, 'stopped');
          }
          outcomes.push(String(event.outcome));
        }
        const { event: _, ...counts } = summary;
        assert.deepEqual(counts, tally(outcomes));
        assert.equal(code, outcomes.every((outcome) => outcome === 'ok') ? 0 : 1);
      } finally {
        await sim.close();
      }
    });
  }
});

describe('passing failures at the worst moment', () => {
  test("the command's first reads meet 500s, then garbled answers: they are tried again and the command goes on", async () => {
    const { sim, clock } = await startCluster();
    try {
      const [task] = spawnBatch(sim, 1);
      for (const fault of ['error500=1', 'malformed=1']) {
        const io = ioFor(sim);
        await faultWindow(sim, clock, [fault], 2_500);
        const code = await clock.runUntil(createWaitCommand({ clock })([task!.upid, '--json'], io));
        assert.equal(code, 0, `${fault}: ${io.stderr.text}`);
        assert.equal(eventsOf(io).finished[0]!.outcome, 'ok');
      }
    } finally {
      await sim.close();
    }
  });

  test('a start whose answer is cut while its node cannot be asked: looked up again until found, followed to its end, sent once', async () => {
    const { sim, clock } = await startCluster({ guests: 60 });
    try {
      const guest = sim.control.guestWithRole('stoppedQemu');
      const io = ioFor(sim);
      const { createPveClient } = await import('../../../src/api/index.js');
      const run = createLaunchCommand('start', {
        clock,
        createClient: (options) => {
          const client = createPveClient(options);
          const post = client.POST.bind(client);
          // From the POST on, every answer is cut mid-way for 5 s: the start's and the lookups'.
          client.POST = (async (...args: Parameters<typeof post>) => {
            await faultWindow(sim, clock, ['drop=1'], 5 * SECOND);
            return post(...args);
          }) as typeof client.POST;
          return client;
        },
      });
      const code = await clock.runUntil(run([String(guest.vmid), '--json'], io));
      assert.equal(code, 0, io.stderr.text);
      const started = sim.control.tasks({ id: String(guest.vmid), type: 'qmstart' });
      assert.equal(started.length, 1, 'started once');
      const [finished] = eventsOf(io).finished;
      assert.equal(finished!.upid, started[0]!.upid);
      assert.equal(finished!.outcome, 'ok');
    } finally {
      await sim.close();
    }
  });
});
