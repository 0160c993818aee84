import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { addCurrentKey, KEY_FILE_NAME, openKeyring, retireKeys } from '../../src/crypto/keyring.js';
import { safeEqual } from '../../src/crypto/safe-equal.js';
import {
  decodeKey,
  generateKey,
  isSealed,
  keyIdOf,
  kidOf,
  Sealer,
  SealingError,
} from '../../src/crypto/sealing.js';

describe('Sealer (AES-256-GCM envelope, key id with every value)', () => {
  const one = generateKey();
  const two = generateKey();
  const sealer = new Sealer([one], one.kid);

  it('opens what it sealed, and never seals the same plaintext to the same text', () => {
    const sealed = sealer.seal('whsec_c2VjcmV0', 'webhook_endpoint:we_1');
    expect(sealed).toMatch(new RegExp(`^v1:${one.kid}:[A-Za-z0-9_-]+$`));
    expect(sealed).not.toContain('c2VjcmV0');
    expect(isSealed(sealed)).toBe(true);
    expect(kidOf(sealed)).toBe(one.kid);
    expect(sealer.open(sealed, 'webhook_endpoint:we_1')).toBe('whsec_c2VjcmV0');
    expect(sealer.seal('whsec_c2VjcmV0', 'webhook_endpoint:we_1')).not.toBe(sealed);
  });

  it('refuses a value sealed for another row (AAD)', () => {
    const sealed = sealer.seal('secret', 'webhook_endpoint:we_1');
    expect(() => sealer.open(sealed, 'webhook_endpoint:we_2')).toThrow(SealingError);
    expect(() => sealer.open(sealed, 'webhook_endpoint:we_2')).toThrow(/another row or was altered/);
  });

  it('refuses a tampered ciphertext, a truncated one and a swapped key id', () => {
    const sealed = sealer.seal('secret', 'row');
    const body = Buffer.from(sealed.split(':')[2]!, 'base64url');
    body[body.length - 20]! ^= 1;
    expect(() => sealer.open(`v1:${one.kid}:${body.toString('base64url')}`, 'row')).toThrow(SealingError);
    expect(() => sealer.open(`v1:${one.kid}:AAAA`, 'row')).toThrow(/truncated/);
    const both = new Sealer([one, two], one.kid);
    expect(() => both.open(sealed.replace(one.kid, two.kid), 'row')).toThrow(SealingError);
    expect(() => sealer.open('whsec_plain', 'row')).toThrow(/not a sealed value/);
  });

  it('names an unknown key id clearly, without revealing anything of the value', () => {
    const other = new Sealer([two], two.kid).seal('secret', 'row');
    expect(() => sealer.open(other, 'row')).toThrow(SealingError);
    expect(() => sealer.open(other, 'row')).toThrow(
      new RegExp(`sealed with encryption key '${two.kid}', which this instance does not know`),
    );
  });

  it('keeps opening values of an older key after a new one became current', () => {
    const old = sealer.seal('secret', 'row');
    const rotated = new Sealer([two, one], two.kid);
    expect(rotated.open(old, 'row')).toBe('secret');
    expect(rotated.isStale(old)).toBe(true);
    const again = rotated.seal(rotated.open(old, 'row'), 'row');
    expect(kidOf(again)).toBe(two.kid);
    expect(rotated.isStale(again)).toBe(false);
    expect(rotated.kids).toEqual([two.kid, one.kid]);
  });

  it('reads keys as hex or base64 (32 bytes only) and derives a stable id', () => {
    const key = Buffer.alloc(32, 9);
    expect(decodeKey(key.toString('hex'))).toEqual(key);
    expect(decodeKey(key.toString('base64'))).toEqual(key);
    expect(decodeKey(key.toString('base64url'))).toEqual(key);
    expect(decodeKey(Buffer.alloc(16).toString('base64'))).toBeNull();
    expect(decodeKey('not a key')).toBeNull();
    expect(keyIdOf(key)).toBe(keyIdOf(Buffer.from(key)));
    expect(keyIdOf(key)).not.toBe(keyIdOf(Buffer.alloc(32, 8)));
  });
});

describe('the key file (embedded mode)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'till-keys-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = loadConfig({ DATA_DIR: dataDir });
  const file = path.join(dataDir, KEY_FILE_NAME);

  it('is created on first start with mode 0600 and reused afterwards', () => {
    const first = openKeyring(config);
    expect(first.file).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const sealed = first.sealer.seal('secret', 'row');
    expect(openKeyring(config).sealer.open(sealed, 'row')).toBe('secret');
  });

  it('takes a new current key while older ones keep opening, until they are retired', () => {
    const before = openKeyring(config).sealer;
    const sealed = before.seal('secret', 'row');
    const kid = addCurrentKey(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const after = openKeyring(config).sealer;
    expect(after.currentKid).toBe(kid);
    expect(after.open(sealed, 'row')).toBe('secret');
    expect(retireKeys(file, [])).toEqual([before.currentKid]);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).keys)).toEqual([kid]);
    expect(() => openKeyring(config).sealer.open(sealed, 'row')).toThrow(SealingError);
  });

  it('prefers TILL_ENCRYPTION_KEY, with older keys from TILL_ENCRYPTION_PREVIOUS_KEYS', () => {
    const current = Buffer.alloc(32, 1);
    const previous = Buffer.alloc(32, 2);
    const keyring = openKeyring(
      loadConfig({
        DATA_DIR: dataDir,
        TILL_ENCRYPTION_KEY: current.toString('base64'),
        TILL_ENCRYPTION_PREVIOUS_KEYS: `old-1:${previous.toString('hex')}`,
      }),
    );
    expect(keyring.file).toBeNull();
    expect(keyring.sealer.kids).toEqual([keyIdOf(current), 'old-1']);
    const fromPrevious = new Sealer([{ kid: 'old-1', key: previous }], 'old-1').seal('secret', 'row');
    expect(keyring.sealer.open(fromPrevious, 'row')).toBe('secret');
  });
});

describe('safeEqual', () => {
  it('matches equal secrets only, whatever their lengths, and never an absent one', () => {
    expect(safeEqual('metrics-token-123', 'metrics-token-123')).toBe(true);
    expect(safeEqual('metrics-token-123', 'metrics-token-124')).toBe(false);
    expect(safeEqual('metrics-token-123', 'metrics')).toBe(false);
    expect(safeEqual(Buffer.from('abc'), 'abc')).toBe(true);
    expect(safeEqual(null, null)).toBe(false);
    expect(safeEqual('', null)).toBe(false);
    expect(safeEqual(undefined, '')).toBe(false);
  });
});
