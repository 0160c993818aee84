import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets (tokens, hashes of tokens) in constant time. Both sides are hashed first, so
 * the comparison takes the same time whatever their lengths and wherever they first differ: neither
 * the length nor a prefix of the expected secret can be learned by timing. Absent values never match.
 */
export function safeEqual(
  a: string | Buffer | null | undefined,
  b: string | Buffer | null | undefined,
): boolean {
  const digestA = createHash('sha256')
    .update(a ?? '')
    .digest();
  const digestB = createHash('sha256')
    .update(b ?? '')
    .digest();
  return timingSafeEqual(digestA, digestB) && a != null && b != null;
}
