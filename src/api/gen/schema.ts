/**
 * Shapes of the PVE API description (`apiSchema` of the API viewer) and the list of endpoints
 * pvetasks uses. Shared by the two generator steps.
 */

import { fileURLToPath } from 'node:url';

export type PveMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Where the full PVE API description lives: `$PVE_API_SCHEMA`, else `../shared/pve-api/` beside the
 * repository (present in development and CI; a git worktree elsewhere sets the variable).
 */
export function schemaPath(): string {
  return process.env.PVE_API_SCHEMA || fileURLToPath(new URL('../../../../shared/pve-api/pve-api-schema.json', import.meta.url));
}

/** A JSON-schema-like node as PVE's `api_dump` writes it (flags are 0/1, `optional: 1` marks optional). */
export interface PveSchema {
  type?: string;
  description?: string;
  verbose_description?: string;
  optional?: number | string | boolean;
  properties?: Record<string, PveSchema>;
  items?: PveSchema;
  enum?: unknown[];
  default?: unknown;
  minimum?: number | string;
  maximum?: number | string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string | Record<string, unknown>;
  format_description?: string;
  additionalProperties?: number | boolean | PveSchema;
  [key: string]: unknown;
}

export interface PveOperation {
  description?: string;
  name?: string;
  method?: string;
  parameters?: PveSchema;
  returns?: PveSchema;
  permissions?: unknown;
  protected?: number;
  proxyto?: string;
  allowtoken?: number;
  [key: string]: unknown;
}

export interface PveSubsetEntry {
  path: string;
  info: Partial<Record<PveMethod, PveOperation>>;
}

/** What `npm run gen:api:extract` commits: the used endpoints, verbatim from the schema. */
export interface PveSubset {
  source: string;
  endpoints: PveSubsetEntry[];
}

const guestActions = ['start', 'stop', 'shutdown', 'reboot'] as const;

/**
 * The endpoints pvetasks calls, with the methods it calls them with. Guest creation
 * (POST /nodes/{node}/qemu, /lxc) is left out on purpose: pvetasks never creates guests, and its
 * hundreds of parameters would dominate the generated types.
 */
export const USED_ENDPOINTS: Record<string, PveMethod[]> = {
  '/version': ['GET'],
  '/nodes': ['GET'],
  '/cluster/resources': ['GET'],
  '/cluster/status': ['GET'],
  '/cluster/tasks': ['GET'],
  '/nodes/{node}/tasks': ['GET'],
  '/nodes/{node}/tasks/{upid}': ['GET', 'DELETE'],
  '/nodes/{node}/tasks/{upid}/status': ['GET'],
  '/nodes/{node}/tasks/{upid}/log': ['GET'],
  '/nodes/{node}/qemu': ['GET'],
  '/nodes/{node}/lxc': ['GET'],
  ...Object.fromEntries(
    ['qemu', 'lxc'].flatMap((kind) =>
      guestActions.map((action) => [`/nodes/{node}/${kind}/{vmid}/status/${action}`, ['POST'] as PveMethod[]]),
    ),
  ),
  '/nodes/{node}/vzdump': ['POST'],
  '/nodes/{node}/qemu/{vmid}/snapshot': ['GET', 'POST'],
  '/nodes/{node}/lxc/{vmid}/snapshot': ['GET', 'POST'],
  '/nodes/{node}/qemu/{vmid}/migrate': ['GET', 'POST'],
  '/nodes/{node}/lxc/{vmid}/migrate': ['GET', 'POST'],
  '/access/permissions': ['GET'],
  '/nodes/{node}/storage': ['GET'],
  '/access/ticket': ['GET', 'POST'],
};

/** Paths whose POST starts a worker and answers with its UPID. */
export function isTaskStartingPost(path: string): boolean {
  return /\/status\/(start|stop|shutdown|reboot)$|\/vzdump$|\/snapshot$|\/migrate$/.test(path);
}
