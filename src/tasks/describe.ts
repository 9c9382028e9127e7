/**
 * Human task descriptions, worded as the PVE web UI words them (proxmox-widget-toolkit
 * `format_task_description` with pve-manager's product table): `[subject, action]` renders as
 * `"<subject> <id> - <action>"` when both a subject and an id are present, else as `action`; an entry that
 * is a function builds the text itself; an unknown type renders as `"<type> <id>"`.
 */

type Describer = readonly [subject: string, action: string] | ((id: string) => string);

const VM = (action: string) => ['VM', action] as const;
const CT = (action: string) => ['CT', action] as const;
const HA = (action: string) => ['HA', action] as const;
const GUEST = (action: string) => ['VM/CT', action] as const;
const PLAIN = (action: string) => ['', action] as const;

const DESCRIPTIONS: Readonly<Record<string, Describer>> = {
  // VMs
  qmstart: VM('Start'),
  qmstop: VM('Stop'),
  qmshutdown: VM('Shutdown'),
  qmreboot: VM('Reboot'),
  qmreset: VM('Reset'),
  qmpause: VM('Pause'),
  qmsuspend: VM('Hibernate'),
  qmresume: VM('Resume'),
  qmsnapshot: VM('Snapshot'),
  qmdelsnapshot: VM('Delete Snapshot'),
  qmrollback: VM('Rollback'),
  qmigrate: VM('Migrate'),
  qmclone: VM('Clone'),
  qmcreate: VM('Create'),
  qmdestroy: VM('Destroy'),
  qmrestore: VM('Restore'),
  qmmove: VM('Move disk'),
  qmtemplate: VM('Convert to template'),
  qmconfig: VM('Configure'),
  // Containers
  vzstart: CT('Start'),
  vzstop: CT('Stop'),
  vzshutdown: CT('Shutdown'),
  vzreboot: CT('Reboot'),
  vzsuspend: CT('Suspend'),
  vzresume: CT('Resume'),
  vzsnapshot: CT('Snapshot'),
  vzdelsnapshot: CT('Delete Snapshot'),
  vzrollback: CT('Rollback'),
  vzmigrate: CT('Migrate'),
  vzclone: CT('Clone'),
  vzcreate: CT('Create'),
  vzdestroy: CT('Destroy'),
  vzrestore: CT('Restore'),
  vztemplate: CT('Convert to template'),
  vzmount: CT('Mount'),
  vzumount: CT('Unmount'),
  move_volume: CT('Move Volume'),
  pull_file: CT('Pull file'),
  push_file: CT('Push file'),
  // HA-managed guests
  hastart: HA('Start'),
  hastop: HA('Stop'),
  hashutdown: HA('Shutdown'),
  hamigrate: HA('Migrate'),
  // Either kind of guest
  vzdump: (id) => (id ? `VM/CT ${id} - Backup` : 'Backup Job'),
  resize: GUEST('Resize'),
  vncproxy: GUEST('Console'),
  spiceproxy: GUEST('Console (Spice)'),
  'pbs-download': GUEST('File Restore Download'),
  // Bulk actions, old per-node names and the newer cluster-wide ones
  startall: PLAIN('Bulk start VMs and Containers'),
  'bulk-start': PLAIN('Bulk start VMs and Containers'),
  stopall: PLAIN('Bulk shutdown VMs and Containers'),
  'bulk-shutdown': PLAIN('Bulk shutdown VMs and Containers'),
  // The web UI reuses the shutdown wording for bulk-suspend.
  'bulk-suspend': PLAIN('Bulk shutdown VMs and Containers'),
  suspendall: PLAIN('Suspend all VMs'),
  migrateall: PLAIN('Bulk migrate VMs and Containers'),
  'bulk-migrate': PLAIN('Bulk migrate VMs and Containers'),
  // Node and storage
  aptupdate: PLAIN('Update package database'),
  srvstart: ['SRV', 'Start'],
  srvstop: ['SRV', 'Stop'],
  srvrestart: ['SRV', 'Restart'],
  srvreload: ['SRV', 'Reload'],
  vncshell: PLAIN('Shell'),
  spiceshell: PLAIN('Shell (Spice)'),
  termproxy: PLAIN('Console (xterm.js)'),
  imgcopy: PLAIN('Copy data'),
  imgdel: PLAIN('Erase data'),
  unknownimgdel: PLAIN('Destroy image from unknown guest'),
  download: ['File', 'Download'],
  diskinit: ['Disk', 'Initialize Disk with GPT'],
  wipedisk: ['Device', 'Wipe Disk'],
  dircreate: ['Directory Storage', 'Create'],
  dirremove: ['Directory', 'Remove'],
  lvmcreate: ['LVM Storage', 'Create'],
  lvmremove: ['Volume Group', 'Remove'],
  lvmthincreate: ['LVM-Thin Storage', 'Create'],
  lvmthinremove: ['Thinpool', 'Remove'],
  zfscreate: ['ZFS Storage', 'Create'],
  zfsremove: ['ZFS Pool', 'Remove'],
  reloadnetworkall: PLAIN('Reload network configuration on all nodes'),
  clustercreate: PLAIN('Create Cluster'),
  clusterjoin: PLAIN('Join Cluster'),
  'auth-realm-sync': ['Realm', 'Sync'],
  'auth-realm-sync-test': ['Realm', 'Sync Preview'],
  acmenewcert: ['SRV', 'Order Certificate'],
  acmerenew: ['SRV', 'Renew Certificate'],
  acmerevoke: ['SRV', 'Revoke Certificate'],
  acmeregister: ['ACME Account', 'Register'],
  acmeupdate: ['ACME Account', 'Update'],
  acmerefresh: ['ACME Account', 'Refresh'],
  acmedeactivate: ['ACME Account', 'Deactivate'],
  cephcreatemon: ['Ceph Monitor', 'Create'],
  cephdestroymon: ['Ceph Monitor', 'Destroy'],
  cephcreatemgr: ['Ceph Manager', 'Create'],
  cephdestroymgr: ['Ceph Manager', 'Destroy'],
  cephcreatemds: ['Ceph Metadata Server', 'Create'],
  cephdestroymds: ['Ceph Metadata Server', 'Destroy'],
  cephcreateosd: ['Ceph OSD', 'Create'],
  cephdestroyosd: ['Ceph OSD', 'Destroy'],
  cephcreatepool: ['Ceph Pool', 'Create'],
  cephdestroypool: ['Ceph Pool', 'Destroy'],
  cephsetpool: ['Ceph Pool', 'Edit'],
  cephfscreate: ['CephFS', 'Create'],
  cephdestroyfs: ['CephFS', 'Destroy'],
  cephsetflags: PLAIN('Change global Ceph flags'),
};

/** The web UI's text for a task: `describeTask('qmstart', '100')` is `"VM 100 - Start"`. */
export function describeTask(type: string, id?: string | number | null): string {
  const idText = id === undefined || id === null ? '' : String(id);
  const entry = Object.hasOwn(DESCRIPTIONS, type) ? DESCRIPTIONS[type] : undefined;
  if (entry === undefined) return idText ? `${type} ${idText}` : type;
  if (typeof entry === 'function') return entry(idText);
  const [subject, action] = entry;
  return subject && idText ? `${subject} ${idText} - ${action}` : action;
}
