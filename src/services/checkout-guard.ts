import { RateLimitError } from '../domain/errors.js';
import type { Limiter, RateLimitStore } from './rate-limits.js';

/** Limits against card testing on the hosted page (defaults in one place). */
export interface CheckoutGuardOptions {
  /** Card submissions one client address may make per window, across sessions and merchants. */
  perClient: number;
  windowSec: number;
  /** Invalid card forms one session may submit before it refuses further tries. */
  invalidPerSession: number;
  /** Declines one merchant's checkouts may see per minute before submissions pause for a minute. */
  declinesPerMerchantPerMinute: number;
}

export const DEFAULT_CHECKOUT_GUARD: CheckoutGuardOptions = {
  perClient: 20,
  windowSec: 10 * 60,
  invalidPerSession: 10,
  declinesPerMerchantPerMinute: 30,
};

/**
 * Card testing is many cards tried fast: from one address (per-client limit), on one session
 * (invalid forms), or spread over many addresses against one merchant (the merchant's decline
 * velocity). The counters live in the shared rate-limit store: every instance sees the same counts,
 * and a flood of fresh keys cannot flush them.
 */
export class CheckoutGuard {
  private readonly client: Limiter;
  private readonly session: Limiter;
  private readonly merchantDeclines: Limiter;

  constructor(store: RateLimitStore, options: CheckoutGuardOptions = DEFAULT_CHECKOUT_GUARD) {
    this.client = store.limiter({
      name: 'checkout-client',
      points: options.perClient,
      durationSec: options.windowSec,
    });
    // A limiter refuses once its points are exceeded: the n-th invalid form closes the session.
    this.session = store.limiter({
      name: 'checkout-session',
      points: options.invalidPerSession - 1,
      durationSec: 24 * 3600,
      blockSec: 24 * 3600,
    });
    this.merchantDeclines = store.limiter({
      name: 'checkout-merchant-declines',
      points: options.declinesPerMerchantPerMinute - 1,
      durationSec: 60,
      blockSec: 60,
    });
  }

  /** Counts one card submission; throws RateLimitError when any limit refuses it. */
  async admit(client: string, sessionId: string, merchantId: string): Promise<void> {
    const [session, merchant] = await Promise.all([
      this.session.peek(sessionId),
      this.merchantDeclines.peek(merchantId),
    ]);
    if (!session.allowed)
      throw new RateLimitError('Too many attempts for this payment. Please contact the merchant.', session);
    if (!merchant.allowed)
      throw new RateLimitError(
        'Card payments are paused for a moment. Please try again in a minute.',
        merchant,
      );
    const byClient = await this.client.consume(client);
    if (!byClient.allowed)
      throw new RateLimitError(
        'Too many payment attempts. Please wait a few minutes and try again.',
        byClient,
      );
  }

  /** A card form that failed validation, on one session. */
  async invalidForm(sessionId: string): Promise<void> {
    await this.session.consume(sessionId);
  }

  /** A decline (or failed 3-D Secure) at one merchant. */
  async declined(merchantId: string): Promise<void> {
    await this.merchantDeclines.consume(merchantId);
  }
}
