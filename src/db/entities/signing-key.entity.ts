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
    privateJwk: p.json<JWK>(),
    createdAt: p.datetime(),
    retiredAt: p.datetime().nullable(),
  },
});
export type SigningKey = InferEntity<typeof SigningKeySchema>;
