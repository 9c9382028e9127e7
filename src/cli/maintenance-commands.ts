/**
 * The maintenance commands' help and options for the command table (command-table.ts wraps each in
 * launchCommand, which adds the options every launch command shares): shutdown, stop, reboot, migrate,
 * drain. Data only: the table imports it, never the other way round.
 */

/** PVE's own wait for a guest to shut down, handed to it (seconds); distinct from our --timeout. */
const SHUTDOWN_TIMEOUT = {
  'shutdown-timeout': {
    type: 'string',
    arg: 'SECONDS',
    help: "how long PVE waits for the guest to shut down (PVE's timeout; its default 60), e.g. 180 or 3m",
  },
} as const;
const MIGRATION = {
  'with-local-disks': { type: 'boolean', help: "mirror a running VM's local disks to the target (live storage migration)" },
  'shutdown-timeout': {
    type: 'string',
    arg: 'SECONDS',
    help: "containers: how long PVE waits for the shutdown before it moves one (PVE's timeout; its default 180)",
  },
} as const;
const MAINTENANCE_NOTE =
  'A guest already in the wanted state, a template, a guest with a task in flight or on an offline node is skipped, ' +
  'with the reason; one the credentials may not act on is refused, naming the privilege. An HA-managed guest goes ' +
  'through the HA stack and counts once it is where it should be.';

export const MAINTENANCE = {
  shutdown: {
    summary: 'shut guests down cleanly and wait until each is stopped',
    description:
      'Shut guests down cleanly (ACPI, or the guest agent) and wait until /cluster/resources shows each stopped. ' +
      '--shutdown-timeout is handed to PVE (how long it waits for the guest); --force-stop then stops it hard. ' +
      MAINTENANCE_NOTE,
    timeoutHelp: 'stop waiting for a task after this long (default 2m plus --shutdown-timeout; it keeps running on the server)',
    options: {
      ...SHUTDOWN_TIMEOUT,
      'force-stop': { type: 'boolean', help: "stop the guest hard when it has not shut down within PVE's timeout (forceStop)" },
    },
    examples: [
      ['shut two guests down, giving each 3 minutes, then power it off', 'pvetasks shutdown 101 102 --shutdown-timeout 180 --force-stop'],
    ],
  },
  stop: {
    summary: 'power guests off hard and wait until each is stopped',
    description:
      'Stop guests at once: a hard power-off, like pulling the plug (the guest OS gets no chance to shut down; ' +
      'use shutdown for that). OK once /cluster/resources shows each stopped. ' +
      MAINTENANCE_NOTE,
    timeoutHelp: 'stop waiting for a task after this long (default 2m; it keeps running on the server)',
    examples: [['power off a guest that hangs', 'pvetasks stop 105']],
  },
  reboot: {
    summary: 'reboot guests and wait until each runs again',
    description:
      'Reboot guests (a clean shutdown, then a start; pending changes apply) and wait until each runs again, ' +
      'with an uptime younger than the request. A guest that is not running is skipped. ' +
      MAINTENANCE_NOTE,
    timeoutHelp: 'stop waiting for a task after this long (default 2m plus --shutdown-timeout; it keeps running on the server)',
    options: { ...SHUTDOWN_TIMEOUT },
    examples: [['reboot three guests, two at a time', 'pvetasks reboot 101 102 103 --parallel 2']],
  },
  migrate: {
    summary: 'move guests to another node and wait until each is there',
    description:
      'Migrate guests to --target: a running VM live (online), a stopped one offline; a container by restart ' +
      'migration: a running CT is shut down, moved, and started again on the target (it restarts). OK once ' +
      '/cluster/resources shows each guest on the target (running again if it ran). The target must be an ' +
      "online node other than the guest's, checked before any request, and so is what PVE's migration check " +
      'would refuse (local devices, local disks of a running VM without --with-local-disks). ' +
      MAINTENANCE_NOTE,
    timeoutHelp: 'stop waiting for a task after this long (default 1h; it keeps running on the server)',
    options: {
      target: { type: 'string', arg: 'NODE', complete: 'nodes', required: true, help: 'the node the guests go to' },
      ...MIGRATION,
    },
    examples: [
      ['move three guests to pve2, mirroring local disks of running VMs', 'pvetasks migrate 101 102 103 --target pve2 --with-local-disks'],
    ],
  },
  drain: {
    summary: 'migrate every guest off a node, before an upgrade or reboot',
    operands: { usage: '<[CLUSTER:]NODE>', complete: 'cluster-nodes' },
    description:
      'Migrate every guest off NODE, spread over the other online nodes (or --to) by free memory from ' +
      '/cluster/resources (evenly by count when the credentials cannot see node memory). The plan (guest -> ' +
      'target, and every guest that stays, with why: templates, local devices, local disks without ' +
      '--with-local-disks, tasks in flight) is printed first; on a terminal it asks before anything starts, ' +
      'elsewhere --yes is needed. Running containers restart on their target. ' +
      MAINTENANCE_NOTE,
    timeoutHelp: 'stop waiting for a task after this long (default 1h; it keeps running on the server)',
    options: {
      to: {
        type: 'string',
        arg: 'NODE,...',
        multiple: true,
        complete: 'nodes',
        help: 'the nodes the guests may go to (comma-separated or repeated; default every other online node)',
      },
      ...MIGRATION,
      yes: { type: 'boolean', short: 'y', help: 'start without asking (scripts; needed without a terminal)' },
    },
    examples: [
      ['empty pve1 before its upgrade, showing the plan and asking first', 'pvetasks drain pve1'],
      ['the same from a script, onto pve2 and pve3 only, with JSON events', 'pvetasks drain pve1 --to pve2,pve3 --yes --json'],
      ['pve1 of the configured cluster east', 'pvetasks drain east:pve1'],
    ],
  },
} as const;
