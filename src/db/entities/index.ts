import { ApiKeySchema } from './api-key.entity.js';
import { EventSchema } from './event.entity.js';
import { MerchantSchema } from './merchant.entity.js';
import { PaymentSchema } from './payment.entity.js';
import { SigningKeySchema } from './signing-key.entity.js';
import { TerminalSchema } from './terminal.entity.js';

export const entities = [
  MerchantSchema,
  ApiKeySchema,
  TerminalSchema,
  PaymentSchema,
  EventSchema,
  SigningKeySchema,
];
export { ApiKeySchema, EventSchema, MerchantSchema, PaymentSchema, SigningKeySchema, TerminalSchema };
