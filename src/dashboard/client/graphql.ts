/**
 * The dashboard's GraphQL clients: one per mode. Queries and mutations go to `POST /graphql` with
 * the session cookie and the `Till-Mode` header (the header is what makes a cookie request count:
 * a cross-site form cannot set it); subscriptions go over graphql-ws on the same origin, the mode
 * in the connection parameters. Switching mode builds new clients, so nothing of the other mode's
 * cache or sockets survives.
 */
import {
  Client,
  cacheExchange,
  fetchExchange,
  mapExchange,
  subscriptionExchange,
  type CombinedError,
} from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';

export type Mode = 'test' | 'live';

export interface Clients {
  mode: Mode;
  urql: Client;
  ws: WsClient;
  dispose(): void;
}

/**
 * Fired when Till no longer knows the session (it expired, was signed out everywhere, or the
 * member was removed): the app then asks who is signed in, and shows the sign-in screen.
 */
export const sessionEnded = new EventTarget();
const ended = () => sessionEnded.dispatchEvent(new Event('ended'));

/** graphql-ws closes a socket with 4403 when its session is refused or revoked. */
const REFUSED = 4403;
const closeCode = (event: unknown) => (event instanceof CloseEvent ? event.code : null);

export function createClients(mode: Mode): Clients {
  const ws = createWsClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: { mode },
    lazy: true,
    retryAttempts: 10,
    // A network hiccup is retried; a refused session is not (signing in again is the way back).
    shouldRetry: (event) => closeCode(event) !== REFUSED,
    on: { closed: (event) => void (closeCode(event) === REFUSED && ended()) },
  });
  const urql = new Client({
    url: '/graphql',
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ credentials: 'same-origin', headers: { 'Till-Mode': mode } }),
    exchanges: [
      mapExchange({ onError: (error) => void (errorCode(error) === 'UNAUTHENTICATED' && ended()) }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({
            unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink),
          }),
        }),
      }),
    ],
  });
  return {
    mode,
    urql,
    ws,
    dispose: () => void ws.dispose(),
  };
}

/** The `extensions.code` of a GraphQL error (UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED, …), if any. */
export function errorCode(error: CombinedError | undefined): string | null {
  const code = error?.graphQLErrors[0]?.extensions?.code;
  return typeof code === 'string' ? code : null;
}
