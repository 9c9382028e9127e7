/** How PVE wants parameters written: booleans as 1/0, path segments checked and fully percent-encoded. */
import { pathParameterError } from './path-params.js';

/**
 * encodeURIComponent leaves `!'()*` alone; UPIDs of token users carry `!` (`root@pam!ci`), so encode
 * those too. Any server decodes both forms the same; the strict one survives proxies that do not.
 */
export function encodePathSegment(value: unknown): string {
  return encodeURIComponent(String(value)).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A parameter value as PVE parses it: `type check ('boolean') failed - got 'true'` otherwise. */
export function formatParameter(name: string, value: unknown): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'bigint') return String(value);
  // PVE's list parameters (vmid lists, content types) are comma-separated strings.
  if (Array.isArray(value)) return value.map((item) => formatParameter(name, item)).join(',');
  throw new TypeError(`parameter '${name}': cannot send a value of type ${typeof value}`);
}

/** `a=1&b=x%20y`, skipping undefined and null; used for query strings and form bodies alike. */
export function serializeParameters(parameters: Record<string, unknown> | undefined): string {
  if (!parameters) return '';
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(parameters)) {
    if (value === undefined || value === null) continue;
    pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(formatParameter(name, value))}`);
  }
  return pairs.join('&');
}

/**
 * Fills `{name}` placeholders; `encode` false gives the readable form used in messages. Every value is
 * checked against its PVE format first (path-params.ts): a bad one throws, and no URL is built.
 */
export function fillPath(template: string, parameters: Record<string, unknown> | undefined, encode = true): string {
  const refused = pathParameterError(template, parameters);
  if (refused) throw refused;
  return template.replace(/\{(\w+)\}/g, (_placeholder, name: string) => {
    const value = parameters![name];
    return encode ? encodePathSegment(value) : String(value);
  });
}
