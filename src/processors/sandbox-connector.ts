import type { Database } from '../db/orm.js';
import {
  InvalidNotification,
  type AuthorizeOutcome,
  type AuthorizeRequest,
  type ChargeContext,
  type Connector,
  type OperationOutcome,
  type RedirectAction,
  type CancelRequest,
  type CaptureRequest,
  type CompleteActionRequest,
  type LookupRequest,
  type RefundRequest,
} from './connector.js';
import type { ChargeResult, OperationResult } from './processor.js';
import { DECLINE_MESSAGES } from './processor.js';
import type { SandboxProcessor } from './sandbox.js';

/**
 * The sandbox acquirer behind the same interface as Stripe and Adyen. Its 3-D Secure is its own
 * access control server page, and it charges only once authentication has passed. It records each
 * charge request before charging, so a charge whose answer a crash lost is finished on lookup, as
 * a real acquirer finishes a request it received.
 */
export class SandboxConnector implements Connector {
  readonly kind = 'sandbox' as const;

  constructor(
    readonly accountId: string,
    private readonly sandbox: SandboxProcessor,
    private readonly db: Database,
  ) {}

  /** The sandbox's issuer decides on 3-D Secure from the card (and the simulated flow) before any charge. */
  async authenticate(
    request: AuthorizeRequest,
  ): Promise<{ reference: string; action: RedirectAction } | null> {
    // Decided from the card alone: a card that needs none is vaulted once, by authorize.
    if (this.sandbox.authenticationOf(request.card, request.simulation).length === 0) return null;
    const prepared = await this.sandbox.prepareCard(request.card, request.simulation);
    const challenge = await this.sandbox.startChallenge(request.paymentId, prepared);
    return { reference: challenge.id, action: { url: challenge.url, method: 'GET' } };
  }

  async authorize(request: AuthorizeRequest): Promise<AuthorizeOutcome> {
    const authentication = await this.authenticate(request);
    if (authentication) return { status: 'action', ...authentication };
    const prepared = await this.sandbox.prepareCard(request.card, request.simulation);
    return this.charge(request.idempotencyKey, prepared.ref, request, 'not_required');
  }

  async completeAction(request: CompleteActionRequest): Promise<AuthorizeOutcome> {
    const challenge = await this.sandbox.getChallenge(request.reference);
    if (!challenge) throw new Error('The sandbox knows no such authentication.');
    if (!challenge.result) {
      const url = (await this.sandbox.startChallengeUrl(challenge.id)) ?? '';
      return { status: 'action', reference: challenge.id, action: { url, method: 'GET' } };
    }
    // No charge at all when the cardholder failed authentication.
    if (challenge.result === 'failed')
      return {
        status: 'declined',
        reference: challenge.id,
        code: 'authentication_failed',
        message: DECLINE_MESSAGES.authentication_failed!,
        acquirerCode: 'authentication_failed',
      };
    return this.charge(request.idempotencyKey, challenge.cardRef, request.charge, 'passed');
  }

  async lookup(request: LookupRequest): Promise<AuthorizeOutcome | null> {
    const [row] = await this.db.em.fork().execute<
      {
        card_ref: string;
        amount: string | number;
        currency: string;
        capture: boolean;
        tokenize: boolean;
        simulation: ChargeContext['simulation'] | string;
      }[]
    >('select card_ref, amount, currency, capture, tokenize, simulation from sandbox_charge_request where idempotency_key = ?', [request.idempotencyKey]);
    if (!row) return null;
    const simulation = typeof row.simulation === 'string' ? JSON.parse(row.simulation) : row.simulation;
    return this.charge(
      request.idempotencyKey,
      row.card_ref,
      {
        amount: Number(row.amount),
        currency: row.currency,
        capture: row.capture,
        tokenize: row.tokenize,
        simulation,
      },
      'passed',
    );
  }

  async capture(request: CaptureRequest): Promise<OperationOutcome> {
    return operation(
      await this.sandbox.capture({
        idempotencyKey: request.idempotencyKey,
        chargeId: request.reference,
        amount: request.amount,
      }),
    );
  }

  async cancel(request: CancelRequest): Promise<OperationOutcome> {
    return operation(
      await this.sandbox.void({ idempotencyKey: request.idempotencyKey, chargeId: request.reference }),
    );
  }

  async refund(request: RefundRequest): Promise<OperationOutcome> {
    return operation(
      await this.sandbox.refund({
        idempotencyKey: request.idempotencyKey,
        chargeId: request.reference,
        amount: request.amount,
      }),
    );
  }

  parseNotification(): never {
    throw new InvalidNotification('The sandbox sends no webhooks.');
  }

  /** Records the request (once per key), then charges by the same key. */
  private async charge(
    idempotencyKey: string,
    cardRef: string,
    context: ChargeContext,
    authentication: 'not_required' | 'passed',
  ): Promise<AuthorizeOutcome> {
    await this.db.em.fork().execute(
      `insert into sandbox_charge_request (idempotency_key, card_ref, amount, currency, capture, tokenize, simulation, created_at)
       values (?, ?, ?, ?, ?, ?, ?::jsonb, now()) on conflict (idempotency_key) do nothing`,
      [
        idempotencyKey,
        cardRef,
        context.amount,
        context.currency,
        context.capture,
        context.tokenize,
        JSON.stringify(context.simulation),
      ],
    );
    const result: ChargeResult = await this.sandbox.charge({
      idempotencyKey,
      cardRef,
      amount: context.amount,
      currency: context.currency,
      capture: context.capture,
      tokenize: context.tokenize,
      simulation: context.simulation,
      authentication,
    });
    return result.outcome === 'approved'
      ? {
          status: 'approved',
          reference: result.chargeId,
          captured: context.capture,
          approvalCode: result.approvalCode,
          cardToken: result.cardToken,
        }
      : {
          status: 'declined',
          reference: result.chargeId || null,
          code: result.code,
          message: result.message,
          acquirerCode: result.code,
        };
  }
}

function operation(result: OperationResult): OperationOutcome {
  return result.outcome === 'succeeded'
    ? { status: 'succeeded', reference: null }
    : { status: 'failed', reference: null, message: result.message };
}
