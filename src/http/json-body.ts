import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';

/** Largest request body any surface accepts; bigger bodies get 413 in the surface's format. */
export const BODY_LIMIT = 256 * 1024;

/**
 * JSON bodies: parsed with prototype-poisoning protection, and kept as the exact string received,
 * because idempotency compares request bodies byte for byte. An empty body parses to undefined.
 */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (request, body, done) => {
      const text = body as string;
      request.rawBody = text;
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
      } catch (error) {
        const err = error as Error & { statusCode?: number; code?: string };
        err.statusCode = 400;
        err.code = 'FST_ERR_CTP_INVALID_JSON_BODY';
        done(err, undefined);
      }
    },
  );
}
