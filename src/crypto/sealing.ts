import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Envelope encryption for every credential Till must be able to read back (webhook signing
 * secrets, OIDC private keys, stored responses that carry a secret). A sealed value is
 *
 *   `v1:<kid>:<base64url(iv | ciphertext | tag)>`
 *
 * AES-256-GCM under the key named by `kid`, with a fresh 96-bit IV per value. The caller's AAD names
 * the row the value belongs to, so a sealed value copied into another row (another merchant's
 * endpoint, another signing key) no longer opens. The key id travels with the value, so several
 * keys can be known at once: the current one seals, older ones still open what they sealed until
 * `till keys rotate-encryption` has re-sealed it under the current one.
 */

/** One data-encryption key: 32 random bytes and the id sealed values name it by. */
export interface EncryptionKey {
  kid: string;
  key: Buffer;
}

/** The shape of a key id: short, and free of the `:` that separates a sealed value's parts. */
export const KID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

const VERSION = 'v1';
const PREFIX = `${VERSION}:`;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** A sealed value that cannot be opened: unknown key id, malformed, or not sealed for this row. */
export class SealingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealingError';
  }
}

/**
 * The 32 bytes of a key written as 64 hex digits or as base64 / base64url (43–44 characters), or
 * null when `text` is neither. Nothing about the text is echoed back: it is a secret.
 */
export function decodeKey(text: string): Buffer | null {
  const trimmed = text.trim();
  let bytes: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) bytes = Buffer.from(trimmed, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) bytes = Buffer.from(trimmed, 'base64');
  return bytes && bytes.length === KEY_BYTES ? bytes : null;
}

/**
 * The id of a key that was given without one: derived from the key (a one-way fingerprint), so
 * every instance and every restart names the same key the same way.
 */
export function keyIdOf(key: Buffer): string {
  return `k${createHash('sha256').update('till encryption key id\0').update(key).digest('hex').slice(0, 12)}`;
}

/** A new random key with its derived id. */
export function generateKey(): EncryptionKey {
  const key = randomBytes(KEY_BYTES);
  return { kid: keyIdOf(key), key };
}

/** True for a value in the sealed format (which plain JSON or a `whsec_` secret never is). */
export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PREFIX);
}

/** The key id a sealed value names, or null when it is not sealed. */
export function kidOf(value: string): string | null {
  if (!isSealed(value)) return null;
  const end = value.indexOf(':', PREFIX.length);
  return end < 0 ? null : value.slice(PREFIX.length, end);
}

/** Seals and opens values with a set of known keys, one of which is current. */
export class Sealer {
  private readonly keys = new Map<string, Buffer>();

  constructor(
    keys: readonly EncryptionKey[],
    /** The key that seals; the others only open. */
    readonly currentKid: string,
  ) {
    for (const { kid, key } of keys) {
      if (!KID_PATTERN.test(kid)) throw new SealingError(`invalid encryption key id '${kid}'`);
      if (key.length !== KEY_BYTES) throw new SealingError(`encryption key '${kid}' is not 32 bytes`);
      this.keys.set(kid, key);
    }
    if (!this.keys.has(currentKid))
      throw new SealingError(`the current encryption key '${currentKid}' is unknown`);
  }

  /** Every key id this sealer can open, the current one first. */
  get kids(): string[] {
    return [this.currentKid, ...[...this.keys.keys()].filter((k) => k !== this.currentKid)];
  }

  /** Encrypts `plaintext` under the current key, bound to `aad` (the row it will be stored in). */
  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKid)!, iv);
    cipher.setAAD(associatedData(this.currentKid, aad));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const body = Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64url');
    return `${PREFIX}${this.currentKid}:${body}`;
  }

  /** Decrypts a sealed value; throws SealingError unless it was sealed by a known key for `aad`. */
  open(sealed: string, aad: string): string {
    const kid = kidOf(sealed);
    if (kid === null || !KID_PATTERN.test(kid)) throw new SealingError('the value is not a sealed value');
    const key = this.keys.get(kid);
    if (!key)
      throw new SealingError(
        `the value is sealed with encryption key '${kid}', which this instance does not know: ` +
          'add it to TILL_ENCRYPTION_PREVIOUS_KEYS (or keep it in DATA_DIR/encryption.key) until ' +
          '`till keys rotate-encryption` has re-sealed everything',
      );
    const raw = Buffer.from(sealed.slice(PREFIX.length + kid.length + 1), 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SealingError('the sealed value is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(associatedData(kid, aad));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SealingError(
        `the value sealed with encryption key '${kid}' does not open: it belongs to another row or was altered`,
      );
    }
  }

  /** True when `sealed` is not under the current key (rotation re-seals it). */
  isStale(sealed: string): boolean {
    return kidOf(sealed) !== this.currentKid;
  }
}

/** The format version and key id are authenticated too, so neither can be swapped on its own. */
function associatedData(kid: string, aad: string): Buffer {
  return Buffer.from(`${VERSION}\0${kid}\0${aad}`, 'utf8');
}
