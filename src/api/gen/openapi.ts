/**
 * Step 2 of the API type generator, as pure functions: the committed schema subset becomes an
 * OpenAPI 3.1 document (with what the PVE description leaves unsaid added, see FIXES), and that
 * document becomes TypeScript through openapi-typescript. generate.ts writes both; the staleness
 * test calls the same functions in memory.
 */
import openapiTS, { astToString } from 'openapi-typescript';
import type { OpenAPI3 } from 'openapi-typescript';
import { isTaskStartingPost, type PveMethod, type PveOperation, type PveSchema, type PveSubset } from './schema.js';

type JsonSchema = Record<string, unknown>;

const isOptional = (schema: PveSchema): boolean => schema.optional === 1 || schema.optional === '1' || schema.optional === true;

/** Where a schema is used: PVE wants 1/0 for booleans it receives, and sends 0/1 integers back. */
type Direction = 'request' | 'response';

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}

function describe(schema: PveSchema): string | undefined {
  const parts = [schema.description, schema.format_description && `Format: ${schema.format_description}.`];
  const text = parts.filter(Boolean).join(' ').trim();
  return text || undefined;
}

/** Converts one PVE schema node to JSON Schema (OpenAPI 3.1 dialect). */
export function convertSchema(schema: PveSchema, direction: Direction): JsonSchema {
  const out: JsonSchema = {};
  const description = describe(schema);
  let type = schema.type;
  if (!type) type = schema.properties ? 'object' : schema.items ? 'array' : undefined;

  switch (type) {
    case 'boolean':
      if (direction === 'response') {
        // "boolean" fields come back as the integers 0 and 1.
        out.type = 'integer';
        out.enum = [0, 1];
        if (schema.default === 0 || schema.default === 1) out.default = schema.default;
      } else {
        out.type = 'boolean';
        if (schema.default === 0 || schema.default === 1) out.default = schema.default === 1;
      }
      break;
    case 'integer':
    case 'number': {
      out.type = type;
      const minimum = toNumber(schema.minimum);
      const maximum = toNumber(schema.maximum);
      if (minimum !== undefined) out.minimum = minimum;
      if (maximum !== undefined) out.maximum = maximum;
      // Some defaults are prose ("migrate limit from datacenter or storage config"): keep numbers only.
      const fallback = toNumber(schema.default);
      if (fallback !== undefined) out.default = fallback;
      if (schema.enum) out.enum = schema.enum;
      break;
    }
    case 'string':
      out.type = 'string';
      if (schema.enum) out.enum = schema.enum;
      // Perl stringifies a regex as `(?^:...)`, a group JSON Schema regexes do not know.
      if (typeof schema.pattern === 'string') out.pattern = schema.pattern.replace(/\(\?\^:/g, '(?:');
      if (typeof schema.minLength === 'number') out.minLength = schema.minLength;
      if (typeof schema.maxLength === 'number') out.maxLength = schema.maxLength;
      if (typeof schema.default === 'string' || typeof schema.default === 'number') out.default = String(schema.default);
      // A `format` name (pve-vmid-list, pve-configid, ...) or property-string object has no regex here.
      if (typeof schema.format === 'string') out['x-pve-format'] = schema.format;
      break;
    case 'null':
      out.type = 'null';
      break;
    case 'array':
      out.type = 'array';
      out.items = schema.items ? convertSchema(schema.items, direction) : {};
      break;
    case 'object': {
      out.type = 'object';
      const properties = schema.properties ?? {};
      const names = Object.keys(properties).sort();
      if (names.length === 0) {
        const values = schema.additionalProperties;
        out.additionalProperties = values !== null && typeof values === 'object' ? convertSchema(values, direction) : true;
        break;
      }
      out.properties = Object.fromEntries(names.map((name) => [name, convertSchema(properties[name]!, direction)]));
      const required = names.filter((name) => !isOptional(properties[name]!));
      if (required.length) out.required = required;
      if (direction === 'request') out.additionalProperties = false;
      break;
    }
    default:
      break; // unknown type: any value
  }
  if (description) out.description = description;
  return out;
}

// ---------------------------------------------------------------------------------------------
// What the PVE description does not say (pve-api/README.md; pve-api-facts.md sections 2, 3, 6).
// Each fix edits the PVE-style schema, so the usual conversion (optional, booleans) still applies.

const str = (description?: string, extra: PveSchema = {}): PveSchema => ({ type: 'string', description, ...extra });
const int = (description?: string, extra: PveSchema = {}): PveSchema => ({ type: 'integer', description, ...extra });
const opt = (schema: PveSchema): PveSchema => ({ ...schema, optional: 1 });

type Fix = { path: string; method: PveMethod; why: string; apply: (operation: PveOperation) => void };

function itemProperties(operation: PveOperation): Record<string, PveSchema> {
  const items = operation.returns?.items;
  if (!items) throw new Error('fix expects an array of objects');
  items.type = 'object';
  return (items.properties ??= {});
}

const tokenid = opt(str('The API token id (`user@realm!tokenid` is split into `user` and `tokenid`).'));

const snapshotCurrentFields = {
  digest: opt(str('Configuration digest (only on the synthetic `current` entry).')),
  running: opt({ type: 'boolean', description: 'Whether the guest runs (only on the synthetic `current` entry).' }),
  snapstate: opt(str('Set while the snapshot is being created or deleted.')),
};

export const FIXES: Fix[] = [
  {
    path: '/cluster/tasks',
    method: 'GET',
    why: 'items declare only upid',
    apply: (operation) => {
      operation.returns!.items = {
        type: 'object',
        properties: {
          upid: str('The task id.'),
          node: str('Node the task runs on.'),
          starttime: int('Start, epoch seconds.'),
          type: str('Worker type, e.g. qmstart.'),
          id: str('Worker id (usually the VMID); may be empty.'),
          user: str('User that started the task (the token part is split off into `tokenid`).'),
          tokenid,
          pid: opt(int('Worker process id (running tasks only).')),
          pstart: opt(int('Process start in clock ticks.')),
          endtime: opt(int('End, epoch seconds (finished tasks only).')),
          status: opt(str('Exit status (finished tasks only): `OK`, `WARNINGS: N` or the error text.')),
          saved: opt(str('Whether the task is in the node archive.', { enum: ['0', '1'] })),
        },
      };
    },
  },
  {
    path: '/nodes/{node}/tasks',
    method: 'GET',
    why: 'items lack tokenid; status is RUNNING for active tasks',
    apply: (operation) => {
      const properties = itemProperties(operation);
      properties.tokenid = tokenid;
      properties.status = opt(str('Exit status of a finished task, or `RUNNING` for an active one.'));
    },
  },
  {
    path: '/nodes/{node}/tasks/{upid}/status',
    method: 'GET',
    why: 'lacks tokenid',
    apply: (operation) => {
      operation.returns!.properties!.tokenid = tokenid;
    },
  },
  {
    path: '/nodes/{node}/tasks/{upid}',
    method: 'GET',
    why: 'directory index items are {name}',
    apply: (operation) => {
      itemProperties(operation).name = str('`log` or `status`.');
    },
  },
  {
    path: '/nodes/{node}/qemu/{vmid}/snapshot',
    method: 'GET',
    why: 'the current entry carries digest and running; snapstate is undeclared',
    apply: (operation) => Object.assign(itemProperties(operation), snapshotCurrentFields),
  },
  {
    path: '/nodes/{node}/lxc/{vmid}/snapshot',
    method: 'GET',
    why: 'as for qemu; description is undeclared',
    apply: (operation) =>
      Object.assign(itemProperties(operation), snapshotCurrentFields, {
        description: opt(str('Snapshot description.')),
      }),
  },
  {
    path: '/nodes',
    method: 'GET',
    why: 'items lack id, type, disk and maxdisk',
    apply: (operation) =>
      Object.assign(itemProperties(operation), {
        id: str('`node/<name>`.'),
        type: str(undefined, { enum: ['node'] }),
        disk: opt(int('Used root disk space in bytes.')),
        maxdisk: opt(int('Root disk size in bytes.')),
      }),
  },
  {
    path: '/access/permissions',
    method: 'GET',
    why: 'returns only `type: object`: it is a map of ACL path to a map of privilege to its propagate flag',
    apply: (operation) => {
      operation.returns = {
        type: 'object',
        description: operation.returns?.description,
        additionalProperties: {
          type: 'object',
          description: 'Privileges held on this path, each with its propagate flag (1: inherited by paths below).',
          additionalProperties: { type: 'integer', enum: [0, 1] },
        },
      };
    },
  },
  {
    path: '/access/ticket',
    method: 'POST',
    why: 'a user with two-factor authentication gets NeedTFA and a ticket good only for the TFA step',
    apply: (operation) =>
      Object.assign(operation.returns!.properties!, {
        NeedTFA: opt({ type: 'boolean', description: 'Set when the login still needs a second factor.' }),
        cap: opt({ type: 'object', description: 'Capabilities of the user.' }),
      }),
  },
];

function applyFixes(subset: PveSubset): PveSubset {
  const copy = structuredClone(subset);
  for (const fix of FIXES) {
    const operation = copy.endpoints.find((entry) => entry.path === fix.path)?.info[fix.method];
    if (!operation) throw new Error(`fix for ${fix.method} ${fix.path}: operation not in the subset`);
    fix.apply(operation);
  }
  for (const entry of copy.endpoints) {
    const post = entry.info.POST;
    if (post && isTaskStartingPost(entry.path)) {
      post.returns = entry.path.endsWith('/vzdump')
        ? str('The UPID of the backup task, or the literal `OK` when none of the guests is on this node.')
        : str('The UPID of the started task.');
    }
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------

function summaryOf(description: string | undefined): string | undefined {
  const first = description?.split('\n')[0]?.trim();
  return first || undefined;
}

function operationToOpenApi(path: string, method: PveMethod, operation: PveOperation): JsonSchema {
  const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
  const properties = operation.parameters?.properties ?? {};
  const parameters: JsonSchema[] = [];
  const bodyProperties: Record<string, PveSchema> = {};

  for (const name of pathParams) {
    const schema = properties[name] ?? { type: 'string' };
    parameters.push({
      name,
      in: 'path',
      required: true,
      schema: convertSchema({ ...schema, description: undefined }, 'request'),
      ...(schema.description ? { description: schema.description } : {}),
    });
  }
  for (const name of Object.keys(properties).sort()) {
    if (pathParams.includes(name)) continue;
    const schema = properties[name]!;
    if (method === 'GET' || method === 'DELETE') {
      parameters.push({
        name,
        in: 'query',
        required: !isOptional(schema),
        schema: convertSchema({ ...schema, description: undefined }, 'request'),
        ...(describe(schema) ? { description: describe(schema) } : {}),
      });
    } else {
      bodyProperties[name] = schema;
    }
  }

  const result: JsonSchema = {};
  const summary = summaryOf(operation.description);
  if (summary) result.summary = summary;
  if (operation.description && operation.description !== summary) result.description = operation.description;
  if (parameters.length) result.parameters = parameters;
  if (Object.keys(bodyProperties).length) {
    const body = convertSchema({ type: 'object', properties: bodyProperties }, 'request');
    result.requestBody = {
      required: Array.isArray(body.required) && body.required.length > 0,
      // PVE's own tools send forms; the client encodes booleans in them as 1/0.
      content: { 'application/x-www-form-urlencoded': { schema: body } },
    };
  }
  const returns = operation.returns ? convertSchema(operation.returns, 'response') : {};
  result.responses = {
    '200': {
      description: 'Success: the result in `data`; `total` counts all matches of a list (omitted when 0).',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['data'],
            properties: { data: returns, total: { type: 'integer' } },
          },
        },
      },
    },
    default: {
      description: 'Failure: the reason phrase carries the first line of the message.',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/PveError' } } },
    },
  };
  const extras: Record<string, unknown> = { 'x-pve-name': operation.name };
  if (operation.proxyto) extras['x-pve-proxyto'] = operation.proxyto;
  if (operation.allowtoken === 0) extras['x-pve-allowtoken'] = false;
  return { ...result, ...extras };
}

export function toOpenApi(subset: PveSubset): OpenAPI3 {
  const fixed = applyFixes(subset);
  const paths: Record<string, JsonSchema> = {};
  for (const entry of fixed.endpoints) {
    const item: JsonSchema = {};
    for (const method of ['GET', 'POST', 'PUT', 'DELETE'] as const) {
      const operation = entry.info[method];
      if (operation) item[method.toLowerCase()] = operationToOpenApi(entry.path, method, operation);
    }
    paths[entry.path] = item;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Proxmox VE API: the subset pvetasks uses',
      version: '9.x',
      description: `Generated by \`npm run gen:api\` from src/api/pve-api-subset.json (${subset.source}). Do not edit.`,
    },
    servers: [{ url: 'https://{host}:8006/api2/json', description: 'a PVE node', variables: { host: { default: 'localhost' } } }],
    paths: paths as OpenAPI3['paths'],
    components: {
      schemas: {
        PveError: {
          type: 'object',
          required: ['data'],
          properties: {
            data: { type: 'null' },
            errors: {
              type: 'object',
              additionalProperties: { type: 'string' },
              description: 'Parameter errors by parameter name.',
            },
            message: { type: 'string', description: 'The error text (newer PVE only; older ones use only the reason phrase).' },
          },
        },
      },
    },
  } as OpenAPI3;
}

export function renderOpenApi(document: OpenAPI3): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

const TYPES_HEADER = `/**
 * Generated by \`npm run gen:api\` from src/api/pve-openapi.json (itself from src/api/pve-api-subset.json).
 * Do not edit: change the generator (src/api/gen/) and run it again.
 */

`;

export async function renderTypes(document: OpenAPI3): Promise<string> {
  const ast = await openapiTS(structuredClone(document), {
    silent: true,
    // Defaults are documentation; they must not make response fields look always present.
    defaultNonNullable: false,
    alphabetize: true,
  });
  return TYPES_HEADER + astToString(ast);
}
