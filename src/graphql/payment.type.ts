import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { unixSeconds, unixSecondsOrNull } from '../domain/time.js';
import { PAYMENT_STATUSES, type PaymentStatus as DomainStatus } from '../domain/payment-status.js';
import {
  amountRefundable,
  hostedPaymentUrl,
  type Payment as DomainPayment,
  type Refund as DomainRefund,
} from '../domain/payment.js';
import { paymentFromPayload, type PaymentPayload } from '../events/payment-payload.js';
import { JSONObject, SafeInt } from './scalars.js';

/** The domain's payment statuses as a GraphQL enum, each value named as it is spelled. */
export const PaymentStatus = Object.fromEntries(PAYMENT_STATUSES.map((status) => [status, status])) as {
  [S in DomainStatus]: S;
};
export type PaymentStatus = DomainStatus;
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

@ObjectType({
  description: 'Where the card went: the acquirer, the merchant’s account there, and its id for the charge.',
})
export class ProcessorRoute {
  @Field({ description: 'sandbox, stripe or adyen.' }) connector!: string;
  @Field(() => ID, {
    nullable: true,
    description: 'The connector account (`ca_…`); null for the built-in sandbox.',
  })
  accountId!: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'The acquirer’s id for the charge (a PaymentIntent id, a pspReference).',
  })
  reference!: string | null;
}

@ObjectType({ description: 'One try at charging the card at one acquirer account.' })
export class ChargeAttempt {
  @Field() connector!: string;
  @Field(() => ID, { nullable: true }) accountId!: string | null;
  @Field(() => String, { nullable: true }) reference!: string | null;
  @Field({
    description:
      'approved, declined, requires_action, pending, or technical_failure (the acquirer did not decide).',
  })
  status!: string;
  @Field(() => String, { nullable: true, description: 'The decline code or the kind of technical failure.' })
  error!: string | null;
  @Field(() => SafeInt) createdAt!: number;
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

  static from(r: DomainRefund): Refund {
    return Object.assign(new Refund(), {
      id: r.id,
      paymentId: r.paymentId,
      amount: r.amount,
      status: r.status,
      reason: r.reason,
      failureReason: r.failureReason,
      createdAt: unixSeconds(r.createdAt),
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
  @Field(() => String, {
    nullable: true,
    description: "The hosted page's language as asked for at creation (a BCP 47 tag); null: the browser's.",
  })
  locale!: string | null;
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
  @Field(() => ProcessorRoute, { nullable: true, description: 'Null until the card is sent to an acquirer.' })
  processor!: ProcessorRoute | null;
  @Field(() => [ChargeAttempt], {
    description: 'Every try at an acquirer, oldest first (a failover makes two).',
  })
  attempts!: ChargeAttempt[];

  /** The GraphQL view of a payment. */
  static from(p: DomainPayment, publicUrl: string): Payment {
    const b = p.billingDetails;
    const a = b?.address;
    const t = p.transitions;
    return Object.assign(new Payment(), {
      id: p.id,
      amount: p.amount,
      currency: p.currency,
      status: p.status,
      integrationType: p.integrationType as IntegrationType,
      amountRefunded: p.amountRefunded,
      amountRefundable: amountRefundable(p),
      amountCaptured: p.amountCaptured,
      createdAt: unixSeconds(p.createdAt),
      livemode: p.livemode,
      merchantReference: p.merchantReference,
      description: p.description,
      locale: p.locale,
      card: p.card && { ...p.card },
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
      metadata: p.metadata,
      declineCode: p.declineCode,
      declineMessage: p.declineMessage,
      hostedPaymentUrl:
        p.integrationType === 'HOSTED_PAYMENT_PAGE' ? hostedPaymentUrl(publicUrl, p.id) : null,
      refunds: p.refunds.map((r) => Refund.from(r)),
      statusTransitions: {
        requiresActionAt: unixSecondsOrNull(t.requiresActionAt),
        processingAt: unixSecondsOrNull(t.processingAt),
        authorizedAt: unixSecondsOrNull(t.authorizedAt),
        succeededAt: unixSecondsOrNull(t.succeededAt),
        failedAt: unixSecondsOrNull(t.failedAt),
        canceledAt: unixSecondsOrNull(t.canceledAt),
        expiredAt: unixSecondsOrNull(t.expiredAt),
      },
      nextAction: p.nextAction && { redirectUrl: p.nextAction.redirectUrl },
      transactionType: p.transactionType as TransactionType,
      returnUrl: p.returnUrl,
      terminalId: p.terminalId,
      sessionId: p.sessionId,
      successUrl: p.successUrl,
      cancelUrl: p.cancelUrl,
      errorUrl: p.errorUrl,
      customer: p.customer && {
        id: p.customer.id ?? null,
        firstName: p.customer.first_name ?? null,
        lastName: p.customer.last_name ?? null,
        email: p.customer.email ?? null,
        phone: p.customer.phone ?? null,
        address: p.customer.address ?? null,
        city: p.customer.city ?? null,
        country: p.customer.country ?? null,
        postalCode: p.customer.postal_code ?? null,
      },
      cardToken: p.cardToken,
      expiresAt: unixSeconds(p.expiresAt),
      version: p.version,
      processor: p.processorRoute && { ...p.processorRoute },
      attempts: p.chargeAttempts.map((a) => ({ ...a, createdAt: unixSeconds(a.createdAt) })),
    });
  }

  /**
   * The GraphQL view of a payment as events carry it (a published change, a stored response): the
   * one way a payload becomes a GraphQL Payment.
   */
  static fromPayload(payload: PaymentPayload, publicUrl: string): Payment {
    return Payment.from(paymentFromPayload(payload), publicUrl);
  }
}
