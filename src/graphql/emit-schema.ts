import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { buildTillSchema } from './schema.js';

/** The SDL checked in as schema/schema.graphql; a test fails when the code drifts from it. */
export async function printTillSchema(): Promise<string> {
  return `# Generated from the code by \`npm run schema\`. Do not edit.\n\n${printSchema(await buildTillSchema(null))}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = new URL('../../schema/schema.graphql', import.meta.url);
  writeFileSync(target, await printTillSchema());
  console.log(`wrote ${fileURLToPath(target)}`);
}
