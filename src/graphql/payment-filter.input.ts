import { Field, InputType } from 'type-graphql';
import {
  checkPaymentFilter,
  SEARCH_MAX_LENGTH,
  type PaymentFilter as DomainFilter,
} from '../domain/payment-filter.js';
import { toGraphQLError } from './errors.js';
import { PaymentStatus } from './payment.type.js';
import { SafeInt } from './scalars.js';

@InputType({ description: 'Which payments to list or export; every criterion given must hold.' })
export class PaymentFilter {
  @Field(() => PaymentStatus, { nullable: true }) status?: PaymentStatus | null;
  @Field(() => [PaymentStatus], { nullable: true, description: 'Any of these statuses.' })
  statuses?: PaymentStatus[] | null;
  @Field(() => SafeInt, { nullable: true, description: 'Created at or after this Unix time (seconds).' })
  createdFrom?: number | null;
  @Field(() => SafeInt, { nullable: true, description: 'Created before this Unix time (seconds).' })
  createdTo?: number | null;
  @Field(() => SafeInt, { nullable: true, description: 'Amount at least this (minor units).' })
  amountMin?: number | null;
  @Field(() => SafeInt, { nullable: true, description: 'Amount at most this (minor units).' })
  amountMax?: number | null;
  @Field(() => String, { nullable: true, description: 'ISO 4217 currency code.' })
  currency?: string | null;
  @Field(() => String, {
    nullable: true,
    description: `A payment id (exact) or the start of a merchant reference; at most ${SEARCH_MAX_LENGTH} characters.`,
  })
  search?: string | null;
}

/** The checked filter; a bad value is refused as BAD_USER_INPUT naming the field (`filter.amountMax`). */
export function toDomainFilter(filter: PaymentFilter | null | undefined): DomainFilter {
  try {
    return checkPaymentFilter(filter);
  } catch (error) {
    return toGraphQLError(error);
  }
}
