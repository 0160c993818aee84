/**
 * `npm run examples:types`: regenerates examples/rest/openapi.d.ts from the OpenAPI document of a
 * running Till (TILL_URL, default http://localhost:4000, the port `npm start` listens on).
 * It starts nothing: run Till first.
 */
import { writeFileSync } from 'node:fs';
import { OPENAPI_TYPES_FILE, openApiTypes } from './openapi-types.ts';

const tillUrl = process.env.TILL_URL ?? 'http://localhost:4000';
writeFileSync(OPENAPI_TYPES_FILE, await openApiTypes(tillUrl));
console.log(`wrote ${OPENAPI_TYPES_FILE} from ${tillUrl}/openapi.json`);
