/** What each task type does and logs, in PVE's formats (one module per family of tasks). */
export { migrateLxc, type LxcMigrateOptions } from './migrate-lxc.js';
export { migrateQemu, type QemuMigrateOptions } from './migrate-qemu.js';
export { haMigrate, haRequest, type HaRequest } from './ha.js';
export { startGuest, stopGuest, type StopOptions } from './power.js';
export { rebootCt, rebootVm } from './reboot.js';
export { aptUpdate, scripted, snapshotGuest, vncProxy } from './chores.js';
export { vzdump, type VzdumpPlan } from './vzdump.js';
