/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type AddressInput = {
  city?: string | null | undefined;
  country?: string | null | undefined;
  line1?: string | null | undefined;
  line2?: string | null | undefined;
  postalCode?: string | null | undefined;
  state?: string | null | undefined;
};

export type BillingDetailsInput = {
  address?: AddressInput | null | undefined;
  email?: string | null | undefined;
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
  phone?: string | null | undefined;
};

/** A hosted payment. Either seed 004's shape (returnUrl; EUR) or seed 000's (terminalId, transactionType, successUrl, cancelUrl, errorUrl; the terminal's currencies). */
export type CreateHostedPaymentInput = {
  /** Amount in minor units, 1 to 2^53 − 1. */
  amount: number;
  billingDetails?: BillingDetailsInput | null | undefined;
  /** Seed 000: when the customer cancels. */
  cancelUrl?: string | null | undefined;
  /** ISO 4217. */
  currency: string;
  customer?: CustomerInput | null | undefined;
  description?: string | null | undefined;
  /** Seed 000: after a failed payment. */
  errorUrl?: string | null | undefined;
  /** Makes the mutation safe to retry (same rules as the Idempotency-Key header). */
  idempotencyKey?: string | null | undefined;
  /** The hosted page's language, a BCP 47 tag (`de`, `bs-BA`). Without it the page follows the browser's Accept-Language. */
  locale?: string | null | undefined;
  merchantReference?: string | null | undefined;
  metadata?: Record<string, unknown> | null | undefined;
  /** Absolute http(s) URL the customer returns to (seed 004). */
  returnUrl?: string | null | undefined;
  /** Seed 000 tokenization.save_card_for_future_payments. */
  saveCardForFuturePayments?: boolean | null | undefined;
  /** Seed 000: after a successful payment. */
  successUrl?: string | null | undefined;
  /** Seed 000: one of your terminals. */
  terminalId?: string | null | undefined;
  /** Seed 000; default PURCHASE. */
  transactionType?: TransactionType | null | undefined;
};

/** Seed 000's customer. */
export type CustomerInput = {
  address?: string | null | undefined;
  city?: string | null | undefined;
  /** ISO 3166-1 alpha-2. */
  country?: string | null | undefined;
  email?: string | null | undefined;
  firstName?: string | null | undefined;
  /** Your id for the customer. */
  id?: string | null | undefined;
  lastName?: string | null | undefined;
  /** E.164 recommended. */
  phone?: string | null | undefined;
  postalCode?: string | null | undefined;
};

/** Where a payment is in its life. */
export type PaymentStatus =
  | 'AUTHORIZED'
  | 'CANCELED'
  | 'EXPIRED'
  | 'FAILED'
  | 'PENDING'
  | 'PROCESSING'
  | 'REQUIRES_ACTION'
  | 'SUCCEEDED';

/** PURCHASE collects at once; AUTHORIZE holds the money for a later capture. */
export type TransactionType =
  | 'AUTHORIZE'
  | 'PURCHASE';

export type UserErrorFieldsFragment = { field: Array<string>, code: string, message: string };

export type CreateHostedPaymentMutationVariables = Exact<{
  input: CreateHostedPaymentInput;
}>;


export type CreateHostedPaymentMutation = { createHostedPayment: { payment: { id: string, status: PaymentStatus, amount: number, currency: string, hostedPaymentUrl: string | null } | null, userErrors: Array<{ field: Array<string>, code: string, message: string }> } };

export type PaymentByIdQueryVariables = Exact<{
  id: string | number;
}>;


export type PaymentByIdQuery = { payment: { id: string, status: PaymentStatus, amount: number, currency: string, merchantReference: string | null } };

export type CancelPaymentMutationVariables = Exact<{
  id: string | number;
}>;


export type CancelPaymentMutation = { cancelPayment: { payment: { id: string, status: PaymentStatus } | null, userErrors: Array<{ field: Array<string>, code: string, message: string }> } };

export type PaymentStatusChangedSubscriptionVariables = Exact<{
  paymentId: string | number;
}>;


export type PaymentStatusChangedSubscription = { paymentStatusChanged: { id: string, status: PaymentStatus, version: number } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const UserErrorFieldsFragmentDoc = new TypedDocumentString(`
    fragment UserErrorFields on UserError {
  field
  code
  message
}
    `, {"fragmentName":"UserErrorFields"}) as unknown as TypedDocumentString<UserErrorFieldsFragment, unknown>;
export const CreateHostedPaymentDocument = new TypedDocumentString(`
    mutation CreateHostedPayment($input: CreateHostedPaymentInput!) {
  createHostedPayment(input: $input) {
    payment {
      id
      status
      amount
      currency
      hostedPaymentUrl
    }
    userErrors {
      ...UserErrorFields
    }
  }
}
    fragment UserErrorFields on UserError {
  field
  code
  message
}`) as unknown as TypedDocumentString<CreateHostedPaymentMutation, CreateHostedPaymentMutationVariables>;
export const PaymentByIdDocument = new TypedDocumentString(`
    query PaymentById($id: ID!) {
  payment(id: $id) {
    id
    status
    amount
    currency
    merchantReference
  }
}
    `) as unknown as TypedDocumentString<PaymentByIdQuery, PaymentByIdQueryVariables>;
export const CancelPaymentDocument = new TypedDocumentString(`
    mutation CancelPayment($id: ID!) {
  cancelPayment(id: $id) {
    payment {
      id
      status
    }
    userErrors {
      ...UserErrorFields
    }
  }
}
    fragment UserErrorFields on UserError {
  field
  code
  message
}`) as unknown as TypedDocumentString<CancelPaymentMutation, CancelPaymentMutationVariables>;
export const PaymentStatusChangedDocument = new TypedDocumentString(`
    subscription PaymentStatusChanged($paymentId: ID!) {
  paymentStatusChanged(paymentId: $paymentId) {
    id
    status
    version
  }
}
    `) as unknown as TypedDocumentString<PaymentStatusChangedSubscription, PaymentStatusChangedSubscriptionVariables>;