import { Type } from '@fastify/type-provider-typebox';
import { routeSchema } from '../http/typed-routes.js';
import { errorResponses, htmlPage } from '../http/schema-components.js';

/** The hosted page's route schemas, for the OpenAPI document. */

const TAGS = ['Checkout'];
const str = Type.String();
const CHECKOUT_KEYS = [{ clientKey: [], sessionSecret: [] }];

const SessionId = Type.Object({ sessionId: str });
const ChallengeId = Type.Object({ challengeId: str });

const CheckoutView = Type.Object(
  {
    state: str,
    message: Type.Union([str, Type.Null()]),
    redirectUrl: Type.Union([str, Type.Null()]),
    amountFormatted: str,
    merchantName: str,
  },
  { description: 'What the page shows: no merchant ids, no secrets' },
);

const errors = (own: Record<number, string>) =>
  errorResponses('CheckoutError', { 400: 'Invalid request', ...own });

export const pageByPayment = routeSchema({
  operationId: 'getCheckoutPage',
  tags: TAGS,
  summary: 'The hosted payment page of a /v1 payment',
  security: [],
  params: Type.Object({ paymentId: str }),
  response: { 200: htmlPage('The page'), 404: htmlPage('No such payment') },
});

export const pageBySession = routeSchema({
  operationId: 'getSessionCheckoutPage',
  tags: TAGS,
  summary: 'The hosted payment page of an api-dialect session (its redirect_url)',
  security: [],
  params: Type.Object({ token: str, sessionId: str }),
  response: { 200: htmlPage('The page'), 404: htmlPage('No such session, or the token does not open it') },
});

export const checkoutSession = routeSchema({
  operationId: 'getCheckoutSession',
  tags: TAGS,
  summary: "The checkout's state, as the page's script reads it",
  security: CHECKOUT_KEYS,
  params: SessionId,
  response: { 200: CheckoutView, ...errors({ 404: 'The payment link is not valid' }) },
});

export const pay = routeSchema({
  operationId: 'payCheckoutSession',
  tags: TAGS,
  summary: 'Pay with a card (the number and CVC go to the processor, never stored)',
  security: CHECKOUT_KEYS,
  params: SessionId,
  body: Type.Object({
    number: str,
    exp_month: Type.Integer({ minimum: 1, maximum: 12 }),
    exp_year: Type.Integer(),
    cvc: str,
    name: Type.Optional(str),
  }),
  response: {
    200: CheckoutView,
    ...errors({ 404: 'The payment link is not valid', 429: 'Too many attempts' }),
  },
});

export const cancel = routeSchema({
  operationId: 'cancelCheckoutSession',
  tags: TAGS,
  summary: 'The customer cancels the checkout',
  security: CHECKOUT_KEYS,
  params: SessionId,
  response: { 200: CheckoutView, ...errors({ 404: 'The payment link is not valid' }) },
});

export const challengePage = routeSchema({
  operationId: 'getSandboxChallenge',
  tags: TAGS,
  summary: "The sandbox's 3-D Secure page (a stand-in for the card issuer's)",
  security: [],
  params: ChallengeId,
  response: {
    200: htmlPage('The challenge'),
    303: { description: 'Already answered: on to the merchant’s URL', type: 'null' },
    404: htmlPage('No such challenge'),
  },
});

export const challengeAnswer = routeSchema({
  operationId: 'answerSandboxChallenge',
  tags: TAGS,
  summary: "Answer the sandbox's 3-D Secure challenge",
  security: [],
  params: ChallengeId,
  body: {
    content: {
      'application/x-www-form-urlencoded': {
        schema: Type.Object({ action: Type.Union([Type.Literal('pass'), Type.Literal('fail')]) }),
      },
    },
  },
  response: {
    200: htmlPage('The outcome, when the merchant set no URL for it'),
    303: { description: 'On to the merchant’s URL, or the next step', type: 'null' },
    ...errorResponses('CheckoutError', { 404: 'No such challenge' }),
  },
});

const PaymentId = Type.Object({ paymentId: str });

export const actionRedirect = routeSchema({
  operationId: 'getAuthenticationRedirect',
  tags: TAGS,
  summary: "Posts the customer on to the acquirer's authentication page (3-D Secure by form post)",
  security: [],
  params: PaymentId,
  response: {
    200: htmlPage('A form that posts itself to the acquirer'),
    303: { description: 'Nothing to authenticate any more: on to the outcome', type: 'null' },
    404: htmlPage('No such payment'),
  },
});

const returnResponses = {
  200: htmlPage('The outcome, when the merchant set no URL for it'),
  303: { description: 'On to the merchant’s URL for the outcome', type: 'null' },
  ...errorResponses('CheckoutError', { 404: 'No such payment' }),
};

export const authenticationReturn = routeSchema({
  operationId: 'returnFromAuthentication',
  tags: TAGS,
  summary: 'Where the acquirer sends the customer back after 3-D Secure (query parameters)',
  security: [],
  params: PaymentId,
  response: returnResponses,
});

export const authenticationReturnPost = routeSchema({
  operationId: 'returnFromAuthenticationByPost',
  tags: TAGS,
  summary: 'Where the acquirer sends the customer back after 3-D Secure (form post)',
  security: [],
  params: PaymentId,
  body: {
    content: {
      'application/x-www-form-urlencoded': {
        schema: Type.Record(Type.String(), Type.String()),
      },
    },
  },
  response: returnResponses,
});
