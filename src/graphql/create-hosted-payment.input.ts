import { Field, InputType, ObjectType } from 'type-graphql';
import type { CreateHostedPaymentInput as DomainInput } from '../domain/payment.js';
import { Payment, TransactionType } from './payment.type.js';
import { JSONObject, SafeInt } from './scalars.js';
import { UserError } from './user-error.type.js';

@InputType()
export class AddressInput {
  @Field(() => String, { nullable: true }) line1?: string | null;
  @Field(() => String, { nullable: true }) line2?: string | null;
  @Field(() => String, { nullable: true }) city?: string | null;
  @Field(() => String, { nullable: true }) state?: string | null;
  @Field(() => String, { nullable: true }) postalCode?: string | null;
  @Field(() => String, { nullable: true }) country?: string | null;
}

@InputType()
export class BillingDetailsInput {
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true }) firstName?: string | null;
  @Field(() => String, { nullable: true }) lastName?: string | null;
  @Field(() => String, { nullable: true }) phone?: string | null;
  @Field(() => AddressInput, { nullable: true }) address?: AddressInput | null;
}

@InputType({ description: "Seed 000's customer." })
export class CustomerInput {
  @Field(() => String, { nullable: true, description: 'Your id for the customer.' }) id?: string | null;
  @Field(() => String, { nullable: true }) firstName?: string | null;
  @Field(() => String, { nullable: true }) lastName?: string | null;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true, description: 'E.164 recommended.' }) phone?: string | null;
  @Field(() => String, { nullable: true }) address?: string | null;
  @Field(() => String, { nullable: true }) city?: string | null;
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2.' }) country?: string | null;
  @Field(() => String, { nullable: true }) postalCode?: string | null;
}

@InputType({
  description:
    "A hosted payment. Either seed 004's shape (returnUrl; EUR) or seed 000's (terminalId, transactionType, successUrl, cancelUrl, errorUrl; the terminal's currencies).",
})
export class CreateHostedPaymentInput {
  @Field(() => SafeInt, { description: 'Amount in minor units, 1 to 2^53 − 1.' }) amount!: number;
  @Field({ description: 'ISO 4217.' }) currency!: string;
  @Field(() => String, {
    nullable: true,
    description: 'Absolute http(s) URL the customer returns to (seed 004).',
  })
  returnUrl?: string | null;
  @Field(() => String, { nullable: true, description: 'Seed 000: one of your terminals.' }) terminalId?:
    string | null;
  @Field(() => TransactionType, { nullable: true, description: 'Seed 000; default PURCHASE.' })
  transactionType?: TransactionType | null;
  @Field(() => String, { nullable: true, description: 'Seed 000: after a successful payment.' }) successUrl?:
    string | null;
  @Field(() => String, { nullable: true, description: 'Seed 000: when the customer cancels.' }) cancelUrl?:
    string | null;
  @Field(() => String, { nullable: true, description: 'Seed 000: after a failed payment.' }) errorUrl?:
    string | null;
  @Field(() => CustomerInput, { nullable: true }) customer?: CustomerInput | null;
  @Field(() => Boolean, {
    nullable: true,
    description: 'Seed 000 tokenization.save_card_for_future_payments.',
  })
  saveCardForFuturePayments?: boolean | null;
  @Field(() => String, { nullable: true }) merchantReference?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => String, {
    nullable: true,
    description:
      "The hosted page's language, a BCP 47 tag (`de`, `bs-BA`). Without it the page follows the browser's Accept-Language.",
  })
  locale?: string | null;
  @Field(() => BillingDetailsInput, { nullable: true }) billingDetails?: BillingDetailsInput | null;
  @Field(() => JSONObject, { nullable: true }) metadata?: Record<string, unknown> | null;
  @Field(() => String, {
    nullable: true,
    description: 'Makes the mutation safe to retry (same rules as the Idempotency-Key header).',
  })
  idempotencyKey?: string | null;
}

/** GraphQL input → the domain's input (billing details in the wire's snake_case). */
export function toDomainInput(input: CreateHostedPaymentInput): DomainInput {
  const b = input.billingDetails;
  const c = input.customer;
  const api = input.returnUrl == null && (input.terminalId != null || input.successUrl != null);
  return {
    rules: api ? 'api' : 'v1',
    amount: input.amount,
    currency: input.currency,
    returnUrl: input.returnUrl ?? null,
    terminalId: input.terminalId ?? null,
    transactionType: input.transactionType ?? 'PURCHASE',
    successUrl: input.successUrl ?? null,
    cancelUrl: input.cancelUrl ?? null,
    errorUrl: input.errorUrl ?? null,
    saveCard: input.saveCardForFuturePayments ?? false,
    customer: c
      ? {
          id: c.id ?? null,
          first_name: c.firstName ?? null,
          last_name: c.lastName ?? null,
          email: c.email ?? null,
          phone: c.phone ?? null,
          address: c.address ?? null,
          city: c.city ?? null,
          country: c.country ?? null,
          postal_code: c.postalCode ?? null,
        }
      : null,
    merchantReference: input.merchantReference ?? null,
    description: input.description ?? null,
    locale: input.locale ?? null,
    metadata: input.metadata ?? null,
    billingDetails: b
      ? {
          email: b.email ?? null,
          first_name: b.firstName ?? null,
          last_name: b.lastName ?? null,
          phone: b.phone ?? null,
          address: b.address
            ? {
                line1: b.address.line1 ?? null,
                line2: b.address.line2 ?? null,
                city: b.address.city ?? null,
                state: b.address.state ?? null,
                postal_code: b.address.postalCode ?? null,
                country: b.address.country ?? null,
              }
            : null,
        }
      : null,
  };
}

@ObjectType()
export class CreateHostedPaymentPayload {
  @Field(() => Payment, { nullable: true }) payment!: Payment | null;
  @Field(() => String, {
    nullable: true,
    description:
      "Where to send the customer (for seed 000's shape, the /hpp/payment/<token>/<session> URL, shown only here).",
  })
  hostedPaymentUrl!: string | null;
  @Field(() => String, { nullable: true, description: "Seed 000's session id (for seed 000's shape)." })
  sessionId!: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class CancelPaymentPayload {
  @Field(() => Payment, { nullable: true }) payment!: Payment | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
