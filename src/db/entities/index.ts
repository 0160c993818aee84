import { ApiKeySchema } from './api-key.entity.js';
import { EventSchema } from './event.entity.js';
import { MerchantSchema } from './merchant.entity.js';
import { PaymentSchema } from './payment.entity.js';
import { TerminalSchema } from './terminal.entity.js';

export const entities = [MerchantSchema, ApiKeySchema, TerminalSchema, PaymentSchema, EventSchema];
export { ApiKeySchema, EventSchema, MerchantSchema, PaymentSchema, TerminalSchema };
