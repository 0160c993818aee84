/** Who is calling: a merchant in one mode. Every read and write is scoped by it. */
export interface Principal {
  merchantId: string;
  livemode: boolean;
  /** The credential that authenticated the call (for logs and audit; never the secret). */
  credentialId: string;
}

/** The pub/sub topic carrying one merchant's payment changes in one mode. */
export function paymentTopic(merchantId: string, livemode: boolean): string {
  return `till:payments:${merchantId}:${livemode ? 'live' : 'test'}`;
}
