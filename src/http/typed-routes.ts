import type {
  Static,
  TObject,
  TSchema,
  TString,
  TUnsafe,
  TypeBoxTypeProvider,
} from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifySchema } from 'fastify';

/**
 * A route's schema as written: what the OpenAPI document shows. Path parameters are declared as
 * strings because Fastify's router always gives them as strings; that is what keeps their inferred
 * type true without validating them.
 */
export interface RouteSchema extends FastifySchema {
  params?: TObject<Record<string, TString>>;
  querystring?: TObject;
  headers?: TObject;
}

/** A query string or headers part as it arrives unvalidated: each named key absent, once, or repeated. */
type Unvalidated<S> = S extends TSchema ? TUnsafe<{ [K in keyof Static<S>]?: string | string[] }> : never;

/**
 * The types a route schema gives its handler. Fastify does not validate requests against the
 * schemas (see describeWithoutEnforcing in openapi.ts), so only what holds without validation is
 * claimed:
 * - `params`: as declared (strings, see {@link RouteSchema}).
 * - `query` and `headers`: the keys the schema names, each a string or, repeated, an array; their
 *   values are checked by the handler (the list parser refuses repeats and bad values).
 * - `body`: `unknown`. A body is untrusted until the domain parser of its surface checks it and
 *   answers a bad one in that surface's error format, so handlers hand `request.body` as `unknown`
 *   to those parsers and never cast it to the schema's type.
 * - replies: `unknown`. Responses are described, not serialised through the schemas; some are the
 *   stored bytes of an idempotent replay.
 */
export type TypedRouteSchema<S extends RouteSchema> = {
  [K in keyof S]: K extends 'body'
    ? TUnsafe<unknown>
    : K extends 'querystring' | 'headers'
      ? Unvalidated<S[K]>
      : K extends 'response'
        ? Record<number, TUnsafe<unknown>>
        : S[K];
};

/**
 * A route schema, typed for its handler as {@link TypedRouteSchema} says; the object itself is
 * unchanged. `const` keeps each schema's own part types: without it a schema whose other fields
 * widen (several `security` alternatives) is inferred as the bare {@link RouteSchema}.
 */
export const routeSchema = <const S extends RouteSchema>(schema: S): TypedRouteSchema<S> =>
  schema as unknown as TypedRouteSchema<S>;

/** The instance whose routes take their request types from their schemas. */
export const typed = (app: FastifyInstance) => app.withTypeProvider<TypeBoxTypeProvider>();
export type TypedApp = ReturnType<typeof typed>;
