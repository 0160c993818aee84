import { getMetadataStorage } from 'type-graphql';
import { buildTillSchema } from '../../src/graphql/schema.js';
import { PERMISSIONS } from '../../src/services/permissions.js';

/** Root fields anyone may call: who am I, and signing in and out of the dashboard. */
const PUBLIC = new Set(['viewer', 'signIn', 'signOut', 'acceptInvitation']);

describe('GraphQL permissions', () => {
  it('every query, mutation and field resolver names a permission, except the deliberately public ones', async () => {
    await buildTillSchema(null);
    const storage = getMetadataStorage();
    const authorized = new Map(
      storage.authorizedFields.map((a) => [`${a.target.name}.${a.fieldName}`, a.roles as string[]]),
    );
    const unguarded: string[] = [];
    for (const field of [...storage.queries, ...storage.mutations, ...storage.fieldResolvers]) {
      const roles = authorized.get(`${field.target.name}.${field.methodName}`);
      if (roles) expect(roles.every((r) => (PERMISSIONS as readonly string[]).includes(r))).toBe(true);
      else if (!PUBLIC.has(field.schemaName)) unguarded.push(`${field.target.name}.${field.methodName}`);
    }
    expect(unguarded).toEqual([]);
  });
});
