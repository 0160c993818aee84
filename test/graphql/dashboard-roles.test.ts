import { graphql, type GraphQLSchema } from 'graphql';
import { PaymentRepository } from '../../src/db/repositories/payments.js';
import { PaymentStatsRepository } from '../../src/db/repositories/payment-stats.js';
import { WebhookDeliveryRepository } from '../../src/db/repositories/webhook-deliveries.js';
import type { GraphQLContext } from '../../src/graphql/context.js';
import { buildTillSchema } from '../../src/graphql/schema.js';
import { PaymentExportService } from '../../src/services/payment-export.js';
import { PaymentStatsService } from '../../src/services/payment-stats.js';
import type { Principal, Role } from '../../src/services/principal.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';
import { WebhookDeliveryLog } from '../../src/webhooks/delivery-log.js';
import { backends } from '../support/backends.js';
import { request, SEED_004_SAMPLE } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';

/**
 * The dashboard's new fields under each role. Sessions are not needed to check the rule: the schema
 * runs with a session principal of each role, as the GraphQL server would build it.
 */
describe.each(backends)('dashboard fields by role (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  let schema: GraphQLSchema;
  let paymentId: string;

  const run = async (role: Role | null, source: string, variableValues: Record<string, unknown> = {}) => {
    const principal: Principal = {
      merchantId: merchant.merchant_id,
      livemode: false,
      credentialId: 'ses_test',
      kind: role ? 'session' : 'secret_key',
      userId: role ? 'usr_test' : null,
      role,
    };
    const contextValue: GraphQLContext = {
      principal,
      idempotencyKey: null,
      openPaymentFeed: () => Promise.reject(new Error('no feeds here')),
      openEventFeed: () => Promise.reject(new Error('no feeds here')),
    };
    const res = await graphql({ schema, source, variableValues, contextValue });
    return {
      data: res.data as Record<string, any> | null,
      codes: (res.errors ?? []).map((e) => e.extensions.code),
    };
  };

  beforeAll(async () => {
    app = await startTill({ backend });
    merchant = await newMerchant(app);
    const db = app.till.db;
    const s = app.till.services;
    schema = await buildTillSchema({
      ...s,
      publicUrl: app.till.config.publicUrl,
      paymentStats: new PaymentStatsService(new PaymentStatsRepository(db)),
      paymentExport: new PaymentExportService(new PaymentRepository(db)),
      deliveryLog: new WebhookDeliveryLog(new WebhookDeliveryRepository(db), s.webhooks, () => {}),
    });
    paymentId = (
      await request(app.url, 'POST', '/v1/payments/hpp', {
        key: merchant.test_secret_key,
        body: SEED_004_SAMPLE,
      })
    ).json.id;
  });
  afterAll(() => app.close());

  const READS = `query($id: ID!) {
    paymentStats(from: 0, to: 86400) { totals { count } }
    paymentExport { rowCount }
    webhookDeliveries { edges { cursor } }
    payment(id: $id) { id events { type } webhookDeliveries { id } }
  }`;

  it.each<[string, Role | null]>([
    ['an owner', 'owner'],
    ['an admin', 'admin'],
    ['a developer', 'developer'],
    ['an analyst', 'analyst'],
    ['a secret key', null],
  ])('lets %s read stats, exports, history and the log', async (_who, role) => {
    const res = await run(role, READS, { id: paymentId });
    expect(res.codes).toEqual([]);
    expect(res.data!.paymentExport.rowCount).toBe(1);
    expect(res.data!.payment.events).toEqual([{ type: 'payment.created' }]);
  });

  it('refuses an analyst redelivery and test events (FORBIDDEN), whatever the UI shows', async () => {
    const redeliver = await run(
      'analyst',
      'mutation { redeliverWebhookDelivery(id: "wd_000000000000000000000000") { userErrors { code } } }',
    );
    expect(redeliver.codes).toEqual(['FORBIDDEN']);
    const ping = await run(
      'analyst',
      'mutation { sendTestWebhookEvent(endpointId: "we_000000000000000000000000") { userErrors { code } } }',
    );
    expect(ping.codes).toEqual(['FORBIDDEN']);
    // A developer may: the same call reaches the service, which finds no such endpoint.
    const allowed = await run(
      'developer',
      'mutation { sendTestWebhookEvent(endpointId: "we_000000000000000000000000") { userErrors { code } } }',
    );
    expect(allowed.codes).toEqual(['NOT_FOUND']);
  });

  it('refuses anonymous callers', async () => {
    const res = await graphql({
      schema,
      source: 'query { paymentStats(from: 0, to: 86400) { from } }',
      contextValue: { principal: null },
    });
    expect(res.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });
});
