import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Random base62 string of `length` characters from a CSPRNG. Rejection sampling keeps every
 * character uniformly likely (248 = 62 × 4, so bytes ≥ 248 are discarded).
 */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Every identifier Till hands out, by prefix. One generator so shapes never drift apart. */
export const newId = {
  payment: () => `pay_${randomBase62(24)}`,
  event: () => `evt_${randomBase62(24)}`,
  webhookDelivery: () => `wd_${randomBase62(24)}`,
  merchant: () => `mer_${randomBase62(16)}`,
  apiKey: () => `key_${randomBase62(16)}`,
  auditEntry: () => `aud_${randomBase62(24)}`,
  sessionId: () => randomBase62(20),
  requestId: () => `req_${randomBase62(16)}`,
  connectorAccount: () => `ca_${randomBase62(24)}`,
  dashboardUser: () => `usr_${randomBase62(20)}`,
  dashboardSession: () => `ses_${randomBase62(20)}`,
  invitation: () => `inv_${randomBase62(20)}`,
};

export const PAYMENT_ID_PATTERN = /^pay_[A-Za-z0-9]{24}$/;
export const API_KEY_ID_PATTERN = /^key_[A-Za-z0-9]{16}$/;
export const CONNECTOR_ACCOUNT_ID_PATTERN = /^ca_[A-Za-z0-9]{24}$/;
export const EVENT_ID_PATTERN = /^evt_[A-Za-z0-9]{24}$/;
export const DASHBOARD_USER_ID_PATTERN = /^usr_[A-Za-z0-9]{20}$/;
export const INVITATION_ID_PATTERN = /^inv_[A-Za-z0-9]{20}$/;
