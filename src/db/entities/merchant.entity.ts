import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const MerchantSchema = defineEntity({
  name: 'Merchant',
  tableName: 'merchant',
  properties: {
    id: p.string().primary(),
    name: p.string(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type Merchant = InferEntity<typeof MerchantSchema>;
