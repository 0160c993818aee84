import { invalid } from '../../domain/errors.js';

/** A REST request body as parameters: no body (or JSON null) is none; anything but an object is refused. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw invalid('body', 'The request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** Refuses, by name, the first parameter the endpoint does not take. */
export function onlyParams(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body))
    if (!allowed.includes(key)) throw invalid(key, `Received unknown parameter: ${key}`);
}

/**
 * An optional amount in integer minor units. With `nullIsAbsent`, JSON null means "not given" (the
 * api dialect's optional fields); otherwise null is refused like any other non-integer.
 */
export function minorUnitsParam(
  body: Record<string, unknown>,
  key: string,
  options: { nullIsAbsent?: boolean } = {},
): number | undefined {
  const value = body[key];
  if (value === undefined || (value === null && options.nullIsAbsent)) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw invalid(key, `${key} must be an integer number of minor units`);
  return value;
}

/** An optional text parameter. */
export function textParam(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value !== undefined && typeof value !== 'string') throw invalid(key, `${key} must be a string`);
  return value;
}

/** The JSON object body of an endpoint that takes only the `allowed` parameters. */
export function bodyParams(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  const params = objectBody(body);
  onlyParams(params, allowed);
  return params;
}
