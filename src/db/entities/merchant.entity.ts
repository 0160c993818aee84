import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const MerchantSchema = defineEntity({
  name: 'Merchant',
  tableName: 'merchant',
  properties: {
    id: p.string().primary(),
    name: p.string(),
    /** Publishable `api_test_pk_…` key, shown on the hosted page (not a secret). */
    clientKey: p.string().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type Merchant = InferEntity<typeof MerchantSchema>;
