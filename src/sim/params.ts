/**
 * Parameter verification as PVE's JSONSchema.pm does it: every parameter is checked against the
 * operation's real parameter list (params-table.ts, generated from the API schema), unknown ones are
 * refused, booleans are only 0/1 in query strings and form bodies, and errors are collected per name.
 */

export interface ParamSpec {
  type: string;
  optional?: boolean;
  enum?: readonly string[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  minLength?: number;
  requires?: string;
}

export type ParamTable = Record<string, Record<string, ParamSpec>>;

/** A raw value as received: strings from query and form bodies, anything from a JSON body. */
export type RawValue = unknown;

/** Validated values: booleans become 0/1, integers and numbers become numbers. */
export type ParamValue = string | number | unknown[];
export type Params = Record<string, ParamValue>;

export class ParamError extends Error {
  constructor(readonly errors: Record<string, string>) {
    super('Parameter verification failed.');
  }
}

const NODE_RE = /^(?=.{1,63}$)[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const CONFIGID_RE = /^[a-z][a-z0-9_-]+$/i;
const STORAGE_ID_RE = /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i;
const VMID_RE = /^[1-9][0-9]{2,8}$/;
const TASK_STATUS_TYPES = ['ok', 'warning', 'error', 'unknown'];
const STORAGE_CONTENT = ['images', 'rootdir', 'vztmpl', 'iso', 'backup', 'snippets', 'import'];

const splitList = (text: string) => text.split(/[\s,;]+/).filter((part) => part !== '');

/** Format checks, with PVE's messages (format errors are the ones that end in a newline). */
const FORMATS: Record<string, (value: string) => string | undefined> = {
  'pve-node': (v) => (NODE_RE.test(v) ? undefined : 'value does not look like a valid node name'),
  'pve-vmid': (v) => (VMID_RE.test(v) ? undefined : 'value does not look like a valid VM ID'),
  'pve-vmid-list': (v) => {
    for (const id of splitList(v)) {
      if (!VMID_RE.test(id)) return 'value does not look like a valid VM ID';
    }
    return undefined;
  },
  'pve-configid': (v) => (CONFIGID_RE.test(v) ? undefined : `invalid configuration ID '${v}'`),
  'pve-storage-id': (v) => (STORAGE_ID_RE.test(v) ? undefined : `storage ID '${v}' contains illegal characters`),
  'pve-realm': (v) => (/^[A-Za-z][A-Za-z0-9.\-_]+$/.test(v) ? undefined : `realm '${v}' contains illegal characters`),
  'pve-task-status-type-list': (v) => {
    for (const status of splitList(v)) {
      if (!TASK_STATUS_TYPES.includes(status.toLowerCase())) return `invalid status '${status}'`;
    }
    return undefined;
  },
  'pve-storage-content-list': (v) => {
    for (const content of splitList(v)) {
      if (!STORAGE_CONTENT.includes(content)) return `invalid content type '${content}'`;
    }
    return undefined;
  },
};

const INTEGER_RE = /^[+-]?\d+$/;
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function checkValue(spec: ParamSpec, raw: RawValue): { value?: ParamValue; error?: string } {
  const shown = typeof raw === 'string' ? raw : JSON.stringify(raw);
  const typeError = () => ({ error: `type check ('${spec.type}') failed - got '${shown}'` });
  let value: ParamValue;
  switch (spec.type) {
    case 'boolean':
      // Only 0/1 as text; JSON true/false count as booleans (JSON::is_bool), as on PVE.
      if (raw === true || raw === false) value = raw ? 1 : 0;
      else if (raw === '0' || raw === '1' || raw === 0 || raw === 1) value = Number(raw);
      else return typeError();
      break;
    case 'integer':
      if (typeof raw === 'number' && Number.isInteger(raw)) value = raw;
      else if (typeof raw === 'string' && INTEGER_RE.test(raw)) value = Number(raw);
      else return typeError();
      break;
    case 'number':
      if (typeof raw === 'number' && Number.isFinite(raw)) value = raw;
      else if (typeof raw === 'string' && NUMBER_RE.test(raw)) value = Number(raw);
      else return typeError();
      break;
    case 'array':
      value = Array.isArray(raw) ? raw : [raw];
      break;
    default:
      if (typeof raw === 'string') value = raw;
      else if (typeof raw === 'number') value = String(raw);
      else return typeError();
  }
  const text = String(value);
  if (spec.format && typeof value !== 'object') {
    const formatError = FORMATS[spec.format]?.(text);
    if (formatError) return { error: `invalid format - ${formatError}\n` };
  }
  if (spec.pattern && !new RegExp(`^(?:${spec.pattern})$`).test(text)) {
    return { error: 'value does not match the regex pattern' };
  }
  if (typeof value === 'number') {
    if (spec.minimum !== undefined && value < spec.minimum) {
      return { error: `value must have a minimum value of ${spec.minimum}` };
    }
    if (spec.maximum !== undefined && value > spec.maximum) {
      return { error: `value must have a maximum value of ${spec.maximum}` };
    }
  }
  if (typeof value === 'string') {
    if (spec.maxLength !== undefined && value.length > spec.maxLength) {
      return { error: `value may only be ${spec.maxLength} characters long` };
    }
    if (spec.minLength !== undefined && value.length < spec.minLength) {
      return { error: `value must be at least ${spec.minLength} characters long` };
    }
  }
  if (spec.enum && !spec.enum.includes(text)) {
    return { error: `value '${text}' does not have a value in the enumeration '${spec.enum.join(', ')}'` };
  }
  return { value };
}

/**
 * Validates merged request parameters against `table`. `_dc` (ExtJS cache buster) is dropped, as PVE
 * does. Throws ParamError with every problem found.
 */
export function verifyParams(table: Record<string, ParamSpec>, raw: Record<string, RawValue>): Params {
  const errors: Record<string, string> = {};
  const out: Params = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === '_dc') continue;
    const spec = table[name];
    if (!spec) {
      errors[name] = 'property is not defined in schema and the schema does not allow additional properties';
      continue;
    }
    // An empty optional value means "unset" in PVE's form handling.
    if (value === '' && spec.optional && spec.type !== 'string') continue;
    const checked = checkValue(spec, value);
    if (checked.error !== undefined) errors[name] = checked.error;
    else out[name] = checked.value!;
  }
  for (const [name, spec] of Object.entries(table)) {
    if (!spec.optional && !(name in out) && !(name in errors)) {
      errors[name] = 'property is missing and it is not optional';
    }
    if (spec.requires && name in out && !(spec.requires in out) && !(spec.requires in errors)) {
      errors[spec.requires] = `missing property - '${name}' requires this property`;
    }
  }
  if (Object.keys(errors).length > 0) throw new ParamError(errors);
  return out;
}

export { splitList };
