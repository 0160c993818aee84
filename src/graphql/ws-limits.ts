import { GraphQLError, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { CloseCode, type Context, type SubscribePayload } from 'graphql-ws';
import WebSocket from 'ws';
import type { Principal } from '../services/principal.js';
import { inputProblem } from './input-rules.js';
import type { GraphQLOperationPolicy } from './policy.js';

/** Close codes of Till's subscription sockets, in one place (graphql-ws's own live in its `CloseCode`). */
export const WsCloseCode = {
  /** The server is shutting down (RFC 6455). */
  GoingAway: 1001,
  /** A message over `maxPayloadBytes` (RFC 6455); the `ws` package closes with it before reading the message. */
  MessageTooBig: 1009,
  /**
   * The merchant and mode already hold `maxSocketsPerMerchant` sockets on this instance. graphql-ws
   * clients give up on this code (their TooManyInitialisationRequests) instead of reconnecting, so a
   * capped merchant's clients do not hammer the instance with retries.
   */
  TooManySockets: CloseCode.TooManyInitialisationRequests,
  /** No or invalid credentials in `connection_init` (graphql-ws closes with it when onConnect refuses). */
  Forbidden: CloseCode.Forbidden,
} as const;

/** `extensions.code` of the error a subscribe over `maxSubscriptionsPerSocket` gets. */
export const TOO_MANY_SUBSCRIPTIONS = 'TOO_MANY_SUBSCRIPTIONS';

/** What one instance allows its graphql-ws sockets; the operation limits are the shared policy's. */
export interface WebSocketLimits {
  /** Largest message a client may send; over it the socket is closed with 1009 Message Too Big. */
  maxPayloadBytes: number;
  /**
   * Operations one socket may have running at once (subscriptions, and queries still executing).
   * The next one gets an `error` message; the socket and its other operations carry on.
   */
  maxSubscriptionsPerSocket: number;
  /** Sockets one merchant may hold open per mode on this instance; the next is closed with 4429. */
  maxSocketsPerMerchant: number;
}

/** The socket caps' defaults; `GRAPHQL_WS_*` (src/config.ts) override them. */
export const DEFAULT_WEBSOCKET_LIMITS: Readonly<WebSocketLimits> = {
  maxPayloadBytes: 64 * 1024,
  maxSubscriptionsPerSocket: 100,
  maxSocketsPerMerchant: 1000,
};

/** Open sockets per merchant and mode on this instance, capped at `maxSocketsPerMerchant`. */
export class MerchantSockets {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /**
   * Counts an authenticated socket against its merchant and mode until it closes. Over the cap the
   * socket is closed with {@link WsCloseCode.TooManySockets} and false is returned (for onConnect:
   * graphql-ws's own close that follows is a no-op on a closing socket).
   */
  admit(socket: WebSocket, principal: Principal): boolean {
    // A client that left while its credentials were checked never emits `close` again: not counted.
    if (socket.readyState !== WebSocket.OPEN) return false;
    const key = `${principal.merchantId}:${principal.livemode}`;
    const count = this.open.get(key) ?? 0;
    if (count >= this.max) {
      socket.close(
        WsCloseCode.TooManySockets,
        `Too many open sockets: at most ${this.max} per merchant and mode`,
      );
      return false;
    }
    this.open.set(key, count + 1);
    socket.once('close', () => {
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    });
    return true;
  }

  /** Sockets counted for a merchant in one mode (for tests and metrics). */
  count(merchantId: string, livemode: boolean): number {
    return this.open.get(`${merchantId}:${livemode}`) ?? 0;
  }
}

/**
 * The refusal of an operation beyond `max` running on its socket, or null. graphql-ws registers the
 * id before calling onSubscribe and removes it on complete, on error and on close, so its registry
 * counts this socket's running operations, this one included. Call it before awaiting anything:
 * operations arriving meanwhile are registered too, and each must see the others.
 */
export function overSocketCap(
  ctx: Pick<Context, 'subscriptions'>,
  max: number,
): readonly GraphQLError[] | null {
  if (Object.keys(ctx.subscriptions).length <= max) return null;
  return [
    new GraphQLError(`Too many operations on this socket: at most ${max} at once.`, {
      extensions: { code: TOO_MANY_SUBSCRIPTIONS },
    }),
  ];
}

/** Operation texts whose parsed and validated document {@link policedSubscribe} keeps, and their longest. */
const CACHED_DOCUMENTS = 500;
const CACHED_TEXT_LENGTH = 4096;

/**
 * The operation policy for graphql-ws's `onSubscribe`: the same parse, validation, input rules and
 * cost the HTTP transport applies (the per-socket cap is {@link overSocketCap}, checked first). Every
 * refusal is an `error` message for that operation id; the socket stays open. The returned ExecutionArgs carry no contextValue, so the
 * server's `context` option still builds it (one place for the connection's context).
 */
export function policedSubscribe(options: {
  schema: GraphQLSchema;
  policy: GraphQLOperationPolicy;
}): (
  ctx: Pick<Context, 'subscriptions'>,
  id: string,
  payload: SubscribePayload,
) => ExecutionArgs | readonly GraphQLError[] {
  const { schema, policy } = options;
  // Subscribers send the same few operations: each text is parsed and validated once, and its
  // subscribers hold one document between them. Only short documents that passed are kept.
  const documents = new Map<string, DocumentNode>();
  return (_ctx, _id, payload) => {
    let document = documents.get(payload.query);
    if (!document) {
      try {
        document = policy.parse(payload.query);
      } catch (error) {
        if (error instanceof GraphQLError) return [error];
        throw error;
      }
      const invalid = policy.validate(schema, document);
      if (invalid.length > 0) return invalid;
      if (payload.query.length <= CACHED_TEXT_LENGTH) {
        if (documents.size >= CACHED_DOCUMENTS) documents.delete(documents.keys().next().value!);
        documents.set(payload.query, document);
      }
    }
    const badInput = inputProblem(schema, document, payload.variables, payload.operationName);
    if (badInput) return [badInput];
    const tooCostly = policy.checkCost(schema, document, payload.variables, payload.operationName);
    if (tooCostly) return [tooCostly];
    return {
      schema,
      document,
      variableValues: payload.variables,
      operationName: payload.operationName,
    };
  };
}
