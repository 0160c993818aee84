import {
  ConnectorAccountsDocument,
  CreateConnectorAccountDocument,
  DisableConnectorAccountDocument,
  PaymentDocument,
} from '../__generated__/graphql.js';
import { backends } from '../support/backends.js';
import { paidPayment } from '../support/checkout.js';
import { gql } from '../support/graphql.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

const SECRET = 'sk_test_graphqlSecret0123456789abcdef';
const WEBHOOK_SECRET = 'whsec_graphqlWebhookSecret0123456789';

describe.each(backends)('connector accounts over GraphQL (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;

  beforeAll(async () => {
    app = await startTill({ backend });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    merchant = await newMerchant(app, 'Shop');
  });

  it('a merchant adds, lists and disables its own accounts of its mode; no answer carries a credential', async () => {
    const key = merchant.test_secret_key;
    const created = await gql(
      app.url,
      CreateConnectorAccountDocument,
      {
        input: {
          connector: 'STRIPE',
          label: 'Stripe EU',
          currencies: ['EUR'],
          priority: 2,
          credentials: { secret_key: SECRET, webhook_secret: WEBHOOK_SECRET },
        },
      },
      { key },
    );
    const account = created.data!.createConnectorAccount.connectorAccount!;
    expect(created.data!.createConnectorAccount.userErrors).toEqual([]);
    expect(account).toMatchObject({
      id: expect.stringMatching(/^ca_[A-Za-z0-9]{24}$/),
      connector: 'STRIPE',
      livemode: false,
      label: 'Stripe EU',
      currencies: ['EUR'],
      priority: 2,
      credentialsSet: ['secret_key', 'webhook_secret'],
      webhookUrl: `${app.till.config.publicUrl}/connectors/stripe/${account.id}/webhook`,
      status: 'enabled',
    });
    const listed = await gql(app.url, ConnectorAccountsDocument, {}, { key });
    expect(listed.data!.connectorAccounts.map((a) => a.id)).toEqual([account.id]);
    for (const answer of [created, listed]) {
      expect(JSON.stringify(answer)).not.toContain(SECRET);
      expect(JSON.stringify(answer)).not.toContain(WEBHOOK_SECRET);
    }

    // The live key sees no test account and cannot disable one.
    const live = merchant.live_secret_key;
    expect(
      (await gql(app.url, ConnectorAccountsDocument, {}, { key: live })).data!.connectorAccounts,
    ).toEqual([]);
    const refused = await gql(app.url, DisableConnectorAccountDocument, { id: account.id }, { key: live });
    expect(JSON.stringify(refused)).toMatch(/No such connector account/);
    const disabled = await gql(app.url, DisableConnectorAccountDocument, { id: account.id }, { key });
    expect(disabled.data!.disableConnectorAccount.connectorAccount).toEqual({
      id: account.id,
      status: 'disabled',
    });
  });

  it('refuses bad accounts field by field, without echoing a secret and without writing anything', async () => {
    const key = merchant.test_secret_key;
    const liveSecret = 'sk_live_mustNotBeEchoed0123456789';
    const bad = await gql(
      app.url,
      CreateConnectorAccountDocument,
      {
        input: {
          connector: 'STRIPE',
          priority: 0,
          currencies: ['euro'],
          credentials: { secret_key: liveSecret, pin: 'x' },
        },
      },
      { key },
    );
    const errors = bad.data!.createConnectorAccount.userErrors;
    expect(bad.data!.createConnectorAccount.connectorAccount).toBeNull();
    expect(errors.map((e) => e.field.join('.')).sort()).toEqual(
      ['input.credentials.pin', 'input.credentials.secretKey', 'input.currencies', 'input.priority'].sort(),
    );
    expect(JSON.stringify(bad)).not.toContain(liveSecret);
    expect((await gql(app.url, ConnectorAccountsDocument, {}, { key })).data!.connectorAccounts).toEqual([]);
  });

  it('a paid payment shows where it went: the built-in sandbox, one approved attempt', async () => {
    const id = await paidPayment(app, merchant);
    const payment = (await gql(app.url, PaymentDocument, { id }, { key: merchant.test_secret_key })).data!
      .payment!;
    expect(payment.processor).toEqual({
      connector: 'sandbox',
      accountId: null,
      reference: expect.stringMatching(/^sbch_/),
    });
    expect(payment.attempts).toEqual([
      {
        connector: 'sandbox',
        accountId: null,
        reference: payment.processor!.reference,
        status: 'approved',
        error: null,
        createdAt: expect.any(Number),
      },
    ]);
  });
});
