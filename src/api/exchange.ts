/**
 * One exchange with one endpoint: the request as PVE wants it (form bodies, 1/0 booleans, no
 * redirects), bounded by the timeout on the injected clock and by the caller's signal, and its answer
 * unwrapped from PVE's `{data}` envelope or turned into a PveApiError.
 */
import createClient from 'openapi-fetch';
import type { Dispatcher } from 'undici';
import type { Clock } from '../util/clock.js';
import { formatDuration } from '../util/duration.js';
import { VERSION } from '../util/version.js';
import { AnswerTooDeepError, PlainRequest, limitedFetch, parseAnswer, type Answer } from './answer-limits.js';
import { PveApiError } from './errors.js';
import { fillPath, serializeParameters } from './serialize.js';
import { httpError, protocolError, transportError, type Method, type RequestContext } from './transport-errors.js';
import type { PveRequestOptions } from './types.js';

export interface RawInit {
  params?: { path?: Record<string, unknown>; query?: Record<string, unknown> };
  body?: Record<string, unknown>;
}
export type CallInit = RawInit & PveRequestOptions;
export type Envelope = { data: unknown; total?: number };

type LooseRequest = (
  method: string,
  url: string,
  init: Record<string, unknown>,
) => Promise<{ data?: unknown; error?: unknown; response: Answer }>;

export interface ExchangeSetup {
  /** Carries the TLS checks (see tls.ts); made on the first request. */
  agent: () => Promise<Dispatcher>;
  clock: Clock;
  defaultTimeoutMs: number;
  /** Answers longer than this are refused (see answer-limits.ts). */
  maxAnswerBytes: number;
  isClosed(): boolean;
  /** The headers that authenticate a request with this method. */
  authHeaders(method: Method): Record<string, string>;
  /** Words to add to a 401 answer to this path (which credential was refused). */
  unauthorizedHint(path: string): string | undefined;
}

/** Sends one request to `endpoint`; `authenticate` false for the login itself. */
export type Exchange = (endpoint: string, method: Method, path: string, init: CallInit, authenticate: boolean) => Promise<Envelope>;

export function createExchange(setup: ExchangeSetup): Exchange {
  const { agent, clock } = setup;
  const raw = createClient({
    // openapi-fetch builds the call and reads the answer; the exchange itself is undici's (answer-limits.ts).
    Request: PlainRequest as unknown as typeof Request,
    fetch: limitedFetch(agent, setup.maxAnswerBytes) as unknown as (request: Request) => Promise<Response>,
    querySerializer: (query: Record<string, unknown>) => serializeParameters(query),
    bodySerializer: (body: unknown) => serializeParameters(body as Record<string, unknown>),
    pathSerializer: (path: string, parameters: Record<string, unknown>) => fillPath(path, parameters),
  });
  const request = raw.request as unknown as LooseRequest;

  return async function exchange(endpoint, method, path, init, authenticate) {
    const timeoutMs = init.timeoutMs ?? setup.defaultTimeoutMs;
    const context: RequestContext = {
      method,
      displayPath: fillPath(path, init.params?.path, false),
      endpoint,
      timeoutMs,
    };
    if (setup.isClosed())
      throw new PveApiError({
        kind: 'aborted',
        endpoint,
        method,
        path: context.displayPath,
        message: `${method} ${context.displayPath}: the client was closed`,
      });
    const userSignal = init.signal;
    const abortedError = () =>
      new PveApiError({
        kind: 'aborted',
        endpoint,
        method,
        path: context.displayPath,
        cause: userSignal?.reason,
        message: `${method} ${context.displayPath}: aborted`,
      });
    if (userSignal?.aborted) throw abortedError();

    // The headers first: nothing below is left registered if building them throws.
    const headers: Record<string, string> = {
      Accept: 'application/json',
      // pveproxy gzips answers over 1 KiB when asked: a tenth of the bytes on a slow link.
      'Accept-Encoding': 'gzip',
      'User-Agent': `pvetasks/${VERSION}`,
      ...(authenticate ? setup.authHeaders(method) : {}),
    };
    if (init.body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';

    const controller = new AbortController();
    const onUserAbort = () => controller.abort(userSignal?.reason);
    userSignal?.addEventListener('abort', onUserAbort, { once: true });
    const timer = new AbortController();
    let timedOut = false;
    clock.sleep(timeoutMs, timer.signal).then(
      () => {
        timedOut = true;
        controller.abort(new Error('timeout'));
      },
      () => {},
    );

    let result: Awaited<ReturnType<LooseRequest>>;
    try {
      result = await clock.track(
        request(method, path, {
          baseUrl: `${endpoint}/api2/json`,
          params: init.params ?? {},
          body: init.body,
          headers,
          signal: controller.signal,
          redirect: 'manual',
          // Parsed here, with the nesting checked first.
          parseAs: 'text',
        }),
      );
    } catch (error) {
      if (userSignal?.aborted) throw abortedError();
      if (timedOut) {
        throw new PveApiError({
          kind: 'timeout',
          endpoint,
          method,
          path: context.displayPath,
          message: `${method} ${context.displayPath}: no answer from ${endpoint} within ${formatDuration(timeoutMs)}`,
        });
      }
      throw transportError(error, context);
    } finally {
      timer.abort();
      userSignal?.removeEventListener('abort', onUserAbort);
    }

    const { data, error, response } = result;
    if (response.ok) return envelopeOf(data, response, context);
    const hint = response.status === 401 ? setup.unauthorizedHint(path) : undefined;
    throw httpError(response, error, context, hint);
  };
}

/** PVE's `{data, total?}` from a successful answer's text. */
function envelopeOf(text: unknown, response: Answer, context: RequestContext): Envelope {
  if (text === undefined || text === null || text === '') return { data: null };
  let parsed: unknown;
  try {
    parsed = parseAnswer(String(text));
  } catch (error) {
    // No status on these: a caller must not take a 200 it could not read for a refusal (a POST's task may run).
    if (error instanceof AnswerTooDeepError) {
      throw protocolError(
        context,
        `answer from ${context.endpoint} nested deeper than ${error.limitDepth} levels; refused`,
        undefined,
        error,
      );
    }
    throw protocolError(context, `${context.endpoint} answered with something that is not JSON; is it a Proxmox VE node?`);
  }
  if (parsed === null) return { data: null };
  if (typeof parsed !== 'object' || !('data' in parsed)) {
    throw protocolError(context, `${context.endpoint} answered without PVE's {data} envelope; is it a Proxmox VE node?`, response);
  }
  return parsed as Envelope;
}
