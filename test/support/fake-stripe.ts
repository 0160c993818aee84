import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import {
  ENDPOINT_PARAMS,
  FIXTURES,
  checkParams,
  parseForm,
  type Endpoint,
  type FormTree,
} from './fake-stripe-schema.js';

/**
 * A local stand-in for Stripe's API, on loopback, that the official library talks to through the
 * connector account's `apiBase`. It checks every request against Stripe's published objects,
 * answers with those objects, keeps idempotency like Stripe, decides by Stripe's test cards, and
 * can be scripted to fail the way a real network and a real Stripe fail.
 */

/** What the next call(s) to an endpoint do instead of (or on top of) the normal answer. */
export type Scenario =
  /** Never answer: the client's timeout fires. */
  | { kind: 'hang' }
  /** Answer 500 without doing anything. */
  | { kind: 'server_error_before' }
  /** Do the work (and keep it under the idempotency key), then answer 500: the answer is lost. */
  | { kind: 'server_error_after' }
  /** Do the work (and keep it under the idempotency key), then never answer: the client times out. */
  | { kind: 'hang_after' }
  /** Do the work, then hold the answer until `until` settles (a slow answer a webhook overtakes). */
  | { kind: 'answer_after'; until: Promise<unknown> }
  /** Answer 429 without doing anything. */
  | { kind: 'rate_limited' }
  /** Decline the card with this decline code (payment_intents.create). */
  | { kind: 'decline'; declineCode: string }
  /** Ask for 3-D Secure whatever the card (payment_intents.create). */
  | { kind: 'require_3ds' }
  /** Accept without deciding: a PaymentIntent left `processing`, a refund left `pending`. */
  | { kind: 'pending' };

export interface RecordedRequest {
  method: string;
  path: string;
  endpoint: Endpoint | null;
  idempotencyKey: string | null;
  /** The parameters, with the card number reduced to its last four digits and the CVC left out. */
  params: FormTree;
  /** null while unanswered (a hang). */
  status: number | null;
  replayed: boolean;
}

export interface FakeStripe {
  /** The `apiBase` for a connector account. */
  url: string;
  requests: RecordedRequest[];
  /** Every parameter the client sent that Stripe's objects do not have (or with the wrong type). */
  violations: string[];
  /** The next calls to `endpoint` play these scenarios, one per call, in order. */
  script(endpoint: Endpoint, ...scenarios: Scenario[]): void;
  /** PaymentIntents confirmed into a charge (succeeded or requires_capture), each counted once. */
  charges(): number;
  paymentIntent(id: string): Stripe.PaymentIntent | undefined;
  /** The PaymentIntents made for one Till payment (metadata till_payment_id), oldest first. */
  paymentIntentsOf(tillPaymentId: string): Stripe.PaymentIntent[];
  /** A PaymentIntent left `processing` is decided: authorized (captured or held) like any other. */
  completePaymentIntent(id: string): void;
  /** The refunds of a PaymentIntent so far. */
  refundsOf(paymentIntentId: string): Stripe.Refund[];
  /** A Stripe event (fixture event object) about a PaymentIntent as it is now. */
  paymentIntentEvent(
    type:
      | 'payment_intent.succeeded'
      | 'payment_intent.amount_capturable_updated'
      | 'payment_intent.payment_failed'
      | 'payment_intent.canceled',
    id: string,
  ): Stripe.Event;
  /** A `charge.refunded` event for a PaymentIntent's charge with its refunds so far. */
  chargeRefundedEvent(id: string): Stripe.Event;
  /** Settles a pending refund (when `status` is given) and returns the event saying so. */
  refundEvent(
    type: 'refund.updated' | 'charge.refund.updated',
    refundId: string,
    status?: 'succeeded' | 'failed',
  ): Stripe.Event;
  /** The body and Stripe-Signature header of an event, signed with `secret`. */
  signEvent(event: Stripe.Event | object, secret: string): { payload: string; header: string };
  /** Everything the fake keeps, as text (to prove no card number or CVC is among it). */
  stored(): string;
  close(): Promise<void>;
}

export interface FakeStripeOptions {
  /** The secret key the client must present (any `sk_test_…` when absent). */
  secretKey?: string;
  /**
   * Listen over TLS with this key and certificate (PEM), as a live account's `https://` api_base
   * requires (the certificate must name the IP address 127.0.0.1).
   */
  tls?: { key: string; cert: string };
}

/** Stripe's test cards and what they do. */
const TEST_CARDS: Record<string, { declineCode?: string; threeDS?: boolean }> = {
  '4242424242424242': {},
  '4000000000000002': { declineCode: 'generic_decline' },
  '4000000000009995': { declineCode: 'insufficient_funds' },
  '4000000000000069': { declineCode: 'expired_card' },
  '4000000000000127': { declineCode: 'incorrect_cvc' },
  '4000000000000119': { declineCode: 'processing_error' },
  '4000000000003220': { threeDS: true },
};

/** Stripe's error `code` and message for each decline code (a plain decline is `card_declined`). */
const DECLINES: Record<string, { code: string; message: string }> = {
  generic_decline: { code: 'card_declined', message: 'Your card was declined.' },
  insufficient_funds: { code: 'card_declined', message: 'Your card has insufficient funds.' },
  expired_card: { code: 'expired_card', message: 'Your card has expired.' },
  incorrect_cvc: { code: 'incorrect_cvc', message: "Your card's security code is incorrect." },
  processing_error: {
    code: 'processing_error',
    message: 'An error occurred while processing your card. Try again in a little bit.',
  },
};

interface Answer {
  status: number;
  body: unknown;
}

interface Kept {
  fingerprint: string;
  answer: Answer;
}

export async function startFakeStripe(options: FakeStripeOptions = {}): Promise<FakeStripe> {
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const scripts = new Map<Endpoint, Scenario[]>();
  const intents = new Map<string, Stripe.PaymentIntent>();
  const refunds = new Map<string, Stripe.Refund[]>();
  const charged = new Set<string>();
  /** Where 3-D Secure sends each PaymentIntent's customer back. */
  const fakeReturnUrls = new Map<string, string>();
  /** The last four digits of each PaymentIntent's card: all the fake keeps of it. */
  const fakeCards = new Map<string, string>();
  const idempotency = new Map<string, Kept>();
  const hung = new Set<ServerResponse>();
  // Request fingerprints are keyed hashes: comparable, never reversible to a card number.
  const fingerprintKey = randomBytes(32);
  let url = '';

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        send(res, 500, stripeError('api_error', null, String(error)));
      }
    });
  };
  const server = options.tls ? createTlsServer(options.tls, onRequest) : createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const target = new URL(req.url ?? '/', url);
    const method = req.method ?? 'GET';
    if (target.pathname.startsWith('/3ds/')) return threeDSPage(method, target, body, res);

    const route = routeOf(method, target.pathname);
    const params = parseForm(method === 'GET' ? target.search.slice(1) : body);
    const idempotencyKey = header(req, 'idempotency-key');
    const record: RecordedRequest = {
      method,
      path: target.pathname,
      endpoint: route?.endpoint ?? null,
      idempotencyKey,
      params: redact(params),
      status: null,
      replayed: false,
    };
    requests.push(record);
    const reply = (answer: Answer, replayed = false) => {
      record.status = answer.status;
      record.replayed = replayed;
      send(res, answer.status, answer.body, replayed);
    };

    const auth = header(req, 'authorization') ?? '';
    const key = auth.replace(/^Bearer /, '');
    if (options.secretKey ? key !== options.secretKey : !key.startsWith('sk_test_')) {
      return reply({
        status: 401,
        body: stripeError('invalid_request_error', null, 'Invalid API Key provided.'),
      });
    }
    if (!route) {
      return reply({
        status: 404,
        body: stripeError(
          'invalid_request_error',
          null,
          `Unrecognized request URL (${method}: ${target.pathname}).`,
        ),
      });
    }
    const found = checkParams(params, ENDPOINT_PARAMS[route.endpoint]);
    if (found.length > 0) {
      violations.push(...found.map((problem) => `${route.endpoint}: ${problem}`));
      return reply({
        status: 400,
        body: stripeError(
          'invalid_request_error',
          'parameter_unknown',
          `Received invalid parameters: ${found.join('; ')}`,
        ),
      });
    }

    const fingerprint = createHmac('sha256', fingerprintKey)
      .update(`${method} ${target.pathname} ${body}`)
      .digest('hex');
    if (method === 'POST' && idempotencyKey !== null) {
      const kept = idempotency.get(idempotencyKey);
      if (kept && kept.fingerprint !== fingerprint) {
        return reply({
          status: 400,
          body: {
            error: {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
            },
          },
        });
      }
      if (kept) return reply(kept.answer, true);
    }

    const scenario = scripts.get(route.endpoint)?.shift();
    if (scenario?.kind === 'hang') {
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    if (scenario?.kind === 'server_error_before') {
      return reply({ status: 500, body: stripeError('api_error', null, 'An unknown error occurred.') });
    }
    if (scenario?.kind === 'rate_limited') {
      return reply({
        status: 429,
        body: stripeError(
          'invalid_request_error',
          'rate_limit',
          'Too many requests hit the API too quickly.',
        ),
      });
    }

    const answer = perform(route, params, scenario);
    // Stripe keeps the answer of every request that ran, declines included.
    if (method === 'POST' && idempotencyKey !== null)
      idempotency.set(idempotencyKey, { fingerprint, answer });
    if (scenario?.kind === 'server_error_after') {
      return reply({ status: 500, body: stripeError('api_error', null, 'An unknown error occurred.') });
    }
    if (scenario?.kind === 'hang_after') {
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    if (scenario?.kind === 'answer_after') {
      const answerNow = () => {
        if (!res.destroyed) reply(answer);
      };
      scenario.until.then(answerNow, answerNow);
      return;
    }
    reply(answer);
  }

  function perform(route: Route, params: FormTree, scenario: Scenario | undefined): Answer {
    switch (route.endpoint) {
      case 'payment_intents.create':
        return createIntent(params, scenario);
      case 'payment_intents.retrieve':
        return withIntent(route.id!, (intent) => ok(intent));
      case 'payment_intents.search':
        return search(String(params.query ?? ''));
      case 'payment_intents.capture':
        return withIntent(route.id!, (intent) => capture(intent, params));
      case 'payment_intents.cancel':
        return withIntent(route.id!, (intent) => cancel(intent, params));
      case 'refunds.create':
        return createRefund(params, scenario);
    }
  }

  function createIntent(params: FormTree, scenario: Scenario | undefined): Answer {
    const data = params.payment_method_data as FormTree | undefined;
    const card = (data?.card ?? {}) as FormTree;
    const number = String(card.number ?? '').replace(/\D/g, '');
    const behaviour = TEST_CARDS[number] ?? {};
    const declineCode = scenario?.kind === 'decline' ? scenario.declineCode : behaviour.declineCode;
    const threeDS = scenario?.kind === 'require_3ds' || behaviour.threeDS === true;
    const manual = params.capture_method === 'manual';
    const amount = Number(params.amount);
    const id = newId('pi');
    const intent = fixture<Stripe.PaymentIntent>('payment_intent', {
      id,
      amount,
      amount_capturable: 0,
      amount_received: 0,
      currency: String(params.currency),
      capture_method: manual ? 'manual' : 'automatic',
      client_secret: `${id}_secret_${randomBytes(12).toString('hex')}`,
      confirmation_method: 'automatic',
      created: Math.floor(Date.now() / 1000),
      canceled_at: null,
      description: typeof params.description === 'string' ? params.description : null,
      metadata: { ...((params.metadata as Record<string, string> | undefined) ?? {}) },
      payment_method: newId('pm'),
      payment_method_types: ['card'],
      latest_charge: null,
      last_payment_error: null,
      next_action: null,
      status: 'requires_payment_method',
    });
    intents.set(id, intent);
    fakeReturnUrls.set(id, String(params.return_url ?? ''));
    fakeCards.set(id, number.slice(-4));

    if (params.confirm !== 'true') return ok(intent);
    if (scenario?.kind === 'pending') {
      intent.status = 'processing';
      return ok(intent);
    }
    if (declineCode) {
      const decline = DECLINES[declineCode] ?? { code: 'card_declined', message: 'Your card was declined.' };
      intent.last_payment_error = {
        type: 'card_error',
        code: decline.code,
        decline_code: declineCode,
        message: decline.message,
      } as Stripe.PaymentIntent.LastPaymentError;
      return {
        status: 402,
        body: {
          error: {
            type: 'card_error',
            code: decline.code,
            decline_code: declineCode,
            message: decline.message,
            payment_intent: intent,
          },
        },
      };
    }
    if (threeDS) {
      intent.status = 'requires_action';
      intent.next_action = {
        type: 'redirect_to_url',
        redirect_to_url: { url: `${url}/3ds/${id}`, return_url: String(params.return_url ?? '') },
      } as Stripe.PaymentIntent.NextAction;
      return ok(intent);
    }
    authorized(intent);
    return ok(intent);
  }

  /** The card is authorized: captured at once, or held for a later capture. */
  function authorized(intent: Stripe.PaymentIntent): void {
    intent.next_action = null;
    intent.last_payment_error = null;
    intent.latest_charge = newId('ch');
    if (intent.capture_method === 'manual') {
      intent.status = 'requires_capture';
      intent.amount_capturable = intent.amount;
    } else {
      intent.status = 'succeeded';
      intent.amount_received = intent.amount;
    }
    charged.add(intent.id);
  }

  function withIntent(id: string, then: (intent: Stripe.PaymentIntent) => Answer): Answer {
    const intent = intents.get(id);
    if (!intent) {
      return {
        status: 404,
        body: stripeError(
          'invalid_request_error',
          'resource_missing',
          `No such payment_intent: '${id}'`,
          'intent',
        ),
      };
    }
    return then(intent);
  }

  function search(query: string): Answer {
    const match = /^metadata\['([^']+)'\]:'((?:[^'\\]|\\.)*)'$/.exec(query.trim());
    if (!match) {
      return {
        status: 400,
        body: stripeError('invalid_request_error', 'parameter_invalid', 'Unsupported query.'),
      };
    }
    const [, key, quoted] = match;
    const value = quoted!.replace(/\\(.)/g, '$1');
    const data = [...intents.values()]
      .filter((intent) => intent.metadata[key!] === value)
      .sort((a, b) => b.created - a.created);
    return ok({
      object: 'search_result',
      data,
      has_more: false,
      next_page: null,
      url: '/v1/payment_intents/search',
    });
  }

  function capture(intent: Stripe.PaymentIntent, params: FormTree): Answer {
    if (intent.status !== 'requires_capture') return unexpectedState(intent, 'capture');
    const amount =
      params.amount_to_capture === undefined ? intent.amount_capturable : Number(params.amount_to_capture);
    if (amount > intent.amount_capturable || amount <= 0) {
      return {
        status: 400,
        body: stripeError(
          'invalid_request_error',
          'amount_too_large',
          `The amount to capture (${amount}) is greater than the amount capturable (${intent.amount_capturable}).`,
          'amount_to_capture',
        ),
      };
    }
    intent.status = 'succeeded';
    intent.amount_received = amount;
    intent.amount_capturable = 0;
    return ok(intent);
  }

  function cancel(intent: Stripe.PaymentIntent, params: FormTree): Answer {
    if (intent.status === 'succeeded' || intent.status === 'canceled')
      return unexpectedState(intent, 'cancel');
    intent.status = 'canceled';
    intent.canceled_at = Math.floor(Date.now() / 1000);
    intent.cancellation_reason =
      typeof params.cancellation_reason === 'string'
        ? (params.cancellation_reason as Stripe.PaymentIntent.CancellationReason)
        : null;
    intent.amount_capturable = 0;
    return ok(intent);
  }

  function createRefund(params: FormTree, scenario: Scenario | undefined): Answer {
    const id = String(params.payment_intent ?? '');
    return withIntent(id, (intent) => {
      if (intent.status !== 'succeeded') return unexpectedState(intent, 'refund');
      const done = refundedSoFar(id);
      const left = intent.amount_received - done;
      const amount = params.amount === undefined ? left : Number(params.amount);
      if (amount > left || amount <= 0) {
        return {
          status: 400,
          body: stripeError(
            'invalid_request_error',
            'amount_too_large',
            `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`,
            'amount',
          ),
        };
      }
      const refund = fixture<Stripe.Refund>('refund', {
        id: newId('re'),
        amount,
        currency: intent.currency,
        charge: intent.latest_charge,
        payment_intent: intent.id,
        created: Math.floor(Date.now() / 1000),
        metadata: { ...((params.metadata as Record<string, string> | undefined) ?? {}) },
        status: scenario?.kind === 'pending' ? 'pending' : 'succeeded',
      });
      refunds.set(id, [...(refunds.get(id) ?? []), refund]);
      return ok(refund);
    });
  }

  /** What a charge has given back, or is giving back: failed and canceled refunds do not count. */
  function refundedSoFar(id: string): number {
    return (refunds.get(id) ?? [])
      .filter((refund) => refund.status !== 'failed' && refund.status !== 'canceled')
      .reduce((sum, refund) => sum + refund.amount, 0);
  }

  function unexpectedState(intent: Stripe.PaymentIntent, doing: string): Answer {
    return {
      status: 400,
      body: stripeError(
        'invalid_request_error',
        'payment_intent_unexpected_state',
        `You cannot ${doing} this PaymentIntent because it has a status of ${intent.status}.`,
      ),
    };
  }

  /**
   * The 3-D Secure page Stripe shows in test mode: "Complete" or "Fail", then back to the
   * merchant's return_url with the PaymentIntent's id and client secret.
   */
  function threeDSPage(method: string, target: URL, body: string, res: ServerResponse): void {
    const id = target.pathname.slice('/3ds/'.length);
    const intent = intents.get(id);
    if (!intent || intent.status !== 'requires_action') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('No authentication is waiting here.');
      return;
    }
    if (method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
        `<!doctype html><html><head><title>3D Secure 2 Test Page</title></head><body>
<h1>3D Secure 2 Test Page</h1><p>Complete or fail the authentication of ${intent.currency.toUpperCase()} ${intent.amount}.</p>
<form method="post" action="/3ds/${id}">
<button type="submit" name="result" value="complete">Complete</button>
<button type="submit" name="result" value="fail">Fail</button>
</form></body></html>`,
      );
      return;
    }
    const result = new URLSearchParams(body).get('result');
    if (result === 'complete') {
      authorized(intent);
    } else {
      intent.status = 'requires_payment_method';
      intent.next_action = null;
      intent.last_payment_error = {
        type: 'invalid_request_error',
        code: 'payment_intent_authentication_failure',
        message:
          'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
      } as Stripe.PaymentIntent.LastPaymentError;
    }
    const back = new URL(fakeReturnUrls.get(id) ?? '');
    back.searchParams.set('payment_intent', id);
    back.searchParams.set('payment_intent_client_secret', intent.client_secret ?? '');
    back.searchParams.set('redirect_status', result === 'complete' ? 'succeeded' : 'failed');
    res.writeHead(302, { location: back.toString() }).end();
  }

  function event(type: string, object: unknown): Stripe.Event {
    return fixture<Stripe.Event>('event', {
      id: newId('evt'),
      type,
      api_version: Stripe.API_VERSION,
      created: Math.floor(Date.now() / 1000),
      data: { object: structuredClone(object) },
      request: { id: null, idempotency_key: null },
    });
  }

  return {
    url,
    requests,
    violations,
    script(endpoint, ...scenarios) {
      scripts.set(endpoint, [...(scripts.get(endpoint) ?? []), ...scenarios]);
    },
    charges: () => charged.size,
    paymentIntent: (id) => (intents.has(id) ? structuredClone(intents.get(id)) : undefined),
    paymentIntentsOf: (tillPaymentId) =>
      [...intents.values()]
        .filter((intent) => intent.metadata.till_payment_id === tillPaymentId)
        .map((intent) => structuredClone(intent)),
    completePaymentIntent(id) {
      const intent = intents.get(id);
      if (intent?.status !== 'processing') throw new Error(`no processing PaymentIntent ${id}`);
      authorized(intent);
    },
    refundsOf: (id) => structuredClone(refunds.get(id) ?? []),
    paymentIntentEvent(type, id) {
      const intent = intents.get(id);
      if (!intent) throw new Error(`no PaymentIntent ${id}`);
      return event(type, intent);
    },
    chargeRefundedEvent(id) {
      const intent = intents.get(id);
      if (!intent) throw new Error(`no PaymentIntent ${id}`);
      const list = refunds.get(id) ?? [];
      const refunded = refundedSoFar(id);
      const charge = fixture<Stripe.Charge>('charge', {
        id: intent.latest_charge ?? newId('ch'),
        amount: intent.amount,
        amount_captured: intent.amount_received,
        amount_refunded: refunded,
        captured: intent.amount_received > 0,
        currency: intent.currency,
        metadata: { ...intent.metadata },
        payment_intent: intent.id,
        refunded: refunded >= intent.amount_received,
        refunds: {
          object: 'list',
          data: list,
          has_more: false,
          url: `/v1/charges/${intent.latest_charge}/refunds`,
        },
      });
      const details = charge.payment_method_details?.card;
      if (details) details.last4 = fakeCards.get(id) ?? details.last4;
      return event('charge.refunded', charge);
    },
    refundEvent(type, refundId, status) {
      const refund = [...refunds.values()].flat().find((candidate) => candidate.id === refundId);
      if (!refund) throw new Error(`no refund ${refundId}`);
      if (status) {
        refund.status = status;
        refund.failure_reason = status === 'failed' ? 'expired_or_canceled_card' : undefined;
      }
      return event(type, refund);
    },
    signEvent(value, secret) {
      const payload = JSON.stringify(value, null, 2);
      return { payload, header: Stripe.webhooks.generateTestHeaderString({ payload, secret }) };
    },
    stored: () =>
      JSON.stringify({
        requests,
        intents: [...intents.values()],
        refunds: [...refunds.values()],
        idempotency: [...idempotency.entries()],
        cards: [...fakeCards.values()],
      }),
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Route {
  endpoint: Endpoint;
  id?: string;
}

function routeOf(method: string, path: string): Route | null {
  if (method === 'POST' && path === '/v1/payment_intents') return { endpoint: 'payment_intents.create' };
  if (method === 'GET' && path === '/v1/payment_intents/search')
    return { endpoint: 'payment_intents.search' };
  if (method === 'POST' && path === '/v1/refunds') return { endpoint: 'refunds.create' };
  const match = /^\/v1\/payment_intents\/([A-Za-z0-9_]+)(?:\/(capture|cancel))?$/.exec(path);
  if (!match) return null;
  const [, id, action] = match;
  if (method === 'GET' && !action) return { endpoint: 'payment_intents.retrieve', id: id! };
  if (method === 'POST' && action === 'capture') return { endpoint: 'payment_intents.capture', id: id! };
  if (method === 'POST' && action === 'cancel') return { endpoint: 'payment_intents.cancel', id: id! };
  return null;
}

/** The parameters as they may be kept: the card's last four digits only, no CVC. */
function redact(params: FormTree): FormTree {
  const copy = structuredClone(params);
  const card = (copy.payment_method_data as FormTree | undefined)?.card as FormTree | undefined;
  if (card) {
    if (typeof card.number === 'string') card.number = `…${card.number.replace(/\D/g, '').slice(-4)}`;
    delete card.cvc;
  }
  return copy;
}

/** A fixture object with the scenario's fields replaced. */
function fixture<T>(name: keyof typeof FIXTURES, changes: Record<string, unknown>): T {
  return { ...structuredClone(FIXTURES[name]), ...changes } as T;
}

function newId(prefix: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(24);
  return `${prefix}_${Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join('')}`;
}

function ok(body: unknown): Answer {
  return { status: 200, body };
}

function stripeError(type: string, code: string | null, message: string, param?: string): unknown {
  return {
    error: {
      type,
      ...(code ? { code, doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}` } : {}),
      message,
      ...(param ? { param } : {}),
    },
  };
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

function send(res: ServerResponse, status: number, body: unknown, replayed = false): void {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'request-id': newId('req'),
    'stripe-version': Stripe.API_VERSION,
  };
  if (replayed) headers['idempotent-replayed'] = 'true';
  res.writeHead(status, headers).end(JSON.stringify(body));
}
