/**
 * Guest power tasks as qemu-server (QemuServer.pm `vm_start`, `_do_vm_stop`, `vm_reboot`) and
 * pve-container (LXC.pm `vm_stop`, `vm_reboot`; API2/LXC/Status.pm) run them. What the API refuses
 * before a task exists is in routes/power.ts; these are the failures PVE reports inside the task.
 */
import type { Step, TaskWorker, WorkerContext } from '../engine.js';
import { guestConfigPath, type GuestType } from '../model.js';
import { configLock, fail, guestOn, label, lockError, setRunning, setStopped } from './common.js';

export function* startGuest(ctx: WorkerContext, type: GuestType, vmid: number, node: string): TaskWorker {
  yield configLock(vmid);
  const guest = guestOn(ctx.engine.cluster, vmid, node, type);
  if (!guest) throw fail(`Configuration file '${guestConfigPath({ type, vmid }, node)}' does not exist`);
  if (guest.template) {
    throw fail(type === 'qemu' ? "you can't start a vm if it's a template" : "you can't start a CT if it's a template");
  }
  // A VM locked by its own running backup is only resumed (QemuServer.pm vm_start).
  if (type === 'qemu' && guest.lock === 'backup' && guest.status === 'running') return;
  const locked = lockError(guest);
  if (locked) throw fail(locked);
  if (guest.status === 'running') throw fail(`${label(type)} ${vmid} already running`);
  yield { sleep: ctx.rng.range(800, 3500) };
  if (guest.startFailure) {
    for (const line of guest.startFailure.lines) ctx.log(line);
    throw fail(guest.startFailure.error);
  }
  setRunning(guest, ctx.now());
}

export interface StopOptions {
  /** `stop` (hard) or `shutdown` (ACPI or guest agent). */
  how: 'stop' | 'shutdown';
  /** Seconds to wait (PVE's default 60). */
  timeout?: number;
  /** Shutdown only: stop the guest hard when the timeout passes. */
  forceStop?: boolean;
}

/** How long a guest takes to power off by itself after an ACPI request (nominal ms). */
function shutdownDuration(ctx: WorkerContext, type: GuestType, ignoresShutdown: boolean): number {
  if (ignoresShutdown) return Infinity;
  return type === 'qemu' ? ctx.rng.range(4000, 20000) : ctx.rng.range(1500, 8000);
}

export function* stopGuest(ctx: WorkerContext, type: GuestType, vmid: number, node: string, options: StopOptions): TaskWorker {
  yield configLock(vmid);
  const guest = guestOn(ctx.engine.cluster, vmid, node, type);
  if (type === 'qemu') {
    // _do_vm_stop: check_running (which needs the config here), then the lock.
    if (!guest) throw fail(`unable to find configuration file for VM ${vmid} on node '${node}'`);
    if (guest.status !== 'running') return; // stopping a stopped VM is a no-op success
  } else {
    if (!guest) throw fail(`Configuration file '${guestConfigPath({ type, vmid }, node)}' does not exist`);
    if (guest.status !== 'running') return;
  }
  const locked = lockError(guest);
  if (locked) throw fail(locked);
  if (options.how === 'stop') {
    yield { sleep: ctx.rng.range(600, 2500) };
    setStopped(guest);
    return;
  }
  const timeout = options.timeout ?? 60;
  const needed = shutdownDuration(ctx, type, guest.ignoresShutdown ?? false);
  if (needed <= timeout * 1000) {
    yield { sleep: needed };
    setStopped(guest);
    return;
  }
  yield { sleep: timeout * 1000 };
  if (type === 'qemu') {
    if (!options.forceStop) throw fail('VM quit/powerdown failed - got timeout');
    // A plain Perl warn: printed, not counted as a task warning.
    ctx.log('VM still running - terminating now with SIGTERM');
    yield { sleep: ctx.rng.range(300, 1500) };
  } else {
    if (!options.forceStop) {
      ctx.log(`command 'lxc-stop -n ${vmid} --nokill --timeout ${timeout}' failed: exit code 1`);
      throw fail('container did not stop');
    }
    // lxc-stop kills the container itself once its timeout passes.
  }
  setStopped(guest);
}

/**
 * `vm_reboot`. A container is stopped and started again inside the task (pve-container LXC.pm). A VM's
 * task only asks for the reboot and shuts it down, checking its lock as a shutdown does (qemu-server
 * QemuServer.pm `vm_reboot` -> `_do_vm_stop`): it ends with the VM down, and qmeventd starts it again
 * in a task of its own (reboot.ts).
 */
/** True when the guest went down (false: it was not running, nothing done). */
export function* rebootGuest(
  ctx: WorkerContext,
  type: GuestType,
  vmid: number,
  node: string,
  timeout?: number,
): Generator<Step, boolean, unknown> {
  yield configLock(vmid);
  const guest = guestOn(ctx.engine.cluster, vmid, node, type);
  if (!guest) throw fail(`Configuration file '${guestConfigPath({ type, vmid }, node)}' does not exist`);
  // Only a running guest reboots; one that stopped meanwhile is left alone (vm_reboot returns).
  if (guest.status !== 'running') return false;
  if (type === 'qemu') {
    const locked = lockError(guest);
    if (locked) throw fail(locked);
  }
  const limit = (timeout ?? 60) * 1000;
  const down = shutdownDuration(ctx, type, guest.ignoresShutdown ?? false);
  if (down > limit) {
    yield { sleep: limit };
    if (type === 'qemu') throw fail('VM quit/powerdown failed - got timeout');
    // Containers are killed after the timeout (vm_reboot passes kill-after-timeout) and start again.
  } else {
    yield { sleep: down };
  }
  setStopped(guest);
  if (type === 'qemu') return true;
  yield { sleep: ctx.rng.range(2000, 6000) };
  setRunning(guest, ctx.now());
  return true;
}
