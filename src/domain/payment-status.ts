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

/** A status a payment can enter (every payment starts PENDING, and never returns to it). */
export type EnteredStatus = Exclude<PaymentStatus, 'PENDING'>;

export const PAYMENT_STATUSES: readonly PaymentStatus[] = Object.values(PaymentStatus);

const NEXT: Record<PaymentStatus, readonly PaymentStatus[]> = {
  PENDING: ['REQUIRES_ACTION', 'PROCESSING', 'CANCELED', 'EXPIRED', 'FAILED'],
  REQUIRES_ACTION: ['PROCESSING', 'CANCELED', 'EXPIRED', 'FAILED'],
  // An acquirer may ask for 3-D Secure only once it has the card: PROCESSING → REQUIRES_ACTION.
  PROCESSING: ['SUCCEEDED', 'FAILED', 'AUTHORIZED', 'REQUIRES_ACTION'],
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
