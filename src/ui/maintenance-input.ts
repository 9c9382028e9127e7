/**
 * The maintenance keys of the Guests view and their dialogs' logic, no React: shut down (`S`), stop
 * hard (`K`, its confirm defaulting to No), reboot (`R`) the marked guests (or the one under the
 * cursor) through the board's confirm dialog; migrate them (`m`: a target node and whether to mirror
 * local disks, then PVE's migration check shown before anything is sent); drain the node of the guest
 * under the cursor (`D`: the plan, guest by guest, then `y` to start). What is launched is watched in
 * the Tasks view like any launch.
 */
import type { Key } from 'ink';
import type { Verdict } from '../tasks/launch-check.js';
import { clusterOfGuest } from '../tasks/cluster-view.js';
import type { LaunchRequest } from '../tasks/launch-plan.js';
import { launchTargets, say, setUi, visibleVmids, watchLaunched } from './actions.js';
import type { BoardDeps } from './context.js';
import { closeDialog, openConfirm, openDialog } from './dialog-open.js';
import { commandFor } from './keymap.js';
import type { DrainDialog, MaintenanceCommand, MaintenanceDialog, MigrateDialog } from './maintenance-state.js';
import { cursorIndex } from './visible.js';

export { isMaintenanceDialog } from './maintenance-state.js';

let nextDialogId = 1;

export function openMaintenance(deps: BoardDeps, command: MaintenanceCommand): void {
  if (command === 'drain') return openDrain(deps);
  const chosen = launchTargets(deps);
  if (!chosen) return;
  // Guest ids: VMIDs, or over several clusters the view's ids (cluster-view.ts).
  const { vmids, described: targets } = chosen;
  switch (command) {
    case 'shutdown':
      return openConfirm(deps, { type: 'launch', request: { action: 'shutdown', vmids } }, `Shut down ${targets}?`, true, vmids);
    case 'hardStop':
      return openConfirm(
        deps,
        { type: 'launch', request: { action: 'stop', vmids } },
        `Stop ${targets}: hard power-off, like pulling the plug?`,
        false,
        vmids,
      );
    case 'reboot':
      return openConfirm(deps, { type: 'launch', request: { action: 'reboot', vmids } }, `Reboot ${targets}?`, true, vmids);
    case 'migrate': {
      // A guest moves between the nodes of its own cluster.
      const { clusters } = chosen;
      if (clusters.length > 1) {
        say(deps, `migrate moves guests within their cluster: mark the guests of one (marked: ${clusters.join(', ')})`, 'error');
        return;
      }
      return openMigrate(deps, vmids, `Migrate ${targets}?`);
    }
  }
}

function openMigrate(deps: BoardDeps, vmids: readonly number[], title: string): void {
  const id = nextDialogId++;
  const dialog: MigrateDialog = {
    kind: 'migrate',
    id,
    vmids,
    title,
    nodes: { status: 'loading' },
    field: 0,
    node: 0,
    withLocalDisks: false,
  };
  openDialog(deps, dialog);
  const from = new Set(vmids.map((vmid) => deps.store.getState().guests[vmid]?.node));
  deps.actions.clusterNodes(vmids).then(
    (nodes) => {
      const online = nodes.filter((node) => node.online).map((node) => node.node);
      // The first node none of the guests is on, where there is one.
      const first = Math.max(
        0,
        online.findIndex((node) => !from.has(node)),
      );
      updateMigrate(deps, id, (current) => ({ ...current, nodes: { status: 'ready', value: online }, node: first }));
    },
    (error: unknown) => updateMigrate(deps, id, (current) => ({ ...current, nodes: { status: 'failed', message: messageOf(error) } })),
  );
}

function openDrain(deps: BoardDeps): void {
  const vmids = visibleVmids(deps);
  const { cursor } = deps.ui.getState().guests;
  const state = deps.store.getState();
  const guestId = vmids[cursorIndex(vmids, cursor)] ?? -1;
  const guest = state.guests[guestId];
  if (!guest) {
    say(deps, 'no guest under the cursor: drain takes the node of the guest under the cursor', 'error');
    return;
  }
  // Over several clusters a node is named as the view names it: `alpha/pve1`.
  const cluster = clusterOfGuest(state, guestId);
  const node = cluster ? `${cluster}/${guest.node}` : guest.node;
  const id = nextDialogId++;
  const dialog: DrainDialog = {
    kind: 'drain',
    id,
    node,
    title: `Drain ${node}: migrate every guest off it?`,
    withLocalDisks: false,
    plan: { status: 'loading' },
  };
  openDialog(deps, dialog);
  askForPlan(deps, dialog);
}

function askForPlan(deps: BoardDeps, dialog: DrainDialog): void {
  const settle = (plan: DrainDialog['plan']) => {
    const current = deps.ui.getState().dialog;
    if (current?.kind === 'drain' && current.id === dialog.id && current.withLocalDisks === dialog.withLocalDisks) {
      setUi(deps, { dialog: { ...current, plan } });
    }
  };
  deps.actions.planDrain({ node: dialog.node, ...(dialog.withLocalDisks ? { withLocalDisks: true } : {}) }).then(
    (plan) => settle({ status: 'ready', value: plan }),
    (error: unknown) => settle({ status: 'failed', message: messageOf(error) }),
  );
}

function updateMigrate(deps: BoardDeps, id: number, change: (dialog: MigrateDialog) => MigrateDialog): void {
  const current = deps.ui.getState().dialog;
  if (current?.kind === 'migrate' && current.id === id) setUi(deps, { dialog: change(current) });
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The migration the dialog describes, once a target is known. */
export function migrateRequest(dialog: MigrateDialog): Extract<LaunchRequest, { action: 'migrate' }> | undefined {
  const target = dialog.nodes.status === 'ready' ? dialog.nodes.value[dialog.node] : undefined;
  if (!target) return undefined;
  return {
    action: 'migrate',
    vmids: dialog.vmids,
    targets: Object.fromEntries(dialog.vmids.map((vmid) => [vmid, target])),
    ...(dialog.withLocalDisks ? { withLocalDisks: true } : {}),
  };
}

export function maintenanceDialogKey(deps: BoardDeps, dialog: MaintenanceDialog, input: string, key: Key): void {
  const binding = commandFor('dialog', input, key);
  if (!binding) return;
  if (binding.command === 'cancel') {
    closeDialog(deps);
    return;
  }
  if (dialog.kind === 'migrate') migrateKey(deps, dialog, binding.command);
  else drainKey(deps, dialog, binding.command);
}

function migrateKey(deps: BoardDeps, dialog: MigrateDialog, command: string): void {
  const nodes = dialog.nodes.status === 'ready' ? dialog.nodes.value : [];
  switch (command) {
    case 'nextField':
    case 'prevField':
      setUi(deps, { dialog: { ...dialog, field: 1 - dialog.field } });
      return;
    case 'chooseNext':
    case 'choosePrev': {
      const step = command === 'chooseNext' ? 1 : -1;
      // A change of target or of local disks makes an earlier check stale.
      if (dialog.field === 1) setUi(deps, { dialog: { ...dialog, withLocalDisks: !dialog.withLocalDisks, check: undefined } });
      else if (nodes.length > 0)
        setUi(deps, { dialog: { ...dialog, node: (dialog.node + step + nodes.length) % nodes.length, check: undefined } });
      return;
    }
    case 'accept':
    case 'confirm': {
      const request = migrateRequest(dialog);
      if (!request) {
        say(deps, dialog.nodes.status === 'loading' ? 'still reading the nodes' : 'no online node to migrate to', 'error');
        return;
      }
      if (dialog.check?.status === 'ready') return launchChecked(deps, request, dialog.check.value);
      if (dialog.check?.status === 'loading') return;
      // First PVE's migration check, shown in the dialog; the next Enter sends.
      const checking: MigrateDialog = { ...dialog, check: { status: 'loading' } };
      setUi(deps, { dialog: checking });
      const same = (current: MigrateDialog) => current.node === checking.node && current.withLocalDisks === checking.withLocalDisks;
      deps.actions.checkMigration(request).then(
        (verdicts) =>
          updateMigrate(deps, dialog.id, (current) =>
            same(current) ? { ...current, check: { status: 'ready', value: verdicts } } : current,
          ),
        (error: unknown) =>
          updateMigrate(deps, dialog.id, (current) =>
            same(current) ? { ...current, check: { status: 'failed', message: messageOf(error) } } : current,
          ),
      );
      return;
    }
  }
}

function drainKey(deps: BoardDeps, dialog: DrainDialog, command: string): void {
  switch (command) {
    case 'chooseNext':
    case 'choosePrev': {
      const next: DrainDialog = { ...dialog, withLocalDisks: !dialog.withLocalDisks, plan: { status: 'loading' } };
      setUi(deps, { dialog: next });
      askForPlan(deps, next);
      return;
    }
    // A drain moves every guest of a node: only `y` starts it; Enter is no, as shown ([y/N]).
    case 'accept':
      closeDialog(deps);
      return;
    case 'confirm':
      if (dialog.plan.status !== 'ready') {
        say(deps, dialog.plan.status === 'loading' ? 'still planning the drain' : 'no plan to start', 'error');
        return;
      }
      launchChecked(deps, dialog.plan.value.request, dialog.plan.value.verdicts);
      return;
  }
}

/** Sends what was checked, then watches it in the Tasks view, as every launch from the board. */
function launchChecked(deps: BoardDeps, request: LaunchRequest, verdicts: readonly Verdict[]): void {
  closeDialog(deps);
  if (deps.actions.launch(request, { verdicts }).length > 0) watchLaunched(deps);
}
