import type { EnteredStatus } from '../domain/payment-status.js';

/**
 * Every event type Till emits, closed: producers can only name one of these, webhook endpoints
 * subscribe to them (or `*`), and the events API filters by them.
 */
export const EVENT_TYPES = [
  'payment.created',
  'payment.requires_action',
  'payment.processing',
  'payment.authorized',
  'payment.succeeded',
  'payment.failed',
  'payment.canceled',
  'payment.expired',
  'refund.created',
  'refund.succeeded',
  'refund.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/** The event a payment emits on entering a status (`payment.created` is emitted on creation instead). */
const ENTERED: Record<EnteredStatus, EventType> = {
  REQUIRES_ACTION: 'payment.requires_action',
  PROCESSING: 'payment.processing',
  AUTHORIZED: 'payment.authorized',
  SUCCEEDED: 'payment.succeeded',
  FAILED: 'payment.failed',
  CANCELED: 'payment.canceled',
  EXPIRED: 'payment.expired',
};

export function paymentEventType(entered: EnteredStatus): EventType {
  return ENTERED[entered];
}

/** Whose events a topic and a feed carry: one merchant, in one mode (a `Principal` is one). */
export interface FeedScope {
  merchantId: string;
  livemode: boolean;
}

/** The pub/sub topic carrying one merchant's events, in one mode (payments and refunds alike). */
export function paymentTopic(merchantId: string, livemode: boolean): string {
  return `till:payments:${merchantId}:${livemode ? 'live' : 'test'}`;
}

/** The pub/sub topic on which every instance hears that a credential was revoked or rolled. */
export const CREDENTIALS_TOPIC = 'till:credentials';
