/* eslint-disable */
import * as types from './graphql.ts';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment UserErrorFields on UserError {\n    field\n    code\n    message\n  }\n": typeof types.UserErrorFieldsFragmentDoc,
    "\n  mutation CreateHostedPayment($input: CreateHostedPaymentInput!) {\n    createHostedPayment(input: $input) {\n      payment {\n        id\n        status\n        amount\n        currency\n        hostedPaymentUrl\n      }\n      userErrors {\n        ...UserErrorFields\n      }\n    }\n  }\n": typeof types.CreateHostedPaymentDocument,
    "\n  query PaymentById($id: ID!) {\n    payment(id: $id) {\n      id\n      status\n      amount\n      currency\n      merchantReference\n    }\n  }\n": typeof types.PaymentByIdDocument,
    "\n  mutation CancelPayment($id: ID!) {\n    cancelPayment(id: $id) {\n      payment {\n        id\n        status\n      }\n      userErrors {\n        ...UserErrorFields\n      }\n    }\n  }\n": typeof types.CancelPaymentDocument,
    "\n  subscription PaymentStatusChanged($paymentId: ID!) {\n    paymentStatusChanged(paymentId: $paymentId) {\n      id\n      status\n      version\n    }\n  }\n": typeof types.PaymentStatusChangedDocument,
};
const documents: Documents = {
    "\n  fragment UserErrorFields on UserError {\n    field\n    code\n    message\n  }\n": types.UserErrorFieldsFragmentDoc,
    "\n  mutation CreateHostedPayment($input: CreateHostedPaymentInput!) {\n    createHostedPayment(input: $input) {\n      payment {\n        id\n        status\n        amount\n        currency\n        hostedPaymentUrl\n      }\n      userErrors {\n        ...UserErrorFields\n      }\n    }\n  }\n": types.CreateHostedPaymentDocument,
    "\n  query PaymentById($id: ID!) {\n    payment(id: $id) {\n      id\n      status\n      amount\n      currency\n      merchantReference\n    }\n  }\n": types.PaymentByIdDocument,
    "\n  mutation CancelPayment($id: ID!) {\n    cancelPayment(id: $id) {\n      payment {\n        id\n        status\n      }\n      userErrors {\n        ...UserErrorFields\n      }\n    }\n  }\n": types.CancelPaymentDocument,
    "\n  subscription PaymentStatusChanged($paymentId: ID!) {\n    paymentStatusChanged(paymentId: $paymentId) {\n      id\n      status\n      version\n    }\n  }\n": types.PaymentStatusChangedDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment UserErrorFields on UserError {\n    field\n    code\n    message\n  }\n"): typeof import('./graphql.ts').UserErrorFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateHostedPayment($input: CreateHostedPaymentInput!) {\n    createHostedPayment(input: $input) {\n      payment {\n        id\n        status\n        amount\n        currency\n        hostedPaymentUrl\n      }\n      userErrors {\n        ...UserErrorFields\n      }\n    }\n  }\n"): typeof import('./graphql.ts').CreateHostedPaymentDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PaymentById($id: ID!) {\n    payment(id: $id) {\n      id\n      status\n      amount\n      currency\n      merchantReference\n    }\n  }\n"): typeof import('./graphql.ts').PaymentByIdDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelPayment($id: ID!) {\n    cancelPayment(id: $id) {\n      payment {\n        id\n        status\n      }\n      userErrors {\n        ...UserErrorFields\n      }\n    }\n  }\n"): typeof import('./graphql.ts').CancelPaymentDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription PaymentStatusChanged($paymentId: ID!) {\n    paymentStatusChanged(paymentId: $paymentId) {\n      id\n      status\n      version\n    }\n  }\n"): typeof import('./graphql.ts').PaymentStatusChangedDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
