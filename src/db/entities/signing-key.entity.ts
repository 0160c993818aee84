import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { JWK } from 'jose';

/** An asymmetric key that signs OIDC access tokens. The newest unretired one signs; all unretired verify. */
export const SigningKeySchema = defineEntity({
  name: 'SigningKey',
  tableName: 'signing_key',
  properties: {
    kid: p.string().primary(),
    alg: p.string(),
    publicJwk: p.json<JWK>(),
    /**
     * The private JWK, sealed (src/crypto/sealing.ts) for this kid. Null only on a row written
     * before sealing existed, until the next start seals it (its plaintext sits in `private_jwk`,
     * which the entity no longer maps).
     */
    privateJwkSealed: p.string().nullable(),
    createdAt: p.datetime(),
    retiredAt: p.datetime().nullable(),
  },
});
export type SigningKey = InferEntity<typeof SigningKeySchema>;
