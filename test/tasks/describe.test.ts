import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeTask } from '../../src/tasks/describe.js';

test('guest tasks read as the PVE web UI writes them', () => {
  const cases: Array<[string, string, string]> = [
    ['qmstart', '100', 'VM 100 - Start'],
    ['qmstop', '100', 'VM 100 - Stop'],
    ['qmshutdown', '100', 'VM 100 - Shutdown'],
    ['qmreboot', '100', 'VM 100 - Reboot'],
    ['qmreset', '100', 'VM 100 - Reset'],
    ['qmpause', '100', 'VM 100 - Pause'],
    ['qmsuspend', '100', 'VM 100 - Hibernate'],
    ['qmresume', '100', 'VM 100 - Resume'],
    ['qmsnapshot', '100', 'VM 100 - Snapshot'],
    ['qmdelsnapshot', '100', 'VM 100 - Delete Snapshot'],
    ['qmrollback', '100', 'VM 100 - Rollback'],
    ['qmigrate', '802', 'VM 802 - Migrate'],
    ['qmclone', '102', 'VM 102 - Clone'],
    ['qmmove', '100', 'VM 100 - Move disk'],
    ['qmtemplate', '100', 'VM 100 - Convert to template'],
    ['vzstart', '101', 'CT 101 - Start'],
    ['vzshutdown', '100', 'CT 100 - Shutdown'],
    ['vzsuspend', '101', 'CT 101 - Suspend'],
    ['vzsnapshot', '101', 'CT 101 - Snapshot'],
    ['hastart', '100', 'HA 100 - Start'],
    ['hastop', '100', 'HA 100 - Stop'],
    ['hamigrate', '100', 'HA 100 - Migrate'],
    ['vzdump', '100', 'VM/CT 100 - Backup'],
    ['vncproxy', '100', 'VM/CT 100 - Console'],
  ];
  for (const [type, id, text] of cases) assert.equal(describeTask(type, id), text);
});

test('a vzdump without an id is a backup job; bulk and node tasks have no subject', () => {
  assert.equal(describeTask('vzdump', ''), 'Backup Job');
  assert.equal(describeTask('vzdump'), 'Backup Job');
  assert.equal(describeTask('startall', ''), 'Bulk start VMs and Containers');
  assert.equal(describeTask('bulk-start', ''), 'Bulk start VMs and Containers');
  assert.equal(describeTask('stopall', ''), 'Bulk shutdown VMs and Containers');
  assert.equal(describeTask('migrateall', ''), 'Bulk migrate VMs and Containers');
  assert.equal(describeTask('suspendall', ''), 'Suspend all VMs');
  assert.equal(describeTask('aptupdate', ''), 'Update package database');
  assert.equal(describeTask('imgcopy', 'local:100/vm-100-disk-0.qcow2'), 'Copy data');
  assert.equal(describeTask('srvreload', 'networking'), 'SRV networking - Reload');
  assert.equal(describeTask('srvrestart', 'pveproxy'), 'SRV pveproxy - Restart');
});

test('a subject without an id falls back to the action; ids may be numbers', () => {
  assert.equal(describeTask('qmstart', ''), 'Start');
  assert.equal(describeTask('qmstart', 100), 'VM 100 - Start');
});

test('an unknown type reads "<type> <id>", or the type alone', () => {
  assert.equal(describeTask('fake-but-valid-type', '100'), 'fake-but-valid-type 100');
  assert.equal(describeTask('garbage_collection', ''), 'garbage_collection');
  // Object prototype names are not table entries.
  assert.equal(describeTask('constructor', '1'), 'constructor 1');
  assert.equal(describeTask('toString'), 'toString');
});
