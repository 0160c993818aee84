import { Field, InputType, ObjectType } from 'type-graphql';
import type { CreateHostedPaymentInput as DomainInput } from '../domain/payment.js';
import { Payment } from './payment.type.js';
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

@InputType({ description: "A hosted payment, as seed 004's POST /v1/payments/hpp takes it." })
export class CreateHostedPaymentInput {
  @Field(() => SafeInt, { description: 'Amount in minor units, 1 to 2^53 − 1.' }) amount!: number;
  @Field({ description: 'ISO 4217; EUR.' }) currency!: string;
  @Field({ description: 'Absolute http(s) URL the customer returns to.' }) returnUrl!: string;
  @Field(() => String, { nullable: true }) merchantReference?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
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
  return {
    amount: input.amount,
    currency: input.currency,
    returnUrl: input.returnUrl,
    merchantReference: input.merchantReference ?? null,
    description: input.description ?? null,
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
  @Field(() => String, { nullable: true, description: 'Where to send the customer.' })
  hostedPaymentUrl!: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class CancelPaymentPayload {
  @Field(() => Payment, { nullable: true }) payment!: Payment | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
