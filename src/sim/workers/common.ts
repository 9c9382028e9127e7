/** What the task workers share: failures, the config lock, guest lookups, migration-style log lines. */
import { TaskFailure, type WorkerContext } from '../engine.js';
import { renderHms, renderTimestamp } from '../format.js';
import type { ClusterState, GuestState, GuestType } from '../model.js';

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export const fail = (message: string) => new TaskFailure(message);

/** The per-guest config lock (`lock_config`): one guest action at a time, in request order. */
export const configLock = (vmid: number) => ({ lock: `config:${vmid}` });

/** PVE's guest_type(): `VM` for qemu, `CT` for containers (as in "VM is locked (backup)"). */
export function label(type: GuestType): string {
  return type === 'qemu' ? 'VM' : 'CT';
}

/** The guest with `vmid` if it lives on `node`. */
export function guestOn(cluster: ClusterState, vmid: number, node: string, type: GuestType): GuestState | undefined {
  const guest = cluster.guests.get(vmid);
  return guest && guest.node === node && guest.type === type ? guest : undefined;
}

/** AbstractConfig.pm `check_lock`: `VM is locked (backup)` / `CT is locked (migrate)`. */
export function lockError(guest: GuestState): string | undefined {
  return guest.lock ? `${label(guest.type)} is locked (${guest.lock})` : undefined;
}

export function setStopped(guest: GuestState): void {
  guest.status = 'stopped';
  guest.startedAt = undefined;
  // The PBS dirty bitmap lives in QEMU: it is gone once the VM stops.
  guest.pbsBitmap = undefined;
}

export function setRunning(guest: GuestState, now: number): void {
  guest.status = 'running';
  guest.startedAt = now;
}

/**
 * pve-guest-common AbstractMigrate.pm `log`: every line a migration logs itself carries a local
 * timestamp, and errors an `ERROR:` after it. Output of commands it only prints (block jobs) does not.
 */
export function migrationLog(ctx: WorkerContext) {
  const started = ctx.now();
  const stamp = () => renderTimestamp(ctx.now());
  return {
    info: (line: string) => ctx.log(`${stamp()} ${line}`),
    error: (line: string) => ctx.log(`${stamp()} ERROR: ${line}`),
    /** `HH:MM:SS` since the migration started, in nominal time. */
    elapsed: () => renderHms(((ctx.now() - started) / 1000) * ctx.engine.speed),
  };
}

/** `ssh_info_to_command` as cmd2string prints it, for the commands a migration runs on the target. */
export function sshCommand(target: string, ip: string): string {
  return (
    `/usr/bin/ssh -e none -o 'BatchMode=yes' -o 'HostKeyAlias=${target}' ` +
    `-o 'UserKnownHostsFile=/etc/pve/nodes/${target}/ssh_known_hosts' -o 'GlobalKnownHostsFile=none' root@${ip}`
  );
}

/** A UUID drawn from the timing RNG, so logs repeat for a seed. */
export function uuidFrom(ctx: WorkerContext): string {
  const hex = Array.from({ length: 32 }, () => ctx.rng.int(0, 15).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}
