import { Type } from '@fastify/type-provider-typebox';
import { listOf } from '../../http/schema-components.js';
import { admin, errors } from './schemas.js';

/** The operator API's connector-account routes, for the OpenAPI document. Errors use the v1 format. */

const str = Type.String();
const MerchantId = Type.Object({ merchant_id: str });
const AccountIds = Type.Object({ merchant_id: str, account_id: str });
const TerminalIds = Type.Object({ merchant_id: str, terminal_id: str });

const Connector = Type.Union([Type.Literal('sandbox'), Type.Literal('stripe'), Type.Literal('adyen')]);
const Mode = Type.Union([Type.Literal('test'), Type.Literal('live')]);

export const ConnectorAccount = Type.Object(
  {
    id: Type.String({ description: '`ca_` + 24 base62 characters.' }),
    object: Type.Literal('connector_account'),
    merchant_id: str,
    connector: Connector,
    mode: Mode,
    label: str,
    currencies: Type.Array(str, { description: 'ISO 4217 codes it takes; empty: every currency.' }),
    priority: Type.Integer({ description: 'Lower is tried first.' }),
    api_base: Type.Union([str, Type.Null()]),
    credentials_set: Type.Array(str, { description: 'Which credentials are stored (never their values).' }),
    webhook_url: Type.Union([str, Type.Null()], {
      description: "Where to point the acquirer's webhooks for this account.",
    }),
    status: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]),
    created_at: Type.Integer(),
  },
  { description: "A merchant's account at an acquirer; never its credentials" },
);

const Credentials = Type.Record(Type.String(), Type.String(), {
  description:
    'stripe: secret_key, webhook_secret. adyen: api_key, merchant_account, hmac_key, live_url_prefix (live). sandbox: none. Stored sealed; never returned.',
});

export const createConnectorAccount = admin({
  operationId: 'createConnectorAccount',
  summary: 'Add an acquirer account to a merchant',
  params: MerchantId,
  body: Type.Object(
    {
      connector: Connector,
      mode: Mode,
      label: Type.Optional(str),
      currencies: Type.Optional(Type.Array(str)),
      priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      credentials: Type.Optional(Credentials),
      api_base: Type.Optional(
        Type.String({ description: "Overrides the acquirer's base URL (a proxy); https:// in live mode." }),
      ),
    },
    { additionalProperties: false },
  ),
  response: { 201: ConnectorAccount, ...errors({ 404: 'No such merchant' }) },
});

export const listConnectorAccounts = admin({
  operationId: 'listConnectorAccounts',
  summary: "A merchant's acquirer accounts, in routing order",
  params: MerchantId,
  querystring: Type.Object({ mode: Type.Optional(Mode) }),
  response: { 200: listOf(ConnectorAccount, 'The accounts'), ...errors({ 404: 'No such merchant' }) },
});

export const getConnectorAccount = admin({
  operationId: 'getConnectorAccount',
  summary: 'One acquirer account',
  params: AccountIds,
  response: { 200: ConnectorAccount, ...errors({ 404: 'No such merchant or account' }) },
});

export const updateConnectorAccount = admin({
  operationId: 'updateConnectorAccount',
  summary: "Change an account's label, currencies, priority or credentials",
  description: 'Credentials given replace those of the same name; the others are kept.',
  params: AccountIds,
  body: Type.Object(
    {
      label: Type.Optional(str),
      currencies: Type.Optional(Type.Array(str)),
      priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      credentials: Type.Optional(Credentials),
    },
    { additionalProperties: false },
  ),
  response: { 200: ConnectorAccount, ...errors({ 404: 'No such merchant or account' }) },
});

export const disableConnectorAccount = admin({
  operationId: 'disableConnectorAccount',
  summary: 'Stop routing new payments to an account',
  description: 'Payments it already holds keep using it for captures, refunds and webhooks.',
  params: AccountIds,
  response: { 200: ConnectorAccount, ...errors({ 404: 'No such merchant or account' }) },
});

export const pinTerminal = admin({
  operationId: 'pinTerminalConnectors',
  summary: "Pin an api-dialect terminal's payments to accounts, in order (null: route by priority)",
  params: TerminalIds,
  body: Type.Object(
    { connector_account_ids: Type.Union([Type.Array(str), Type.Null()]) },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object({
      terminal_id: str,
      connector_account_ids: Type.Union([Type.Array(str), Type.Null()]),
    }),
    ...errors({ 404: 'No such merchant, terminal or account' }),
  },
});
