import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * A merchant credential (secret/publishable keys, the api dialect's x-api-key, OAuth secrets). Only
 * a SHA-256 of the secret is kept; `displayPrefix` and `last4` are what listings show.
 */
export const ApiKeySchema = defineEntity({
  name: 'ApiKey',
  tableName: 'api_key',
  properties: {
    id: p.string().primary(),
    merchantId: p.string(),
    kind: p.enum(['secret', 'publishable', 'api', 'oauth_client', 'oauth_password'] as const),
    /** Public half of a pair (OAuth client_id or username); null for bearer secrets. */
    identifier: p.string().nullable(),
    livemode: p.boolean(),
    displayPrefix: p.string(),
    /** The secret's last four characters (null for keys made before listings showed them). */
    last4: p.string().nullable(),
    secretHash: p.string().unique(),
    createdAt: p.datetime().onCreate(() => new Date()),
    /** A rolled key keeps working until this moment; null = until revoked. */
    expiresAt: p.datetime().nullable(),
    /** The key that replaced this one in a roll. */
    replacedBy: p.string().nullable(),
    revokedAt: p.datetime().nullable(),
    /** When the key was last rolled or revoked (what instances poll for). */
    changedAt: p.datetime().nullable(),
  },
});
export type ApiKey = InferEntity<typeof ApiKeySchema>;
