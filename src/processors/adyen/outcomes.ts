import type { AuthorizeOutcome, RedirectAction } from '../connector.js';
import { DECLINE_MESSAGES } from '../processor.js';

/** The parts of a /payments or /payments/details answer that decide the outcome. */
export interface AdyenPaymentAnswer {
  resultCode?: string;
  pspReference?: string;
  refusalReason?: string;
  refusalReasonCode?: string;
  action?: {
    type?: string;
    url?: string;
    method?: string;
    data?: Record<string, unknown> | null;
    paymentData?: string;
  } | null;
  additionalData?: Record<string, string> | null;
}

/**
 * Adyen's refusal reasons (by `refusalReasonCode`, with the `refusalReason` text as a fallback) in
 * Till's decline codes. Anything not listed is a plain card_declined.
 */
const REFUSALS: Array<{ codes: string[]; reasons: string[]; till: string }> = [
  { codes: ['12'], reasons: ['not enough balance'], till: 'insufficient_funds' },
  { codes: ['6'], reasons: ['expired card'], till: 'expired_card' },
  { codes: ['24'], reasons: ['cvc declined'], till: 'incorrect_cvc' },
  {
    codes: ['11'],
    reasons: ['3d not authenticated', '3ds not authenticated'],
    till: 'authentication_failed',
  },
  { codes: ['4', '9'], reasons: ['acquirer error', 'issuer unavailable'], till: 'processing_error' },
];

export function declineCode(
  refusalReason: string | null | undefined,
  refusalReasonCode?: string | null,
): string {
  const reason = refusalReason?.trim().toLowerCase() ?? '';
  for (const entry of REFUSALS) {
    if (refusalReasonCode && entry.codes.includes(refusalReasonCode)) return entry.till;
    if (entry.reasons.includes(reason)) return entry.till;
  }
  return 'card_declined';
}

export function declined(
  reference: string | null,
  code: string,
  acquirerCode: string | null,
  message?: string,
): AuthorizeOutcome {
  return {
    status: 'declined',
    reference,
    code,
    message: message ?? DECLINE_MESSAGES[code] ?? DECLINE_MESSAGES.card_declined!,
    acquirerCode,
  };
}

/** Adyen's redirect action as the place Till sends the customer's browser. */
function redirectOf(action: NonNullable<AdyenPaymentAnswer['action']>): RedirectAction | null {
  if (!action.url) return null;
  const method = action.method?.toUpperCase() === 'POST' ? 'POST' : 'GET';
  if (method === 'GET') return { url: action.url, method };
  const data: Record<string, string> = {};
  for (const [name, value] of Object.entries(action.data ?? {})) {
    if (value !== undefined && value !== null) data[name] = String(value);
  }
  return { url: action.url, method, data };
}

/**
 * An answer to /payments or /payments/details in Till's words. `captured` is what an Authorised
 * answer means for the funds: true when the payment was sent for capture with no delay.
 *
 * 3-D Secure: Till asks for the redirect flow (`nativeThreeDS: disabled`), so the issuer's page is a
 * `redirect` action Till's page can follow. A `threeDS2` action (native 3-D Secure 2, which needs
 * Adyen's JavaScript on the page) is followed only when it carries a URL; otherwise the payment is
 * declined as authentication_failed, since Till has no page that can run it.
 */
export function authorizeOutcome(answer: AdyenPaymentAnswer, captured: boolean): AuthorizeOutcome {
  const reference = answer.pspReference ?? null;
  switch (answer.resultCode) {
    case 'Authorised':
      if (!reference) return { status: 'pending', reference: null };
      return {
        status: 'approved',
        reference,
        captured,
        approvalCode: answer.additionalData?.authCode ?? null,
      };
    case 'Refused': {
      const code = declineCode(answer.refusalReason, answer.refusalReasonCode);
      return declined(reference, code, answer.refusalReason ?? null);
    }
    case 'Error':
      return declined(reference, 'processing_error', answer.refusalReason ?? null);
    case 'Cancelled':
      return declined(reference, 'card_declined', answer.refusalReason ?? 'Cancelled');
    case 'RedirectShopper':
    case 'ChallengeShopper':
    case 'IdentifyShopper': {
      const action = answer.action;
      const redirect =
        action && (action.type === 'redirect' || action.type === 'threeDS2') ? redirectOf(action) : null;
      if (redirect && reference) return { status: 'action', reference, action: redirect };
      return declined(
        reference,
        'authentication_failed',
        answer.resultCode,
        action?.type === 'threeDS2'
          ? 'The card requires native 3-D Secure 2, which Till does not support for Adyen.'
          : '3-D Secure authentication could not be started.',
      );
    }
    default:
      // Received, Pending, PresentToShopper and anything newer: accepted, outcome by notification.
      return { status: 'pending', reference };
  }
}
