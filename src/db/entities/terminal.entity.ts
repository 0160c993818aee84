import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A merchant's point of acceptance: which currencies and payment methods it takes. */
export const TerminalSchema = defineEntity({
  name: 'Terminal',
  tableName: 'terminal',
  properties: {
    merchantId: p.string().primary(),
    id: p.string().primary(),
    currencies: p.array(),
    paymentMethods: p.array(),
    tokenization: p.boolean(),
  },
});
export type Terminal = InferEntity<typeof TerminalSchema>;
