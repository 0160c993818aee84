import type { TillEvent } from '../events/outbox.js';
import type { PaymentPayload } from '../events/payment-payload.js';
import type { Principal } from '../services/principal.js';
import type { DashboardTransport } from './dashboard-transport.js';
import { unauthenticated } from './errors.js';

/** Per-operation GraphQL context (HTTP request or WebSocket subscription). */
export interface GraphQLContext {
  /** Null when the caller presented no valid credential; resolvers that need one refuse. */
  principal: Principal | null;
  /** The Idempotency-Key header of the HTTP request, if any (several when it was repeated). */
  idempotencyKey: string | readonly string[] | null;
  /** Over HTTP only: the request's client and its session cookie (signing in and out). */
  dashboard?: DashboardTransport;
  /** Opens a live feed of payment changes (subscriptions only need it; decorators cannot reach `this`). */
  openPaymentFeed(
    principal: Principal,
    paymentId: string | null,
  ): Promise<AsyncIterableIterator<PaymentPayload>>;
  /** Opens a live feed of the principal's events, those stored after `after` first. */
  openEventFeed(principal: Principal, after: string | null): Promise<AsyncIterableIterator<TillEvent>>;
}

/** The caller of an operation that needs one; an anonymous operation is refused as UNAUTHENTICATED. */
export function principalOf(ctx: Pick<GraphQLContext, 'principal'>): Principal {
  if (!ctx.principal) throw unauthenticated();
  return ctx.principal;
}
