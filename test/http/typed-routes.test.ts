import { Type } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerOpenApi } from '../../src/http/openapi.js';
import { routeSchema, typed } from '../../src/http/typed-routes.js';
import * as v1 from '../../src/rest/v1/schemas.js';

/** True when A and B are the same type (checked by `npm run typecheck`). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const sameType = <T extends true>(): T | undefined => undefined;

type Wire = string | string[];

const schema = routeSchema({
  params: Type.Object({ id: Type.String() }),
  querystring: Type.Object({ limit: Type.Optional(Type.Integer()), status: Type.Optional(Type.String()) }),
  headers: Type.Object({ 'Idempotency-Key': Type.String() }),
  body: Type.Object({ amount: Type.Integer() }, { additionalProperties: false }),
  response: { 200: Type.Object({ ok: Type.Boolean() }) },
});

async function echo(instance: FastifyInstance) {
  const app = typed(instance);
  app.post('/things/:id', { schema }, async (request) => {
    // What the schema may claim without Fastify validating anything.
    sameType<Equal<typeof request.params, { id: string }>>();
    sameType<Equal<typeof request.query, { limit?: Wire; status?: Wire }>>();
    sameType<Equal<typeof request.body, unknown>>();
    sameType<Equal<(typeof request.headers)['idempotency-key'], Wire | undefined>>();
    return { params: request.params, query: request.query, body: request.body };
  });
  app.get('/payments/:id', { schema: v1.getPayment }, async (request) => {
    sameType<Equal<typeof request.params, { id: string }>>();
    return request.params;
  });
  app.get('/payments', { schema: v1.listPayments }, async (request) => {
    sameType<Equal<typeof request.query, { limit?: Wire; starting_after?: Wire; status?: Wire }>>();
    return request.query;
  });
}

describe('route schemas type their handlers and enforce nothing', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify();
    await registerOpenApi(app, { publicUrl: 'http://localhost' });
    await app.register(echo);
    await app.ready();
  });
  afterAll(() => app.close());

  it('hands the handler the request as sent, even where it contradicts the schema', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/things/th_1?limit=a&limit=b',
      payload: { amount: 'ten', extra: true },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      params: { id: 'th_1' },
      query: { limit: ['a', 'b'] },
      body: { amount: 'ten', extra: true },
    });
  });

  it('leaves a schema object as written, so the document shows it', () => {
    expect(schema.body).toEqual(Type.Object({ amount: Type.Integer() }, { additionalProperties: false }));
    expect(v1.getPayment).toMatchObject({ operationId: 'getPayment', security: [{ secretKey: [] }] });
  });
});
