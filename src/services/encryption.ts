import type { Config } from '../config.js';
import { addCurrentKey, openKeyring, retireKeys } from '../crypto/keyring.js';
import { openDatabase } from '../db/orm.js';
import { resealAll, sealedCountByKid, sealPlaintext } from '../db/sealed-columns.js';

export interface EncryptionRotation {
  /** The key every sealed value is under now. */
  kid: string;
  /** How many stored values were re-sealed (or sealed for the first time). */
  resealed: number;
  /** Keys removed from the key file, nothing being sealed with them any more. */
  retired: string[];
  /** TILL_ENCRYPTION_PREVIOUS_KEYS entries nothing is sealed with any more (safe to remove). */
  unused: string[];
}

/**
 * Rotates the encryption of stored credentials. With the key file, a new key becomes current;
 * with TILL_ENCRYPTION_KEY, the operator has already made a new key current (the old one in
 * TILL_ENCRYPTION_PREVIOUS_KEYS). Then every sealed value under another key is re-sealed under the
 * current one, and keys nothing uses any more are dropped from the key file (or reported).
 * Interrupted, it is simply run again: older keys stay until nothing needs them.
 */
export async function rotateEncryption(config: Config): Promise<EncryptionRotation> {
  const before = openKeyring(config);
  if (before.file) addCurrentKey(before.file);
  const { sealer, file } = before.file ? openKeyring(config) : before;
  const db = await openDatabase(config);
  try {
    const resealed = (await sealPlaintext(db, sealer)) + (await resealAll(db, sealer));
    const inUse = [...(await sealedCountByKid(db)).keys()];
    const older = sealer.kids.filter((kid) => kid !== sealer.currentKid && !inUse.includes(kid));
    return {
      kid: sealer.currentKid,
      resealed,
      retired: file ? retireKeys(file, inUse) : [],
      unused: file ? [] : older,
    };
  } finally {
    await db.close();
  }
}
