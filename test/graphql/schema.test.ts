import { readFileSync } from 'node:fs';
import { printTillSchema } from '../../src/graphql/emit-schema.js';

describe('schema/schema.graphql', () => {
  it('is exactly what the code emits (run `npm run schema` after changing a type or resolver)', async () => {
    const checkedIn = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    expect(await printTillSchema()).toBe(checkedIn);
  });

  it('uses a 64-bit-safe scalar for every amount', async () => {
    const sdl = await printTillSchema();
    for (const field of ['amount', 'amountRefunded', 'amountRefundable'])
      expect(sdl).toMatch(new RegExp(`\\n  ${field}: SafeInt!`));
  });
});
