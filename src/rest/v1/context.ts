import type { IdempotentReply } from '../../http/pipeline/idempotency.js';
import type { ApiRateLimit } from '../../services/api-rate-limit.js';
import type { Authenticator } from '../../services/authenticator.js';
import type { AuthorizationService } from '../../services/authorizations.js';
import type { EventService } from '../../services/events.js';
import type { IdempotencyService } from '../../services/idempotency.js';
import type { PaymentService } from '../../services/payments.js';
import type { RefundService } from '../../services/refunds.js';
import type { WebhookEndpointService } from '../../webhooks/endpoints.js';

/** What the v1 routes are given: the services they adapt. */
export interface V1Deps {
  auth: Authenticator;
  rateLimit: ApiRateLimit;
  payments: PaymentService;
  idempotency: IdempotencyService;
  authorizations: AuthorizationService;
  refunds: RefundService;
  webhooks: WebhookEndpointService;
  events: EventService;
  publicUrl: string;
}

/**
 * What the v1 route modules share: the services and the idempotent-POST answer. Its own module, so
 * `routes.ts` can mount the route modules that use it without them importing it back.
 */
export interface V1Context {
  deps: V1Deps;
  idempotent: IdempotentReply;
}
