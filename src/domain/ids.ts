import { customAlphabet } from 'nanoid';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** One generator per length (nanoid's alphabet generators are built for a fixed size). */
const generators = new Map<number, () => string>();

/**
 * Random base62 string of `length` characters from a CSPRNG. nanoid draws from a pooled buffer of
 * `crypto` random bytes and rejects bytes outside the alphabet's range, so every character is
 * uniformly likely.
 */
export function randomBase62(length: number): string {
  let generate = generators.get(length);
  if (!generate) generators.set(length, (generate = customAlphabet(BASE62, length)));
  return generate();
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
