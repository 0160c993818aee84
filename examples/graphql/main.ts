/**
 * A merchant backend's hosted-payment flow over Till's GraphQL API, typed by the client preset of
 * GraphQL Code Generator (`npm run codegen` regenerates ./__generated__ from the operations below):
 * create a hosted payment, query it, watch its status live over graphql-ws, cancel it, and see a
 * second cancel refused.
 *
 *   TILL_URL=http://localhost:4000 TILL_SECRET_KEY=api_test_sk_… node examples/graphql/main.ts
 */
import { randomUUID } from 'node:crypto';
import { settingsFromEnv } from '../settings.ts';
import { graphql } from './__generated__/gql.ts';
import type { PaymentStatus, UserErrorFieldsFragment } from './__generated__/graphql.ts';
import { execute, subscribe, subscriptionClient } from './till-graphql.ts';

// The mutations' userErrors share one fragment, declared here for the code generator (the call
// returns its document, which nothing needs at run time). Fragments are not masked (codegen.yml), so
// its fields read like any other.
graphql(`
  fragment UserErrorFields on UserError {
    field
    code
    message
  }
`);

const CreateHostedPayment = graphql(`
  mutation CreateHostedPayment($input: CreateHostedPaymentInput!) {
    createHostedPayment(input: $input) {
      payment {
        id
        status
        amount
        currency
        hostedPaymentUrl
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

const PaymentById = graphql(`
  query PaymentById($id: ID!) {
    payment(id: $id) {
      id
      status
      amount
      currency
      merchantReference
    }
  }
`);

const CancelPayment = graphql(`
  mutation CancelPayment($id: ID!) {
    cancelPayment(id: $id) {
      payment {
        id
        status
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

const PaymentStatusChanged = graphql(`
  subscription PaymentStatusChanged($paymentId: ID!) {
    paymentStatusChanged(paymentId: $paymentId) {
      id
      status
      version
    }
  }
`);

const settings = settingsFromEnv();

/** Stops the example with a mutation's expected failures, typed as the schema's UserError. */
function fail(step: string, userErrors: readonly UserErrorFieldsFragment[]): never {
  for (const e of userErrors)
    console.error(`${step} failed: ${e.code} at ${e.field.join('.')}: ${e.message}`);
  process.exit(1);
}

const { createHostedPayment } = await execute(settings, CreateHostedPayment, {
  input: {
    amount: 2500,
    currency: 'EUR',
    returnUrl: 'https://shop.example.com/checkout/complete',
    merchantReference: `order-${Date.now()}`,
    description: 'Two coffees',
    // Makes a retry of this mutation answer the first result instead of creating a second payment.
    idempotencyKey: randomUUID(),
  },
});
if (!createHostedPayment.payment) fail('createHostedPayment', createHostedPayment.userErrors);
const created = createHostedPayment.payment;
console.log(
  `created ${created.id} ${created.status} (${created.amount} ${created.currency} in minor units); the customer pays at ${created.hostedPaymentUrl}`,
);

const { payment } = await execute(settings, PaymentById, { id: created.id });
console.log(`queried ${payment.id} ${payment.status} (reference ${payment.merchantReference})`);

// The subscription answers the payment's current status first, so once that arrives it is live and
// cannot miss the cancel.
const client = subscriptionClient(settings);
const changes = subscribe(client, PaymentStatusChanged, { paymentId: created.id });
const nextStatus = async (): Promise<PaymentStatus> => {
  const { value, done } = await changes.next();
  if (done) throw new Error('the subscription ended');
  if (!value.data) throw new Error(`subscription error: ${value.errors?.map((e) => e.message).join('; ')}`);
  return value.data.paymentStatusChanged.status;
};
console.log(`subscribed: ${created.id} is ${await nextStatus()}`);

const { cancelPayment } = await execute(settings, CancelPayment, { id: created.id });
if (!cancelPayment.payment) fail('cancelPayment', cancelPayment.userErrors);
console.log(`canceled ${cancelPayment.payment.id} ${cancelPayment.payment.status}`);

let status = await nextStatus();
while (status !== 'CANCELED') status = await nextStatus();
console.log(`subscription saw ${created.id} become ${status}`);
await changes.return?.();
await client.dispose();

// Only a PENDING or REQUIRES_ACTION payment can be canceled: the refusal is a typed UserError.
const again = await execute(settings, CancelPayment, { id: created.id });
const [refusal] = again.cancelPayment.userErrors;
if (!refusal) {
  console.error(`a second cancel unexpectedly succeeded: ${again.cancelPayment.payment?.status}`);
  process.exit(1);
}
console.log(`canceling again is refused: ${refusal.code}`);
