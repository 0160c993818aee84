import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A merchant credential (secret/publishable keys, the api dialect's x-api-key, OAuth secrets). Only a SHA-256 of the secret is kept; `displayPrefix` is what dashboards show. */
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
    secretHash: p.string().unique(),
    createdAt: p.datetime().onCreate(() => new Date()),
    revokedAt: p.datetime().nullable(),
  },
});
export type ApiKey = InferEntity<typeof ApiKeySchema>;
