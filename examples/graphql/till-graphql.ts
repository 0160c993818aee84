import type { FormattedExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import type { Settings } from '../settings.ts';
import type { TypedDocumentString } from './__generated__/graphql.ts';

/**
 * Runs one typed query or mutation over HTTP. Expected business failures come back as the
 * mutation's `userErrors` inside the result; a request Till rejects as a whole (bad key, invalid
 * document) has no data and is thrown with Till's messages and codes.
 */
export async function execute<TResult, TVariables>(
  settings: Settings,
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const response = await fetch(new URL('/graphql', settings.tillUrl), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      authorization: `Bearer ${settings.secretKey}`,
    },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const result = (await response.json()) as FormattedExecutionResult<TResult>;
  if (result.errors?.length || !result.data) {
    const reasons = (result.errors ?? []).map(
      (e) => `${String(e.extensions?.code ?? 'ERROR')}: ${e.message}`,
    );
    throw new Error(`GraphQL request failed (HTTP ${response.status}): ${reasons.join('; ')}`);
  }
  return result.data;
}

/** A graphql-ws connection to Till's /graphql, authenticated with the secret key. */
export function subscriptionClient(settings: Settings): Client {
  return createClient({
    url: new URL('/graphql', settings.tillUrl.replace(/^http/, 'ws')).toString(),
    connectionParams: { authorization: `Bearer ${settings.secretKey}` },
  });
}

/** A typed subscription's results, one per event, until the caller stops iterating. */
export function subscribe<TResult, TVariables extends Record<string, unknown>>(
  client: Client,
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
): AsyncIterableIterator<FormattedExecutionResult<TResult>> {
  return client.iterate<TResult, Record<string, unknown>>({ query: document.toString(), variables });
}
