/**
 * Limits on what a server may send: an answer body is read only up to a cap (the read stops there and
 * the connection is closed, so an endless or huge body is never buffered), its JSON may not nest deeper
 * than any PVE answer does, and a status line must be HTTP's.
 */
import type { Agent } from 'undici';

/** Far above any real answer (a 10 000-task listing is a few MiB), far below what hurts a jump host. */
export const DEFAULT_MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/**
 * PVE's answers nest a few levels. JSON.parse itself copes with any depth, but every recursive walk
 * of the result (JSON.stringify for --json, structuredClone, a shape check) overflows the stack on a
 * deep one, so such an answer is refused before it is parsed.
 */
export const MAX_ANSWER_DEPTH = 64;

export class AnswerTooLargeError extends Error {
  override name = 'AnswerTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`answer larger than ${formatBytes(limitBytes)}`);
  }
}

export class AnswerTooDeepError extends Error {
  override name = 'AnswerTooDeepError';
  constructor(readonly limitDepth: number) {
    super(`answer nested deeper than ${limitDepth} levels`);
  }
}

/** A status line outside 200-599, which no HTTP server sends (fetch accepts up to 999). */
export class NotHttpStatusError extends Error {
  override name = 'NotHttpStatusError';
  constructor(readonly status: number) {
    super(`HTTP status ${status}`);
  }
}

/** `32 MiB`, `512 KiB`, `100 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * Passes `body` on until more than `maxBytes` went through it; then cancels it (undici closes the
 * connection) and fails with AnswerTooLargeError. Pulls only when read, so what waits in memory is at
 * most one chunk beyond what the reader took.
 */
export function limitBody(body: ReadableStream<Uint8Array>, maxBytes: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let seen = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        seen += value.byteLength;
        if (seen > maxBytes) {
          const error = new AnswerTooLargeError(maxBytes);
          controller.error(error);
          await reader.cancel(error).catch(() => {});
          return;
        }
        controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

// Statuses whose Response may not carry a body.
const NULL_BODY_STATUSES = new Set([204, 205, 304]);
// The reason phrase as received: the Response constructor refuses any that holds a control character,
// and a hostile server's may.
const reasonPhrases = new WeakMap<Response, string>();

/** The reason phrase of a response from `limitedFetch`, as the server sent it. */
export function reasonPhrase(response: Response): string {
  return reasonPhrases.get(response) ?? response.statusText;
}

/** fetch through `agent`, with the answer's body limited to `maxBytes` (see limitBody). */
export function limitedFetch(agent: () => Promise<Agent>, maxBytes: number): (request: Request) => Promise<Response> {
  return async (request) => {
    const response = await fetch(request, { dispatcher: await agent() } as unknown as RequestInit);
    const { status, body } = response;
    const discard = () => body?.cancel().catch(() => {});
    if (status < 200 || status > 599) {
      await discard();
      throw new NotHttpStatusError(status);
    }
    // A declared length over the cap is refused before its first byte is read.
    if (Number(response.headers.get('content-length')) > maxBytes) {
      await discard();
      throw new AnswerTooLargeError(maxBytes);
    }
    let limited: ReadableStream<Uint8Array> | null = null;
    if (body && NULL_BODY_STATUSES.has(status)) await discard();
    else if (body) limited = limitBody(body, maxBytes);
    const answer = new Response(limited, { status, headers: response.headers });
    reasonPhrases.set(answer, response.statusText);
    return answer;
  };
}

/** Parses an answer's JSON, refusing one nested deeper than MAX_ANSWER_DEPTH (a SyntaxError if not JSON). */
export function parseAnswer(text: string): unknown {
  if (nestsDeeperThan(text, MAX_ANSWER_DEPTH)) throw new AnswerTooDeepError(MAX_ANSWER_DEPTH);
  return JSON.parse(text);
}

/** One pass over the text counting brackets outside strings; malformed text is left to JSON.parse. */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c)
        index++; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > limit) return true;
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return false;
}
