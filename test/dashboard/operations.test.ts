import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stringifyDocument } from '@urql/core';
import { buildSchema, parse, validate, type OperationDefinitionNode } from 'graphql';
import * as operations from '../../src/dashboard/client/operations.js';

const schema = buildSchema(
  readFileSync(path.resolve(import.meta.dirname, '../../schema/schema.graphql'), 'utf8'),
);

/** Every operation the dashboard sends, as graphql-js parses its text. */
const documents = Object.entries(operations)
  .filter(
    ([, value]) =>
      typeof value === 'object' && value !== null && 'kind' in value && value.kind === 'Document',
  )
  .map(
    ([name, value]) =>
      [name, parse(stringifyDocument(value as Parameters<typeof stringifyDocument>[0]))] as const,
  );

describe("the dashboard's GraphQL operations", () => {
  it('are many, each with its own name', () => {
    expect(documents.length).toBeGreaterThan(25);
    const names = documents.map(([, doc]) => (doc.definitions[0] as OperationDefinitionNode).name?.value);
    expect(names.every((n) => n?.startsWith('Dashboard'))).toBe(true);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(documents)('%s is valid against the checked-in schema', (_name, doc) => {
    expect(validate(schema, doc).map((e) => e.message)).toEqual([]);
  });
});
