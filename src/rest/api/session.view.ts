import type { Payment } from '../../domain/payment.js';
import { unixSeconds } from '../../domain/time.js';

/** The api dialect's session (`GET /api/sessions/:id`): the hosted session and its payment's outcome. */
export interface SessionView {
  session_id: string | null;
  status: Payment['status'];
  payment_id: string;
  reference: string | null;
  amount: number;
  currency: string;
  transaction_type: Payment['transactionType'];
  terminal_id: string | null;
  decline_code: string | null;
  created_at: number;
  expires_at: number;
}

export function sessionView(p: Payment): SessionView {
  return {
    session_id: p.sessionId,
    status: p.status,
    payment_id: p.id,
    reference: p.merchantReference,
    amount: p.amount,
    currency: p.currency,
    transaction_type: p.transactionType,
    terminal_id: p.terminalId,
    decline_code: p.declineCode,
    created_at: unixSeconds(p.createdAt),
    expires_at: unixSeconds(p.expiresAt),
  };
}
