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
