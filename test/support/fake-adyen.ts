/**
 * A local fake of Adyen's Checkout API v71 (the five operations Till uses) on loopback, for the
 * official Adyen library to talk to through a connector account's `apiBase`.
 *
 * - Every request body is validated against the operation's request schema in Adyen's own OpenAPI
 *   document (test/fixtures/adyen/checkout-v71.subset.json); the X-API-Key header is required. A
 *   failure is recorded in `violations` and answered as Adyen does (422 / 401, ServiceError shape).
 * - Answers are the document's own response examples, changed only where the scenario needs; the
 *   fake checks each success answer against the operation's response schema as well.
 * - `Idempotency-Key`: the same key answers with the first response (also after a scripted 500).
 * - Outcomes follow Adyen's test cards unless scripted (see `outcomeOf`).
 * - Nothing recorded keeps a card number or CVC: recorded bodies carry the last four digits only.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import adyen from '@adyen/api-library';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const Ajv2020 = Ajv2020Module as unknown as typeof Ajv2020Module.default;
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/adyen/${name}`, import.meta.url), 'utf8')) as any;
const CHECKOUT = fixture('checkout-v71.subset.json');
const WEBHOOKS = fixture('webhooks-v1.subset.json');

/** The operations the fake serves, by the name tests script them with. */
export type Endpoint = 'payments' | 'payments/details' | 'captures' | 'cancels' | 'refunds';

const OPERATIONS: Record<Endpoint, { path: string; example: string }> = {
  payments: { path: '/payments', example: 'post-payments-card-direct-200' },
  'payments/details': {
    path: '/payments/details',
    example: 'post-payments-details-00.redirect-200',
  },
  captures: {
    path: '/payments/{paymentPspReference}/captures',
    example: 'post-payments-paymentPspReference-captures-capture-201',
  },
  cancels: {
    path: '/payments/{paymentPspReference}/cancels',
    example: 'post-payments-paymentPspReference-cancels-cancel-with-psp-reference-201',
  },
  refunds: {
    path: '/payments/{paymentPspReference}/refunds',
    example: 'post-payments-paymentPspReference-refunds-refund-201',
  },
};

/**
 * What the next call to an endpoint does instead of the normal behaviour:
 * - `hang`: never answers (the caller times out);
 * - `error_before`: 500 without doing anything;
 * - `error_after`: does the work (stored under the Idempotency-Key) and then answers 500;
 * - `rate_limited`: 429;
 * - `{ refuse: reason, code? }`: /payments is Refused with that refusalReason;
 * - `three_ds`: /payments requires 3-D Secure (a redirect action), whatever the card;
 * - `hold`: does the work (stored under the Idempotency-Key) and keeps the answer until `release()`
 *   (an answer that arrives late, after Adyen's notification, or never when nobody releases it).
 */
export type Behaviour =
  | 'hang'
  | 'error_before'
  | 'error_after'
  | 'rate_limited'
  | 'three_ds'
  | 'hold'
  | { refuse: string; code?: string };

export interface RecordedRequest {
  method: string;
  path: string;
  endpoint: Endpoint | null;
  idempotencyKey: string | null;
  /** The body with the card number cut to its last four digits and the CVC removed. */
  body: any;
  status: number;
}

export interface FakePayment {
  pspReference: string;
  merchantReference: string;
  merchantAccount: string;
  amount: { value: number; currency: string };
  manualCapture: boolean;
  last4: string;
  resultCode: string;
  returnUrl: string;
}

export interface Modification {
  kind: 'capture' | 'cancel' | 'refund';
  pspReference: string;
  paymentPspReference: string;
  reference: string | null;
  amount: { value: number; currency: string } | null;
}

export interface NotificationInput {
  eventCode: 'AUTHORISATION' | 'CAPTURE' | 'CAPTURE_FAILED' | 'CANCELLATION' | 'REFUND' | 'REFUND_FAILED';
  pspReference: string;
  originalReference?: string;
  merchantReference: string;
  amount?: { value: number; currency: string };
  success?: boolean;
  reason?: string;
  /** Defaults to the fake's hmacKey; pass another to forge a bad signature. */
  hmacKey?: string;
  live?: boolean;
}

export interface FakeAdyenOptions {
  /** The key every request must carry in X-API-Key (default 'test_api_key'). */
  apiKey?: string;
  merchantAccount?: string;
  /** Hex HMAC key that signs `notification(...)` bodies. */
  hmacKey?: string;
}

export interface FakeAdyen {
  url: string;
  apiKey: string;
  merchantAccount: string;
  hmacKey: string;
  requests: RecordedRequest[];
  violations: Array<{ endpoint: string; message: string }>;
  payments: Map<string, FakePayment>;
  modifications: Modification[];
  /** Authorisations that really happened (Authorised), one per payment. */
  readonly authorisations: number;
  script(endpoint: Endpoint, ...behaviours: Behaviour[]): void;
  /** How many answers `hold` keeps back now. */
  readonly held: number;
  /** Sends every answer `hold` kept back; returns how many. */
  release(): number;
  /** The redirectResult the fake's 3-D Secure page would hand the browser for that payment. */
  completeThreeDs(pspReference: string, answer: 'complete' | 'fail'): Promise<string>;
  /** A signed standard notification (JSON body to post to Till), built on Adyen's example. */
  notification(input: NotificationInput | NotificationInput[]): string;
  close(): Promise<void>;
}

/**
 * Adyen documents test cards by number and refusals by holder name. The fake's rule:
 * - holder name (upper-cased) in HOLDER_REFUSALS → Refused with that reason (Adyen's test names);
 * - numbers in THREE_DS_CARDS → 3-D Secure redirect first;
 * - numbers in REFUSED_CARDS → Refused;
 * - a number failing the Luhn check → Refused, Invalid Card Number;
 * - anything else (Adyen's 4111111145551142, 5555341244441115, 4166676667666746, Till's
 *   4242424242424242, …) → Authorised.
 */
const HOLDER_REFUSALS: Record<string, { reason: string; code: string; resultCode?: string }> = {
  REFUSED: { reason: 'Refused', code: '2' },
  DECLINED: { reason: 'Refused', code: '2' },
  NOT_ENOUGH_BALANCE: { reason: 'Not enough balance', code: '12' },
  CARD_EXPIRED: { reason: 'Expired Card', code: '6' },
  CVC_DECLINED: { reason: 'CVC Declined', code: '24' },
  BLOCK_CARD: { reason: 'Blocked Card', code: '5' },
  ISSUER_UNAVAILABLE: { reason: 'Issuer Unavailable', code: '9' },
  ERROR: { reason: 'Acquirer Error', code: '4', resultCode: 'Error' },
};
const REFUSED_CARDS: Record<string, { reason: string; code: string }> = {
  '4000000000000002': { reason: 'Refused', code: '2' },
};
const THREE_DS_CARDS = new Set(['4212345678901245', '5454545454545454', '4917610000000000']);

function luhn(number: string): boolean {
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return number.length >= 12 && sum % 10 === 0;
}

const pspReference = () =>
  Array.from(randomBytes(16), (byte) => 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789'[byte % 34]).join('');
const clone = <T>(value: T): T => structuredClone(value);
const example = (name: string) => clone(CHECKOUT.components.examples[name].value);

/** The body as it may be kept: last four digits of the number, no CVC. */
function redact(body: any): any {
  const copy = clone(body);
  const method = copy?.paymentMethod;
  if (method && typeof method === 'object') {
    if (typeof method.number === 'string') method.number = `****${method.number.slice(-4)}`;
    if ('cvc' in method) method.cvc = '***';
  }
  return copy;
}

export async function startFakeAdyen(options: FakeAdyenOptions = {}): Promise<FakeAdyen> {
  const apiKey = options.apiKey ?? 'test_api_key';
  const merchantAccount = options.merchantAccount ?? 'TillTestMerchant';
  const hmacKey = options.hmacKey ?? randomBytes(32).toString('hex').toUpperCase();

  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'checkout', components: CHECKOUT.components }, 'checkout');
  type Validator = NonNullable<ReturnType<typeof ajv.getSchema>>;
  /** The request schema and the success answer's schema, as the document's operation names them. */
  const schemaOf = (operation: any, status: 'request' | '200' | '201'): Validator => {
    const content = status === 'request' ? operation.requestBody : operation.responses[status];
    const ref: string = content.content['application/json'].schema.$ref;
    return ajv.getSchema(`checkout${ref}`)!;
  };
  const validators = {} as Record<Endpoint, { request: Validator; response: Validator; status: number }>;
  for (const [endpoint, op] of Object.entries(OPERATIONS) as Array<
    [Endpoint, (typeof OPERATIONS)[Endpoint]]
  >) {
    const operation = CHECKOUT.paths[op.path].post;
    const status = operation.responses['201'] ? '201' : '200';
    validators[endpoint] = {
      request: schemaOf(operation, 'request'),
      response: schemaOf(operation, status),
      status: Number(status),
    };
  }
  const problems = (validate: Validator) =>
    (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'} ${e.message}`)
      .join('; ');

  const requests: RecordedRequest[] = [];
  const violations: Array<{ endpoint: string; message: string }> = [];
  const payments = new Map<string, FakePayment>();
  const modifications: Modification[] = [];
  const scripts = new Map<Endpoint, Behaviour[]>();
  const replies = new Map<string, { status: number; body: unknown }>();
  /** Opaque redirectResult → the payment and what its 3-D Secure page decided. */
  const redirectResults = new Map<string, { psp: string; answer: 'complete' | 'fail' }>();
  const authorised = new Set<string>();
  const hanging = new Set<ServerResponse>();
  const heldBack: Array<() => void> = [];

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const serviceError = (status: number, errorCode: string, message: string, errorType: string) => ({
    ...example(status === 401 ? 'generic-401' : status === 500 ? 'generic-500' : 'generic-422'),
    status,
    errorCode,
    message,
    errorType,
    pspReference: pspReference(),
  });

  function outcomeOf(body: any, scripted: Behaviour | undefined) {
    const number: string = String(body.paymentMethod?.number ?? '').replace(/\D/g, '');
    const holder = String(body.paymentMethod?.holderName ?? '').toUpperCase();
    if (scripted && typeof scripted === 'object') {
      return { resultCode: 'Refused', reason: scripted.refuse, code: scripted.code ?? '2' };
    }
    if (scripted === 'three_ds') return { resultCode: 'RedirectShopper' };
    const byHolder = HOLDER_REFUSALS[holder];
    if (byHolder)
      return { resultCode: byHolder.resultCode ?? 'Refused', reason: byHolder.reason, code: byHolder.code };
    if (THREE_DS_CARDS.has(number)) return { resultCode: 'RedirectShopper' };
    const byNumber = REFUSED_CARDS[number];
    if (byNumber) return { resultCode: 'Refused', reason: byNumber.reason, code: byNumber.code };
    if (!luhn(number)) return { resultCode: 'Refused', reason: 'Invalid Card Number', code: '8' };
    return { resultCode: 'Authorised' };
  }

  function authorise(psp: string, payment: FakePayment) {
    payment.resultCode = 'Authorised';
    authorised.add(psp);
  }

  /** The work of one operation; returns the answer (status and body). */
  function handle(endpoint: Endpoint, body: any, pathPsp: string | null, scripted: Behaviour | undefined) {
    if (endpoint === 'payments') {
      const psp = pspReference();
      const outcome = outcomeOf(body, scripted);
      const payment: FakePayment = {
        pspReference: psp,
        merchantReference: body.reference,
        merchantAccount: body.merchantAccount,
        amount: { value: body.amount.value, currency: body.amount.currency },
        manualCapture: body.additionalData?.manualCapture === 'true',
        last4: String(body.paymentMethod?.number ?? '').slice(-4),
        resultCode: outcome.resultCode,
        returnUrl: body.returnUrl,
      };
      payments.set(psp, payment);
      if (outcome.resultCode === 'RedirectShopper') {
        const answer = example('post-payments-card-3d-secure-redirect-200');
        answer.pspReference = psp;
        answer.merchantReference = body.reference;
        answer.action = { ...answer.action, url: `${url}/3ds/${psp}`, method: 'GET' };
        return { status: 200, body: answer };
      }
      const answer = example(OPERATIONS.payments.example);
      answer.pspReference = psp;
      answer.merchantReference = body.reference;
      answer.amount = payment.amount;
      answer.resultCode = outcome.resultCode;
      if (outcome.resultCode === 'Authorised') authorise(psp, payment);
      else {
        delete answer.additionalData.authCode;
        answer.additionalData.refusalReasonRaw = outcome.reason!.toUpperCase();
        answer.refusalReason = outcome.reason;
        answer.refusalReasonCode = outcome.code;
      }
      return { status: 200, body: answer };
    }
    if (endpoint === 'payments/details') {
      const found = redirectResults.get(String(body.details?.redirectResult ?? ''));
      const payment = found && payments.get(found.psp);
      if (!found || !payment) {
        return { status: 422, body: serviceError(422, '14_018', 'Invalid redirectResult', 'validation') };
      }
      const answer = example(OPERATIONS['payments/details'].example);
      answer.pspReference = payment.pspReference;
      answer.merchantReference = payment.merchantReference;
      answer.amount = payment.amount;
      if (found.answer === 'complete') {
        authorise(payment.pspReference, payment);
      } else {
        payment.resultCode = 'Refused';
        answer.resultCode = 'Refused';
        answer.refusalReason = '3D Not Authenticated';
        answer.refusalReasonCode = '11';
      }
      return { status: 200, body: answer };
    }
    const kind = endpoint === 'captures' ? 'capture' : endpoint === 'cancels' ? 'cancel' : 'refund';
    const answer = example(OPERATIONS[endpoint].example);
    const modification: Modification = {
      kind,
      pspReference: pspReference(),
      paymentPspReference: pathPsp!,
      reference: body.reference ?? null,
      amount: body.amount ?? null,
    };
    modifications.push(modification);
    answer.pspReference = modification.pspReference;
    answer.paymentPspReference = pathPsp;
    answer.merchantAccount = body.merchantAccount;
    if (body.reference) answer.reference = body.reference;
    else delete answer.reference;
    if (body.amount) answer.amount = body.amount;
    return { status: 201, body: answer };
  }

  async function threeDsPage(req: IncomingMessage, res: ServerResponse, psp: string) {
    const payment = payments.get(psp);
    if (!payment || payment.resultCode !== 'RedirectShopper') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('No 3-D Secure for this payment');
      return;
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        // An empty icon: the browser then asks the fake for no /favicon.ico, which is no Adyen API.
        `<!doctype html><html><head><title>3-D Secure (fake Adyen)</title><link rel="icon" href="data:,"></head><body>` +
          `<h1>3-D Secure</h1><p>Payment ${psp}: ${payment.amount.value} ${payment.amount.currency}</p>` +
          `<form method="post"><button name="answer" value="complete">Complete</button>` +
          `<button name="answer" value="fail">Fail</button></form></body></html>`,
      );
      return;
    }
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const answer = new URLSearchParams(raw).get('answer') === 'complete' ? 'complete' : 'fail';
    const redirectResult = randomBytes(24).toString('base64url');
    redirectResults.set(redirectResult, { psp, answer });
    const back = new URL(payment.returnUrl);
    back.searchParams.set('redirectResult', redirectResult);
    res.writeHead(302, { location: back.toString() }).end();
  }

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const threeDs = /^\/3ds\/([A-Z0-9]+)$/.exec(path);
    if (threeDs) return threeDsPage(req, res, threeDs[1]!);

    let raw = '';
    for await (const chunk of req) raw += chunk;
    const match = /^\/v71\/payments(?:\/(details)|\/([^/]+)\/(captures|cancels|refunds))?$/.exec(path);
    const endpoint: Endpoint | null = !match
      ? null
      : match[1]
        ? 'payments/details'
        : match[3]
          ? (match[3] as Endpoint)
          : 'payments';
    const idempotencyKey = (req.headers['idempotency-key'] as string | undefined) ?? null;
    let parsed: any = null;
    try {
      parsed = raw ? JSON.parse(raw) : null;
    } catch {
      parsed = raw;
    }
    const record: RecordedRequest = {
      method: req.method ?? '',
      path,
      endpoint,
      idempotencyKey,
      body: redact(parsed),
      status: 0,
    };
    requests.push(record);
    const reply = (status: number, body: unknown, headers?: Record<string, string>) => {
      record.status = status;
      send(res, status, body, headers);
    };

    if (!endpoint || req.method !== 'POST') {
      violations.push({ endpoint: path, message: `${req.method} ${path} is not a Checkout v71 operation` });
      return reply(404, serviceError(404, '000', 'Not found', 'validation'));
    }
    const key = req.headers['x-api-key'];
    if (!key) {
      violations.push({ endpoint, message: 'X-API-Key header missing' });
      return reply(401, serviceError(401, '000', 'HTTP Status Response - Unauthorized', 'security'));
    }
    if (key !== apiKey)
      return reply(401, serviceError(401, '000', 'HTTP Status Response - Unauthorized', 'security'));
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      violations.push({ endpoint, message: 'Content-Type is not application/json' });
    }
    const validate = validators[endpoint].request;
    if (!validate(parsed)) {
      const message = problems(validate);
      violations.push({ endpoint, message });
      return reply(
        422,
        serviceError(422, '14_0', `Structure of the request is not valid: ${message}`, 'validation'),
      );
    }
    if (idempotencyKey) {
      const first = replies.get(idempotencyKey);
      if (first) return reply(first.status, first.body, { 'idempotency-key': idempotencyKey });
    }

    const scripted = scripts.get(endpoint)?.shift();
    if (scripted === 'hang') {
      record.status = -1;
      hanging.add(res);
      return;
    }
    if (scripted === 'error_before')
      return reply(500, serviceError(500, '905', 'Internal error', 'internal'));
    if (scripted === 'rate_limited')
      return reply(429, serviceError(429, '429', 'Too many requests', 'validation'));
    const answer = handle(endpoint, parsed, match?.[2] ?? null, scripted);
    // The fake checks itself too: a success answer must fit the document's response schema.
    const check = validators[endpoint];
    if (answer.status === check.status && !check.response(answer.body)) {
      violations.push({ endpoint, message: `fake answer outside the schema: ${problems(check.response)}` });
    }
    if (idempotencyKey && answer.status < 300) replies.set(idempotencyKey, answer);
    if (scripted === 'error_after') return reply(500, serviceError(500, '905', 'Internal error', 'internal'));
    if (scripted === 'hold') {
      record.status = -1;
      hanging.add(res);
      heldBack.push(() => {
        hanging.delete(res);
        reply(answer.status, answer.body, idempotencyKey ? { 'idempotency-key': idempotencyKey } : {});
      });
      return;
    }
    return reply(answer.status, answer.body, idempotencyKey ? { 'idempotency-key': idempotencyKey } : {});
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const validator = new adyen.hmacValidator();

  const fake: FakeAdyen = {
    url,
    apiKey,
    merchantAccount,
    hmacKey,
    requests,
    violations,
    payments,
    modifications,
    get authorisations() {
      return authorised.size;
    },
    script(endpoint, ...behaviours) {
      scripts.set(endpoint, [...(scripts.get(endpoint) ?? []), ...behaviours]);
    },
    get held() {
      return heldBack.length;
    },
    release() {
      const answers = heldBack.splice(0);
      for (const send of answers) send();
      return answers.length;
    },
    async completeThreeDs(psp, answer) {
      const res = await fetch(`${url}/3ds/${psp}`, {
        method: 'POST',
        body: new URLSearchParams({ answer }),
        redirect: 'manual',
      });
      const location = res.headers.get('location');
      if (res.status !== 302 || !location) throw new Error(`3-D Secure page answered ${res.status}`);
      return new URL(location).searchParams.get('redirectResult')!;
    },
    notification(input) {
      const inputs = Array.isArray(input) ? input : [input];
      const items = inputs.map((one) => {
        const base = clone(
          WEBHOOKS.components.examples[`post-${one.eventCode}-${one.eventCode.toLowerCase()}`].value,
        );
        const item = base.notificationItems[0].NotificationRequestItem;
        item.additionalData = { ...item.additionalData };
        item.pspReference = one.pspReference;
        item.merchantReference = one.merchantReference;
        item.merchantAccountCode = merchantAccount;
        if (one.originalReference) item.originalReference = one.originalReference;
        else delete item.originalReference;
        if (one.amount) item.amount = one.amount;
        item.success = String(one.success ?? true);
        item.reason = one.reason ?? (one.success === false ? item.reason : 'null');
        item.additionalData.hmacSignature = validator.calculateHmac(item, one.hmacKey ?? hmacKey);
        return { NotificationRequestItem: item };
      });
      return JSON.stringify({ live: String(inputs[0]?.live ?? false), notificationItems: items });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
