/**
 * What differs between the PVE majors the simulator speaks (chosen per simulated cluster): the
 * version it reports, block-job names, log lines that only one of them prints, and endpoints only one
 * of them has. Everything else is common to PVE 8 and 9.
 */
export type PveMajor = 8 | 9;

export interface Dialect {
  major: PveMajor;
  /** `GET /version`. */
  version: { version: string; release: string; repoid: string };
  /**
   * The block-job id of a drive's mirror: `drive-scsi0` with drive-mirror (qemu-server 8,
   * QemuServer.pm `qemu_drive_mirror`), `mirror-scsi0` with blockdev-mirror (qemu-server 9,
   * QemuServer/BlockJob.pm `blockdev_mirror`: `my $jobid = "mirror-$drive_id"`).
   */
  mirrorJob(drive: string): string;
  /**
   * PVE 9 migrates conntrack state on request and otherwise warns in `prepare` (QemuMigrate.pm: "conntrack
   * state migration not supported or disabled, active connections might get dropped"); PVE 8 has no such line.
   */
  conntrackWarning: boolean;
  /** `GET /nodes/{node}/lxc/{vmid}/migrate` exists from pve-container 6 (PVE 9, commit 5ed4af5). */
  lxcMigratePrecondition: boolean;
  /** PVE 9's qemu migrate precondition adds `has-dbus-vmstate`. */
  hasDbusVmstate: boolean;
  /** The Debian release the nodes run (apt update lines). */
  debian: 'bookworm' | 'trixie';
  /** status/current of a running VM. */
  machine: string;
  qemuVersion: string;
}

const DIALECTS: Record<PveMajor, Dialect> = {
  8: {
    major: 8,
    version: { version: '8.4.1', release: '8.4', repoid: '2a5fa54a8503f96d' },
    mirrorJob: (drive) => `drive-${drive}`,
    conntrackWarning: false,
    lxcMigratePrecondition: false,
    hasDbusVmstate: false,
    debian: 'bookworm',
    machine: 'pc-i440fx-9.2+pve1',
    qemuVersion: '9.2.0',
  },
  9: {
    major: 9,
    version: { version: '9.1.1', release: '9.1', repoid: '42d1c1a5b7e3f9d0' },
    mirrorJob: (drive) => `mirror-${drive}`,
    conntrackWarning: true,
    lxcMigratePrecondition: true,
    hasDbusVmstate: true,
    debian: 'trixie',
    machine: 'pc-q35-10.0+pve1',
    qemuVersion: '10.0.2',
  },
};

export function dialectFor(major: PveMajor): Dialect {
  const dialect = DIALECTS[major];
  if (!dialect) throw new Error(`pveVersion must be 8 or 9, not ${String(major)}`);
  return dialect;
}
