import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import type { PaymentObject, RefundObject } from '../domain/payment.js';
import { JSONObject, SafeInt } from './scalars.js';

export enum PaymentStatus {
  PENDING = 'PENDING',
  REQUIRES_ACTION = 'REQUIRES_ACTION',
  PROCESSING = 'PROCESSING',
  AUTHORIZED = 'AUTHORIZED',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELED = 'CANCELED',
  EXPIRED = 'EXPIRED',
}
registerEnumType(PaymentStatus, { name: 'PaymentStatus', description: 'Where a payment is in its life.' });

export enum IntegrationType {
  DIRECT = 'DIRECT',
  HOSTED_PAYMENT_PAGE = 'HOSTED_PAYMENT_PAGE',
}
registerEnumType(IntegrationType, { name: 'IntegrationType', description: 'How the payment was collected.' });

export enum TransactionType {
  PURCHASE = 'PURCHASE',
  AUTHORIZE = 'AUTHORIZE',
}
registerEnumType(TransactionType, {
  name: 'TransactionType',
  description: 'PURCHASE collects at once; AUTHORIZE holds the money for a later capture.',
});

@ObjectType({ description: 'Masked card details. Never the full number or the CVC.' })
export class Card {
  @Field() brand!: string;
  @Field() last4!: string;
  @Field(() => SafeInt) expMonth!: number;
  @Field(() => SafeInt) expYear!: number;
  @Field(() => String, { nullable: true }) country!: string | null;
}

@ObjectType()
export class Address {
  @Field(() => String, { nullable: true }) line1!: string | null;
  @Field(() => String, { nullable: true }) line2!: string | null;
  @Field(() => String, { nullable: true }) city!: string | null;
  @Field(() => String, { nullable: true }) state!: string | null;
  @Field(() => String, { nullable: true }) postalCode!: string | null;
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2.' }) country!: string | null;
}

@ObjectType()
export class BillingDetails {
  @Field(() => String, { nullable: true }) email!: string | null;
  @Field(() => String, { nullable: true }) firstName!: string | null;
  @Field(() => String, { nullable: true }) lastName!: string | null;
  @Field(() => String, { nullable: true }) phone!: string | null;
  @Field(() => Address, { nullable: true }) address!: Address | null;
}

@ObjectType({ description: 'Unix timestamps (seconds) of the status changes a payment went through.' })
export class StatusTransitions {
  @Field(() => SafeInt, { nullable: true }) requiresActionAt!: number | null;
  @Field(() => SafeInt, { nullable: true }) processingAt!: number | null;
  @Field(() => SafeInt, { nullable: true }) authorizedAt!: number | null;
  @Field(() => SafeInt, { nullable: true }) succeededAt!: number | null;
  @Field(() => SafeInt, { nullable: true }) failedAt!: number | null;
  @Field(() => SafeInt, { nullable: true }) canceledAt!: number | null;
  @Field(() => SafeInt, { nullable: true }) expiredAt!: number | null;
}

@ObjectType({ description: 'What the customer must do to continue the payment.' })
export class NextAction {
  @Field() redirectUrl!: string;
}

@ObjectType({ description: "Seed 000's customer." })
export class Customer {
  @Field(() => String, { nullable: true }) id!: string | null;
  @Field(() => String, { nullable: true }) firstName!: string | null;
  @Field(() => String, { nullable: true }) lastName!: string | null;
  @Field(() => String, { nullable: true }) email!: string | null;
  @Field(() => String, { nullable: true }) phone!: string | null;
  @Field(() => String, { nullable: true }) address!: string | null;
  @Field(() => String, { nullable: true }) city!: string | null;
  @Field(() => String, { nullable: true }) country!: string | null;
  @Field(() => String, { nullable: true }) postalCode!: string | null;
}

@ObjectType({ description: 'Money returned to the customer from a payment.' })
export class Refund {
  @Field(() => ID, { description: '`re_` + 24 base62 characters.' }) id!: string;
  @Field(() => ID) paymentId!: string;
  @Field(() => SafeInt) amount!: number;
  @Field({ description: 'pending, succeeded or failed.' }) status!: string;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field(() => String, { nullable: true }) failureReason!: string | null;
  @Field(() => SafeInt) createdAt!: number;

  static from(r: RefundObject): Refund {
    return Object.assign(new Refund(), {
      id: r.id,
      paymentId: r.payment_id,
      amount: r.amount,
      status: r.status,
      reason: r.reason,
      failureReason: r.failure_reason,
      createdAt: r.created_at,
    });
  }
}

@ObjectType({ description: "One attempt to collect money: seed 004's Payment object, in camelCase." })
export class Payment {
  @Field(() => ID, { description: '`pay_` + 24 base62 characters.' }) id!: string;
  @Field(() => SafeInt, { description: 'Amount in minor units (100 = €1.00).' }) amount!: number;
  @Field({ description: 'ISO 4217 currency code.' }) currency!: string;
  @Field(() => PaymentStatus) status!: PaymentStatus;
  @Field(() => IntegrationType) integrationType!: IntegrationType;
  @Field(() => SafeInt) amountRefunded!: number;
  @Field(() => SafeInt) amountRefundable!: number;
  @Field(() => SafeInt, {
    nullable: true,
    description: 'What was captured (a captured AUTHORIZE may be partial).',
  })
  amountCaptured!: number | null;
  @Field(() => SafeInt, { description: 'Unix timestamp (seconds) of creation.' }) createdAt!: number;
  @Field() livemode!: boolean;
  @Field(() => String, { nullable: true }) merchantReference!: string | null;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => Card, { nullable: true }) card!: Card | null;
  @Field(() => BillingDetails, { nullable: true }) billingDetails!: BillingDetails | null;
  @Field(() => JSONObject) metadata!: Record<string, unknown>;
  @Field(() => String, { nullable: true }) declineCode!: string | null;
  @Field(() => String, { nullable: true }) declineMessage!: string | null;
  @Field(() => String, { nullable: true }) hostedPaymentUrl!: string | null;
  @Field(() => [Refund]) refunds!: Refund[];
  @Field(() => StatusTransitions) statusTransitions!: StatusTransitions;
  @Field(() => NextAction, { nullable: true }) nextAction!: NextAction | null;
  @Field(() => TransactionType) transactionType!: TransactionType;
  @Field(() => String, {
    nullable: true,
    description: 'Where the customer returns after the page (seed 004).',
  })
  returnUrl!: string | null;
  @Field(() => String, { nullable: true, description: 'Seed 000: the terminal.' }) terminalId!: string | null;
  @Field(() => String, { nullable: true, description: 'Seed 000: the hosted session id.' }) sessionId!:
    string | null;
  @Field(() => String, { nullable: true }) successUrl!: string | null;
  @Field(() => String, { nullable: true }) cancelUrl!: string | null;
  @Field(() => String, { nullable: true }) errorUrl!: string | null;
  @Field(() => Customer, { nullable: true }) customer!: Customer | null;
  @Field(() => String, { nullable: true, description: 'Saved-card token (tokenization).' }) cardToken!:
    string | null;
  @Field(() => SafeInt, { description: 'Unix timestamp after which an unpaid payment expires.' })
  expiresAt!: number;
  @Field(() => SafeInt, { description: 'Increases by one with every status change.' }) version!: number;

  /** The GraphQL view of the wire Payment object: same fields, camelCase. */
  static from(o: PaymentObject): Payment {
    const b = o.billing_details;
    const a = b?.address;
    const t = o.status_transitions;
    return Object.assign(new Payment(), {
      id: o.id,
      amount: o.amount,
      currency: o.currency,
      status: o.status as unknown as PaymentStatus,
      integrationType: o.integration_type as IntegrationType,
      amountRefunded: o.amount_refunded,
      amountRefundable: o.amount_refundable,
      amountCaptured: o.amount_captured,
      createdAt: o.created_at,
      livemode: o.livemode,
      merchantReference: o.merchant_reference,
      description: o.description,
      card: o.card && {
        brand: o.card.brand,
        last4: o.card.last4,
        expMonth: o.card.exp_month,
        expYear: o.card.exp_year,
        country: o.card.country,
      },
      billingDetails: b && {
        email: b.email ?? null,
        firstName: b.first_name ?? null,
        lastName: b.last_name ?? null,
        phone: b.phone ?? null,
        address: a
          ? {
              line1: a.line1 ?? null,
              line2: a.line2 ?? null,
              city: a.city ?? null,
              state: a.state ?? null,
              postalCode: a.postal_code ?? null,
              country: a.country ?? null,
            }
          : null,
      },
      metadata: o.metadata,
      declineCode: o.decline_code,
      declineMessage: o.decline_message,
      hostedPaymentUrl: o.hosted_payment_url,
      refunds: (o.refunds ?? []).map((r) => Refund.from(r)),
      statusTransitions: {
        requiresActionAt: t.requires_action_at,
        processingAt: t.processing_at,
        authorizedAt: t.authorized_at,
        succeededAt: t.succeeded_at,
        failedAt: t.failed_at,
        canceledAt: t.canceled_at,
        expiredAt: t.expired_at,
      },
      nextAction: o.next_action && { redirectUrl: o.next_action.redirect_url },
      transactionType: o.transaction_type as TransactionType,
      returnUrl: o.return_url,
      terminalId: o.terminal_id,
      sessionId: o.session_id,
      successUrl: o.success_url,
      cancelUrl: o.cancel_url,
      errorUrl: o.error_url,
      customer: o.customer && {
        id: o.customer.id ?? null,
        firstName: o.customer.first_name ?? null,
        lastName: o.customer.last_name ?? null,
        email: o.customer.email ?? null,
        phone: o.customer.phone ?? null,
        address: o.customer.address ?? null,
        city: o.customer.city ?? null,
        country: o.customer.country ?? null,
        postalCode: o.customer.postal_code ?? null,
      },
      cardToken: o.card_token,
      expiresAt: o.expires_at,
      version: o.version,
    });
  }
}
