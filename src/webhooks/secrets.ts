import type { Sealer } from '../crypto/sealing.js';
import { sealedFor } from '../db/sealed-columns.js';
import { newWebhookSecret } from './signing.js';

/**
 * Endpoint signing secrets at rest: stored sealed (bound to their endpoint), opened only to sign a
 * delivery. The plaintext leaves Till once, in the answer to create or rotate.
 */
export class WebhookSecrets {
  constructor(private readonly sealer: Sealer) {}

  /** A new secret for an endpoint: the plaintext to show once, and the sealed form to store. */
  mint(endpointId: string): { secret: string; sealed: string } {
    const secret = newWebhookSecret();
    return { secret, sealed: this.sealer.seal(secret, sealedFor.webhookEndpoint(endpointId)) };
  }

  /** The secrets that sign a delivery now: the current one, and the previous one during its grace. */
  signing(row: {
    endpoint_id: string;
    secret: string;
    previous_secret: string | null;
    previous_secret_valid: boolean;
  }): string[] {
    const aad = sealedFor.webhookEndpoint(row.endpoint_id);
    return [
      this.sealer.open(row.secret, aad),
      ...(row.previous_secret && row.previous_secret_valid
        ? [this.sealer.open(row.previous_secret, aad)]
        : []),
    ];
  }
}
