/**
 * Request and response types of the client, all derived from the generated `paths`
 * (src/api/pve-types.ts): nothing here restates a PVE response by hand.
 */
import type { components, paths } from './pve-types.js';

export type PvePaths = paths;
export type PveMethod = 'get' | 'post' | 'delete';

/** The API paths that have the given method, e.g. `PvePathsWith<'post'>`. */
export type PvePathsWith<M extends PveMethod> = {
  [P in keyof paths]: paths[P] extends { [K in M]: object } ? P : never;
}[keyof paths];

export type PveOperation<P extends PvePathsWith<M>, M extends PveMethod> = paths[P][M];

type JsonOf<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;
type SuccessOf<Op> = Op extends { responses: { 200: infer Ok } } ? JsonOf<Ok> : never;

/** The response envelope `{data, total?}` of an operation. */
export type PveResponse<P extends PvePathsWith<M>, M extends PveMethod = 'get'> = SuccessOf<PveOperation<P, M>>;
/** The `data` of an operation's response, e.g. `PveData<'/nodes/{node}/tasks/{upid}/status'>`. */
export type PveData<P extends PvePathsWith<M>, M extends PveMethod = 'get'> = PveResponse<P, M>['data'];
/** An element of a list response, e.g. `PveItem<'/cluster/resources'>`. */
export type PveItem<P extends PvePathsWith<M>, M extends PveMethod = 'get'> =
  PveData<P, M> extends ReadonlyArray<infer Item> ? Item : never;
/** The error body `{data: null, errors?, message?}`. */
export type PveErrorBody = components['schemas']['PveError'];

// The optional-key test needs the empty object type: {} extends Pick<T, K> only when K is optional.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T];
type Params<Op> = Op extends { parameters: infer P } ? P : never;

type PathPart<Op> = Params<Op> extends { path: infer Path } ? { path: Path } : { path?: never };
type QueryPart<Op> =
  Params<Op> extends { query: infer Query }
    ? { query: Query }
    : [NonNullable<Params<Op>['query' & keyof Params<Op>]>] extends [never]
      ? { query?: never }
      : { query?: NonNullable<Params<Op>['query' & keyof Params<Op>]> };
type ParamsObject<Op> = PathPart<Op> & QueryPart<Op>;
type ParamsPart<Op> = RequiredKeys<ParamsObject<Op>> extends never ? { params?: ParamsObject<Op> } : { params: ParamsObject<Op> };

type FormOf<Body> = Body extends { content: { 'application/x-www-form-urlencoded': infer Form } } ? Form : never;
type BodyPart<Op> = Op extends { requestBody: infer Body }
  ? [FormOf<Body>] extends [never]
    ? { body?: never }
    : { body: FormOf<Body> }
  : Op extends { requestBody?: infer Body }
    ? [FormOf<NonNullable<Body>>] extends [never]
      ? { body?: never }
      : { body?: FormOf<NonNullable<Body>> }
    : { body?: never };

export interface PveRequestOptions {
  /** Aborts the request; the client then throws a PveApiError of kind `aborted`. */
  signal?: AbortSignal;
  /** Overrides the client's timeout for this request. */
  timeoutMs?: number;
}

/** openapi-fetch-like init: `params: {path, query}`, `body` (sent as a form), `signal`, `timeoutMs`. */
export type PveRequestInit<Op> = ParamsPart<Op> & BodyPart<Op> & PveRequestOptions;

/** The init argument is optional exactly when nothing in it is required. */
export type PveInitArgs<Op> = RequiredKeys<PveRequestInit<Op>> extends never ? [init?: PveRequestInit<Op>] : [init: PveRequestInit<Op>];
