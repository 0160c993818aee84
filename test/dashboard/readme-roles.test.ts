import { readFileSync } from 'node:fs';
import { permissionsOf, PERMISSIONS, ROLE_PERMISSIONS } from '../../src/services/permissions.js';
import { ROLES } from '../../src/services/principal.js';

/** The README's roles table, as { permission: [columns (roles, API keys) that hold it] }. */
function readmeTable(): Record<string, string[]> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const lines = readme.split('\n');
  const header = lines.findIndex((l) => /^\|\s*permission\s*\|/.test(l));
  expect(header).toBeGreaterThan(-1);
  const columns = lines[header]!.split('|').map((c) => c.trim());
  const table: Record<string, string[]> = {};
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').map((c) => c.trim());
    const permission = cells[1]!.replace(/`/g, '');
    table[permission] = columns.filter((_, i) => i > 1 && cells[i] === '✓');
  }
  return table;
}

describe('the README’s roles table', () => {
  it('is exactly ROLE_PERMISSIONS', () => {
    const key = permissionsOf({ merchantId: 'mer_x', livemode: false, credentialId: 'key_x' });
    const expected = Object.fromEntries(
      PERMISSIONS.map((p) => [
        p,
        [
          ...ROLES.filter((r) => ROLE_PERMISSIONS[r].includes(p)),
          ...(key.includes(p) ? ['API keys and tokens'] : []),
        ],
      ]),
    );
    expect(readmeTable()).toEqual(expected);
  });
});
