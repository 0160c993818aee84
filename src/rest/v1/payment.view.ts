/**
 * The v1 dialect's Payment and Refund objects. They are, field for field and in the same order, the
 * payloads of events and webhooks: one shape whichever way a merchant reads a payment.
 */
export {
  paymentPayload as v1Payment,
  refundPayload as v1Refund,
  type PaymentPayload as V1Payment,
  type RefundPayload as V1Refund,
} from '../../events/payment-payload.js';
