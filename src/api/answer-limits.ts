/**
 * Limits on what a server may send: an answer body is read only up to a cap (the read stops there and
 * the connection is closed, so an endless or huge body is never buffered), its JSON may not nest deeper
 * than any PVE answer does, and a status line must be HTTP's.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { gunzip } from 'node:zlib';
import type { Dispatcher } from 'undici';

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

/** An answer that says it is gzipped and is not. */
export class UnreadableAnswerError extends Error {
  override name = 'UnreadableAnswerError';
  constructor(readonly encoding: string) {
    super(`answer not readable as ${encoding}`);
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
 * What openapi-fetch builds for each call (the client hands it this class as its `Request`): the
 * method, URL, headers, form body and signal, without a WHATWG Request behind them. With the answer
 * below (no Response, no web stream), a request costs less than half the CPU of fetch() (measured:
 * README, Performance), and a quiet board's poll is mostly that request.
 */
export class PlainRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | undefined;
  readonly signal: AbortSignal | undefined;
  constructor(
    url: string,
    init: { method?: string; headers?: ConstructorParameters<typeof Headers>[0]; body?: unknown; signal?: AbortSignal | null } = {},
  ) {
    if (init.body !== undefined && init.body !== null && typeof init.body !== 'string') throw new TypeError('a request body must be text');
    this.url = url;
    this.method = init.method ?? 'GET';
    this.headers = new Headers(init.headers);
    this.body = init.body ?? undefined;
    this.signal = init.signal ?? undefined;
  }
}

/** The part of an HTTP answer the client reads: the reason phrase exactly as sent, the whole body (capped) as text. */
export interface Answer {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

function answerOf(status: number, statusText: string, headers: IncomingHttpHeaders, body: Buffer): Answer {
  return {
    status,
    statusText,
    ok: status >= 200 && status < 300,
    headers: {
      get(name) {
        const value = headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    text: async () => body.toString('utf8'),
  };
}

/**
 * Sends `request` through `dispatcher` (undici's own interface: no Request, Response or web stream is
 * made) and gathers the answer's body up to `maxBytes`: a declared length over the cap is refused
 * before a byte of the body is read; a body that passes it is cut there and the connection closed,
 * so an endless or huge body is never buffered. Rejects with undici's error when the transport fails,
 * with the signal's reason when it aborts.
 */
export function limitedFetch(dispatcher: () => Promise<Dispatcher>, maxBytes: number): (request: PlainRequest) => Promise<Answer> {
  return async (request) => {
    const agent = await dispatcher();
    const { signal } = request;
    signal?.throwIfAborted();
    const url = new URL(request.url);
    return new Promise<Answer>((resolve, reject) => {
      let controller: Dispatcher.DispatchController | undefined;
      let done = false;
      const settle = (finish: () => void) => {
        if (done) return;
        done = true;
        signal?.removeEventListener('abort', onAbort);
        finish();
      };
      const refuse = (error: Error) => {
        controller?.abort(error);
        settle(() => reject(error));
      };
      const onAbort = () => refuse(signal!.reason as Error);
      signal?.addEventListener('abort', onAbort, { once: true });
      let status = 0;
      let statusText = '';
      let headers: IncomingHttpHeaders = {};
      let received = 0;
      const chunks: Buffer[] = [];
      agent.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: request.method as Dispatcher.HttpMethod,
          headers: Object.fromEntries(request.headers),
          body: request.body ?? null,
        },
        {
          onRequestStart(started) {
            controller = started;
            if (done) started.abort(new Error('aborted'));
          },
          onResponseStart(started, statusCode, responseHeaders, statusMessage) {
            // fetch() took up to 999; no HTTP server sends what is outside 200-599 (we send no Expect).
            if (statusCode < 200 || statusCode > 599) return refuse(new NotHttpStatusError(statusCode));
            if (Number(responseHeaders['content-length']) > maxBytes) return refuse(new AnswerTooLargeError(maxBytes));
            status = statusCode;
            statusText = statusMessage ?? '';
            headers = responseHeaders;
          },
          onResponseData(started, chunk) {
            if (done) return;
            received += chunk.length;
            if (received > maxBytes) return refuse(new AnswerTooLargeError(maxBytes));
            chunks.push(chunk);
          },
          onResponseEnd() {
            if (done) return;
            const body = Buffer.concat(chunks);
            if (!/^\s*(x-)?gzip\s*$/i.test(String(headers['content-encoding'] ?? ''))) {
              settle(() => resolve(answerOf(status, statusText, headers, body)));
              return;
            }
            // pveproxy gzips what is over 1 KiB. The cap holds for what it unpacks to as well.
            gunzip(body, { maxOutputLength: maxBytes }, (error, unpacked) => {
              if (!error) return settle(() => resolve(answerOf(status, statusText, headers, unpacked)));
              const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
              settle(() => reject(tooLarge ? new AnswerTooLargeError(maxBytes) : new UnreadableAnswerError('gzip')));
            });
          },
          onResponseError(started, error) {
            settle(() => reject(error));
          },
        },
      );
    });
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
