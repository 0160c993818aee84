import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { decodeKey, generateKey, KID_PATTERN, Sealer, type EncryptionKey } from './sealing.js';

/** The key file of embedded mode (and of server mode outside production without TILL_ENCRYPTION_KEY). */
export const KEY_FILE_NAME = 'encryption.key';

/** Where the keys come from, and the sealer over them. */
export interface Keyring {
  sealer: Sealer;
  /** The key file in use, or null when the keys come from TILL_ENCRYPTION_KEY. */
  file: string | null;
}

/** `{"current": kid, "keys": {kid: base64}}`, readable by Till's user only. */
interface KeyFile {
  current: string;
  keys: Record<string, string>;
}

/**
 * The keys Till seals with: TILL_ENCRYPTION_KEY (and TILL_ENCRYPTION_PREVIOUS_KEYS) when set, or
 * else DATA_DIR/encryption.key, created with one new key (mode 0600) on first start.
 */
export function openKeyring(config: Config): Keyring {
  if (config.encryption) {
    return { sealer: new Sealer(config.encryption.keys, config.encryption.currentKid), file: null };
  }
  const file = path.join(config.dataDir, KEY_FILE_NAME);
  mkdirSync(config.dataDir, { recursive: true });
  const first = generateKey();
  try {
    // `wx`: two processes starting at once on one DATA_DIR never overwrite each other's key.
    writeFileSync(file, serialize({ current: first.kid, keys: [first] }), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const { current, keys } = readKeyFile(file);
  return { sealer: new Sealer(keys, current), file };
}

/** Adds a new key to the key file and makes it the current one; the older keys stay, to open old values. */
export function addCurrentKey(file: string): string {
  const { keys } = readKeyFile(file);
  const next = generateKey();
  writeKeyFile(file, { current: next.kid, keys: [next, ...keys] });
  return next.kid;
}

/** Removes from the key file every key not in `keep` (the current key always stays). */
export function retireKeys(file: string, keep: readonly string[]): string[] {
  const { current, keys } = readKeyFile(file);
  const retired = keys.filter((k) => k.kid !== current && !keep.includes(k.kid));
  if (retired.length > 0)
    writeKeyFile(file, { current, keys: keys.filter((k) => !retired.some((r) => r.kid === k.kid)) });
  return retired.map((k) => k.kid);
}

function readKeyFile(file: string): { current: string; keys: EncryptionKey[] } {
  const bad = (why: string) => new Error(`The encryption key file ${file} is unusable: ${why}.`);
  let parsed: KeyFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as KeyFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code) throw error;
    throw bad('it is not JSON');
  }
  if (!parsed || typeof parsed.current !== 'string' || typeof parsed.keys !== 'object' || !parsed.keys)
    throw bad('it needs "current" and "keys"');
  const keys: EncryptionKey[] = [];
  for (const [kid, text] of Object.entries(parsed.keys)) {
    const key = typeof text === 'string' ? decodeKey(text) : null;
    if (!KID_PATTERN.test(kid) || !key) throw bad(`key '${kid}' is not 32 bytes of base64 or hex`);
    keys.push({ kid, key });
  }
  if (!keys.some((k) => k.kid === parsed.current))
    throw bad(`the current key '${parsed.current}' is missing`);
  return { current: parsed.current, keys };
}

/** Replaces the file in one rename, so a crash leaves the old file or the new one, never half. */
function writeKeyFile(file: string, content: { current: string; keys: EncryptionKey[] }): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, serialize(content), { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

function serialize({ current, keys }: { current: string; keys: EncryptionKey[] }): string {
  const file: KeyFile = {
    current,
    keys: Object.fromEntries(keys.map((k) => [k.kid, k.key.toString('base64')])),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}
