/** Reading a request as pve-http-server does: headers, path segments, the body (form or JSON), merged parameters. */
import type { IncomingMessage } from 'node:http';
import type { RawValue } from './params.js';
import { ApiError, type RouteMatch } from './routes/index.js';

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join('; ') : value;
}

export function decodeSegments(path: string): string[] {
  const parts = path.replace(/\/+$/, '').split('/').slice(1);
  return parts.map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 1_048_576) chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Form-urlencoded or JSON bodies, as PVE's extract_params takes them. */
export function parseBody(req: IncomingMessage, body: Buffer): Record<string, RawValue> {
  if (body.length === 0) return {};
  const type = (header(req, 'content-type') ?? '').toLowerCase();
  const text = body.toString('utf8');
  if (type.includes('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ApiError(400, `malformed JSON string - ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    const out: Record<string, RawValue> = {};
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) if (value !== null) out[key] = value;
    return out;
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/** Query over body, then the path parameters (equal repeats allowed, different ones refused). */
export function mergeParams(match: RouteMatch, body: Record<string, RawValue>, query: URLSearchParams): Record<string, RawValue> {
  const merged: Record<string, RawValue> = { ...body, ...Object.fromEntries(query) };
  const errors: Record<string, string> = {};
  for (const [name, value] of Object.entries(match.pathParams)) {
    if (name in merged && String(merged[name]) !== value) {
      errors[name] = 'duplicate parameter (already defined in URI) with conflicting values!';
    }
    merged[name] = value;
  }
  if (Object.keys(errors).length > 0) throw new ApiError(400, 'Parameter verification failed.', errors);
  return merged;
}
