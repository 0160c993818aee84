import adyen from '@adyen/api-library';
import type { Types } from '@adyen/api-library';
import { InvalidNotification, type ConnectorNotification } from '../connector.js';
import { declineCode } from './outcomes.js';
import { DECLINE_MESSAGES } from '../processor.js';

const { hmacValidator: HmacValidator } = adyen;
type NotificationRequestItem = Types.notification.NotificationRequestItem;

interface RawItem {
  additionalData?: Record<string, string> | null;
  amount?: { value?: number; currency?: string };
  eventCode?: string;
  merchantAccountCode?: string;
  merchantReference?: string;
  originalReference?: string;
  pspReference?: string;
  reason?: string;
  success?: string;
}

/** Adyen writes an absent reason as the text "null". */
const reasonOf = (item: RawItem): string | null =>
  item.reason && item.reason !== 'null' ? item.reason : null;

/**
 * Reads one of Adyen's standard notifications (`{live, notificationItems: [{NotificationRequestItem}]}`).
 * Every item must carry a valid HMAC signature (`additionalData.hmacSignature`, HMAC-SHA256 with the
 * account's hex `hmac_key` over Adyen's signing string): one bad item refuses the whole batch, so a
 * forged item can never ride along with genuine ones. A batch for the other mode (live vs test) is
 * refused too. Event codes Till does not act on are left out.
 */
export function parseAdyenNotification(
  rawBody: string,
  context: { hmacKey: string; livemode: boolean; captureOf: (reference: string) => boolean },
): ConnectorNotification[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw new InvalidNotification('The Adyen notification is not JSON');
  }
  const body = parsed as { live?: unknown; notificationItems?: unknown };
  if (!body || typeof body !== 'object' || !Array.isArray(body.notificationItems)) {
    throw new InvalidNotification('The Adyen notification has no notificationItems');
  }
  if (String(body.live) !== String(context.livemode)) {
    throw new InvalidNotification(
      `An Adyen ${body.live === 'true' ? 'live' : 'test'} notification for a ${context.livemode ? 'live' : 'test'} account`,
    );
  }
  const validator = new HmacValidator();
  const items: RawItem[] = body.notificationItems.map((entry: unknown) => {
    const item = (entry as { NotificationRequestItem?: RawItem } | null)?.NotificationRequestItem;
    if (!item || typeof item !== 'object' || !item.amount || !item.pspReference || !item.eventCode) {
      throw new InvalidNotification('An Adyen notification item is malformed');
    }
    let valid: boolean;
    try {
      valid = validator.validateHMAC(item as unknown as NotificationRequestItem, context.hmacKey);
    } catch {
      valid = false; // no hmacSignature at all
    }
    if (!valid) throw new InvalidNotification('An Adyen notification item has a bad HMAC signature');
    return item;
  });
  return items.flatMap((item) => {
    const notification = toNotification(item, context.captureOf);
    return notification ? [notification] : [];
  });
}

function toNotification(
  item: RawItem,
  captureOf: (reference: string) => boolean,
): ConnectorNotification | null {
  const success = item.success === 'true';
  const psp = item.pspReference!;
  // Modifications carry the payment's pspReference as originalReference; Till's payment id is the
  // payment's merchantReference, and Till's refund id the refund's.
  const paymentReference = item.originalReference ?? psp;
  const merchantReference = item.merchantReference ?? null;
  switch (item.eventCode) {
    case 'AUTHORISATION': {
      if (success) {
        return {
          kind: 'authorization',
          paymentId: merchantReference,
          reference: psp,
          outcome: { status: 'approved', captured: captureOf(psp) },
        };
      }
      const reason = reasonOf(item);
      const code = declineCode(reason);
      return {
        kind: 'authorization',
        paymentId: merchantReference,
        reference: psp,
        outcome: { status: 'declined', code, message: DECLINE_MESSAGES[code]!, acquirerCode: reason },
      };
    }
    case 'CAPTURE':
    case 'CAPTURE_FAILED':
      return {
        kind: 'capture',
        paymentId: merchantReference,
        reference: paymentReference,
        success: item.eventCode === 'CAPTURE' && success,
      };
    case 'CANCELLATION':
      return { kind: 'cancel', paymentId: merchantReference, reference: paymentReference, success };
    case 'REFUND':
    case 'REFUND_FAILED':
      return {
        kind: 'refund',
        paymentId: null,
        reference: paymentReference,
        refundId: merchantReference,
        success: item.eventCode === 'REFUND' && success,
        message: reasonOf(item),
      };
    default:
      return null;
  }
}
