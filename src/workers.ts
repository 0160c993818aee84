import type { FastifyBaseLogger } from 'fastify';
import type { OutboxRelay } from './events/relay.js';
import type { Metrics } from './http/ops.js';
import type { AuthorizationService } from './services/authorizations.js';
import type { CheckoutService } from './services/checkout.js';
import type { RefundService } from './services/refunds.js';
import type { StrayCharges } from './services/stray-charges.js';
import type { WebhookDispatcher } from './webhooks/dispatcher.js';
import type { IdempotencyService } from './services/idempotency.js';
import type { PaymentService } from './services/payments.js';
import type { TokenService } from './services/tokens.js';

const PRUNE_EVERY_MS = 60_000;

/**
 * The background loop of every instance: relays outbox events that no local commit kicked (e.g.
 * written by another instance that died), expires unpaid payments, finishes charges a crash cut
 * off (and releases charges an acquirer made after a failover), and prunes idempotency keys.
 * Each step is safe to run on several instances at once.
 */
export class Workers {
  private timer: NodeJS.Timeout | null = null;
  private tick: Promise<void> | null = null;
  private lastPrune = 0;

  constructor(
    private readonly deps: {
      relay: OutboxRelay;
      payments: PaymentService;
      checkout: CheckoutService;
      authorizations: AuthorizationService;
      refunds: RefundService;
      strayCharges: StrayCharges;
      /** How long a charge may stay undecided before its acquirer is asked about it. */
      reconcileAfterMs: number;
      dispatcher: WebhookDispatcher;
      idempotency: IdempotencyService;
      tokens: TokenService;
      metrics: Metrics;
      log: FastifyBaseLogger;
      intervalMs: number;
    },
  ) {}

  start(): void {
    const loop = () => {
      this.tick = this.runOnce().finally(() => {
        this.tick = null;
        if (this.timer) this.timer = setTimeout(loop, this.deps.intervalMs).unref();
      });
    };
    this.timer = setTimeout(loop, this.deps.intervalMs).unref();
  }

  /** One pass of every job. Errors are logged, never thrown: the loop must survive a database blip. */
  async runOnce(now = new Date()): Promise<void> {
    const { relay, payments, checkout, authorizations, refunds, dispatcher, idempotency, metrics, log } =
      this.deps;
    try {
      const expired = await payments.expireDuePayments(now);
      if (expired > 0) {
        metrics.paymentsExpired.inc(expired);
        log.info({ expired }, 'expired unpaid payments');
      }
      await authorizations.expireAuthorizations(now);
      const recovered =
        (await checkout.recoverStuck()) + (await authorizations.recover()) + (await refunds.recover());
      if (recovered > 0) log.warn({ recovered }, 'finished charges interrupted mid-flight');
      await this.deps.strayCharges.sweep(this.deps.reconcileAfterMs);
      await relay.kick();
      await dispatcher.kick();
      if (now.getTime() - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = now.getTime();
        await idempotency.prune(now);
        await this.deps.tokens.pruneRevoked();
      }
    } catch (error) {
      log.error({ err: error }, 'background job failed');
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.tick;
  }
}
