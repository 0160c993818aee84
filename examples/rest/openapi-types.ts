import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

/** Where the checked-in types live, relative to the repository root. */
export const OPENAPI_TYPES_FILE = 'examples/rest/openapi.d.ts';

/**
 * The TypeScript types of the REST API that the Till at `tillUrl` describes at `/openapi.json`:
 * the exact text `npm run examples:types` writes to examples/rest/openapi.d.ts, so a test can tell
 * when the checked-in file no longer matches what Till serves.
 */
export async function openApiTypes(tillUrl: string): Promise<string> {
  const response = await fetch(new URL('/openapi.json', tillUrl));
  if (!response.ok) throw new Error(`GET ${tillUrl}/openapi.json answered HTTP ${response.status}`);
  const document = await response.text();
  return `${COMMENT_HEADER}${astToString(await openapiTS(document))}`;
}
