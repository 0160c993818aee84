/**
 * The payment state machine (SPEC §3): the only place that knows which status may follow which.
 */
export const PaymentStatus = {
  Pending: 'PENDING',
  RequiresAction: 'REQUIRES_ACTION',
  Processing: 'PROCESSING',
  Authorized: 'AUTHORIZED',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
  Canceled: 'CANCELED',
  Expired: 'EXPIRED',
} as const;
export type PaymentStatus = (typeof PaymentStatus)[keyof typeof PaymentStatus];

export const PAYMENT_STATUSES: readonly PaymentStatus[] = Object.values(PaymentStatus);

const NEXT: Record<PaymentStatus, readonly PaymentStatus[]> = {
  PENDING: ['REQUIRES_ACTION', 'PROCESSING', 'CANCELED', 'EXPIRED', 'FAILED'],
  REQUIRES_ACTION: ['PROCESSING', 'CANCELED', 'EXPIRED', 'FAILED'],
  PROCESSING: ['SUCCEEDED', 'FAILED', 'AUTHORIZED'],
  AUTHORIZED: ['SUCCEEDED', 'CANCELED', 'EXPIRED'],
  SUCCEEDED: [],
  FAILED: [],
  CANCELED: [],
  EXPIRED: [],
};

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return NEXT[from].includes(to);
}

export function isTerminal(status: PaymentStatus): boolean {
  return NEXT[status].length === 0;
}

/** Statuses from which the merchant (or the customer on the page) may cancel. */
export const CANCELABLE: readonly PaymentStatus[] = ['PENDING', 'REQUIRES_ACTION'];
/** Statuses that expire when the hosted session's time runs out. */
export const EXPIRABLE: readonly PaymentStatus[] = ['PENDING', 'REQUIRES_ACTION'];

/** The `status_transitions` key stamped when a payment enters `status` (none for PENDING). */
export const TRANSITION_STAMP: Partial<Record<PaymentStatus, string>> = {
  REQUIRES_ACTION: 'requires_action_at',
  PROCESSING: 'processing_at',
  AUTHORIZED: 'authorized_at',
  SUCCEEDED: 'succeeded_at',
  FAILED: 'failed_at',
  CANCELED: 'canceled_at',
  EXPIRED: 'expired_at',
};

/** Event type emitted on entering a status (`payment.created` is emitted on creation instead). */
export function eventTypeFor(status: PaymentStatus): string {
  return `payment.${status.toLowerCase()}`;
}
