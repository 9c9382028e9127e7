/**
 * The API endpoints: paths, which node a call is proxied to, and handlers returning PVE's shapes
 * (`{data}`, `total` when truthy). Handlers run after authentication, proxying and parameter checks.
 */
import type { PveMajor } from '../dialect.js';
import { permissions } from './access.js';
import { vzdumpAction } from './backup.js';
import { clusterResources, clusterStatus, nodeStorage, nodesIndex, version } from './cluster.js';
import type { Route } from './common.js';
import { guestCurrent, guestList, snapshotCreate, snapshotList } from './guests.js';
import { lxcPrecondition, migrate, qemuPrecondition } from './migrate.js';
import { rebootAction, startAction, stopAction } from './power.js';
import { clusterTasks, nodeTasks, stopTask, taskLog, taskStatus } from './tasks.js';

export { ApiError, type ApiResult, type RawResponse, type Route, type RouteContext } from './common.js';

const audit = { path: '/vms/{vmid}', privilege: 'VM.Audit' };
const power = { path: '/vms/{vmid}', privilege: 'VM.PowerMgmt' };
const snapshot = { path: '/vms/{vmid}', privilege: 'VM.Snapshot' };
const migration = { path: '/vms/{vmid}', privilege: 'VM.Migrate' };

export const ROUTES: Route[] = [
  { method: 'GET', template: '/version', proxied: false, handler: version },
  { method: 'GET', template: '/nodes', proxied: false, handler: nodesIndex },
  { method: 'GET', template: '/cluster/resources', proxied: false, handler: clusterResources },
  { method: 'GET', template: '/cluster/status', proxied: false, check: { path: '/', privilege: 'Sys.Audit' }, handler: clusterStatus },
  { method: 'GET', template: '/cluster/tasks', proxied: false, handler: clusterTasks },
  { method: 'GET', template: '/access/permissions', proxied: false, handler: permissions },
  { method: 'GET', template: '/nodes/{node}/tasks', proxied: true, handler: nodeTasks },
  {
    method: 'GET',
    template: '/nodes/{node}/tasks/{upid}',
    proxied: false,
    handler: () => ({ data: [{ name: 'log' }, { name: 'status' }] }),
  },
  { method: 'DELETE', template: '/nodes/{node}/tasks/{upid}', proxied: true, handler: stopTask },
  { method: 'GET', template: '/nodes/{node}/tasks/{upid}/status', proxied: true, handler: taskStatus },
  { method: 'GET', template: '/nodes/{node}/tasks/{upid}/log', proxied: true, handler: taskLog },
  { method: 'GET', template: '/nodes/{node}/qemu', proxied: true, handler: guestList('qemu') },
  { method: 'GET', template: '/nodes/{node}/lxc', proxied: true, handler: guestList('lxc') },
  { method: 'GET', template: '/nodes/{node}/qemu/{vmid}/status/current', proxied: true, check: audit, handler: guestCurrent('qemu') },
  { method: 'GET', template: '/nodes/{node}/lxc/{vmid}/status/current', proxied: true, check: audit, handler: guestCurrent('lxc') },
  { method: 'POST', template: '/nodes/{node}/qemu/{vmid}/status/start', proxied: true, check: power, handler: startAction('qemu') },
  { method: 'POST', template: '/nodes/{node}/qemu/{vmid}/status/stop', proxied: true, check: power, handler: stopAction('qemu', 'stop') },
  {
    method: 'POST',
    template: '/nodes/{node}/qemu/{vmid}/status/shutdown',
    proxied: true,
    check: power,
    handler: stopAction('qemu', 'shutdown'),
  },
  { method: 'POST', template: '/nodes/{node}/qemu/{vmid}/status/reboot', proxied: true, check: power, handler: rebootAction('qemu') },
  { method: 'POST', template: '/nodes/{node}/lxc/{vmid}/status/start', proxied: true, check: power, handler: startAction('lxc') },
  { method: 'POST', template: '/nodes/{node}/lxc/{vmid}/status/stop', proxied: true, check: power, handler: stopAction('lxc', 'stop') },
  {
    method: 'POST',
    template: '/nodes/{node}/lxc/{vmid}/status/shutdown',
    proxied: true,
    check: power,
    handler: stopAction('lxc', 'shutdown'),
  },
  { method: 'POST', template: '/nodes/{node}/lxc/{vmid}/status/reboot', proxied: true, check: power, handler: rebootAction('lxc') },
  { method: 'POST', template: '/nodes/{node}/vzdump', proxied: true, handler: vzdumpAction },
  { method: 'GET', template: '/nodes/{node}/qemu/{vmid}/snapshot', proxied: true, check: audit, handler: snapshotList('qemu') },
  { method: 'POST', template: '/nodes/{node}/qemu/{vmid}/snapshot', proxied: true, check: snapshot, handler: snapshotCreate('qemu') },
  { method: 'GET', template: '/nodes/{node}/lxc/{vmid}/snapshot', proxied: true, check: audit, handler: snapshotList('lxc') },
  { method: 'POST', template: '/nodes/{node}/lxc/{vmid}/snapshot', proxied: true, check: snapshot, handler: snapshotCreate('lxc') },
  { method: 'GET', template: '/nodes/{node}/qemu/{vmid}/migrate', proxied: true, check: migration, handler: qemuPrecondition },
  { method: 'POST', template: '/nodes/{node}/qemu/{vmid}/migrate', proxied: true, check: migration, handler: migrate('qemu') },
  {
    method: 'GET',
    template: '/nodes/{node}/lxc/{vmid}/migrate',
    proxied: true,
    check: migration,
    since: 9,
    handler: lxcPrecondition,
  },
  { method: 'POST', template: '/nodes/{node}/lxc/{vmid}/migrate', proxied: true, check: migration, handler: migrate('lxc') },
  { method: 'GET', template: '/nodes/{node}/storage', proxied: true, handler: nodeStorage },
];

/** Paths served without authentication (handled by the server: login and its GET). */
export const TICKET_PATH = '/access/ticket';

interface CompiledRoute {
  route: Route;
  segments: string[];
}

const compiled: CompiledRoute[] = ROUTES.map((route) => ({ route, segments: route.template.split('/').slice(1) }));

export interface RouteMatch {
  route: Route;
  pathParams: Record<string, string>;
}

/** Finds the route for a method and a path below /api2/json (segments already percent-decoded) in a PVE major. */
export function matchRoute(method: string, segments: string[], major: PveMajor): RouteMatch | undefined {
  for (const { route, segments: pattern } of compiled) {
    if (route.method !== method || pattern.length !== segments.length) continue;
    if (route.since !== undefined && major < route.since) continue;
    const pathParams: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length; i++) {
      const part = pattern[i]!;
      if (part.startsWith('{')) pathParams[part.slice(1, -1)] = segments[i]!;
      else if (part !== segments[i]) {
        ok = false;
        break;
      }
    }
    if (ok) return { route, pathParams };
  }
  return undefined;
}

/** The route template a path would have under any method (for 501 and counters). */
export function templateFor(segments: string[]): string | undefined {
  for (const { route, segments: pattern } of compiled) {
    if (pattern.length !== segments.length) continue;
    if (pattern.every((part, i) => part.startsWith('{') || part === segments[i])) return route.template;
  }
  return undefined;
}
