import { hashPassword, passwordProblem, verifyPassword } from '../../src/crypto/passwords.js';

describe('dashboard password hashing', () => {
  it('is salted scrypt (N=2^15, r=8, p=1) with its parameters stored, and verifies only the password', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('a tampered or malformed hash matches nothing and cannot ask for unbounded work', async () => {
    const good = await hashPassword('correct horse battery');
    const [, , r, p, salt, key] = good.split('$');
    for (const bad of [
      `scrypt$1024$${r}$${p}$${salt}$${key}`, // weaker than today's
      `scrypt$4194304$${r}$${p}$${salt}$${key}`, // 4 GiB of memory
      `scrypt$32768$${r}$${p}$${salt}$${key!.slice(4)}`,
      'plaintext',
      '',
    ])
      expect(await verifyPassword('correct horse battery', bad)).toBe(false);
  });

  it('new passwords: 12 to 256 characters', () => {
    expect(passwordProblem('short')).toMatch(/12 to 256/);
    expect(passwordProblem('x'.repeat(257))).toMatch(/12 to 256/);
    expect(passwordProblem(42)).toMatch(/string/);
    expect(passwordProblem('twelve chars')).toBeNull();
  });
});
