/** Shapes of a payment's nested objects, as seed 004 documents them. */

export interface Address {
  line1?: string | null;
  line2?: string | null;
  city?: string | null;
  state?: string | null;
  postal_code?: string | null;
  country?: string | null;
}

export interface BillingDetails {
  email?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  phone?: string | null;
  address?: Address | null;
}

/** Masked card details. Never the full number or the CVC. */
export interface CardDetails {
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  country: string | null;
}

export interface NextAction {
  redirect_url: string;
}

/** What a merchant asks for when creating a hosted payment, whichever surface it came through. */
export interface CreateHostedPaymentInput {
  amount: number;
  currency: string;
  returnUrl: string;
  merchantReference?: string | null;
  description?: string | null;
  billingDetails?: BillingDetails | null;
  metadata?: Record<string, unknown> | null;
}

/** Limits of seed 004 (and Till's metadata rules), shared by every surface's validation. */
export const LIMITS = {
  merchantReference: 255,
  description: 500,
  metadataKeys: 50,
  metadataKeyLength: 40,
  metadataBytes: 8 * 1024,
  billingField: 255,
  idempotencyKey: 255,
  listMax: 100,
  listDefault: 10,
} as const;
