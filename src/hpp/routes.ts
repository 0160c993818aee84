import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, RateLimitError, TillError } from '../domain/errors.js';
import { PAYMENT_ID_PATTERN } from '../domain/ids.js';
import { strictCsp } from '../http/csp.js';
import { rateLimitHeaders } from '../http/rate-limit-headers.js';
import { formatMoney } from '../domain/money.js';
import { languageFor, type Language } from '../i18n/translate.js';
import type { CheckoutRef, CheckoutService, CheckoutView } from '../services/checkout.js';
import type { SandboxProcessor } from '../processors/sandbox.js';
import type { ChargeService } from '../services/charging.js';
import type { PaymentService } from '../services/payments.js';
import { actionPage, challengePage, checkoutPage, notFoundPage, stateMessage, statePage } from './page.js';
import * as s from './schemas.js';
import { typed } from '../http/typed-routes.js';

export interface HppDeps {
  checkout: CheckoutService;
  payments: PaymentService;
  charging: ChargeService;
  /** The sandbox acquirer, whose 3-D Secure page Till serves itself. */
  sandbox: SandboxProcessor;
}

/** The browser app, as the build emits it (the same folder whether Till runs from dist/ or src/). */
const ASSETS = new URL('../../dist/hpp/client/', import.meta.url);
const ASSET_TYPES: Record<string, string> = {
  'checkout.js': 'text/javascript; charset=utf-8',
  'checkout.css': 'text/css; charset=utf-8',
};

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.InvalidRequest]: 400,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.InvalidState]: 409,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.LiveModeUnavailable]: 400,
};

/** Strict headers for every page and API answer of the hosted page. */
function secure(reply: FastifyReply, nonce: string | null, formTargets: string[] = []): void {
  reply
    .header(
      'Content-Security-Policy',
      strictCsp({
        'script-src': nonce ? `'self' 'nonce-${nonce}'` : "'self'",
        'form-action': `'self'${formTargets.map((t) => ` ${t}`).join('')}`,
      }),
    )
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer')
    .header('X-Frame-Options', 'DENY')
    .header('Cache-Control', 'no-store')
    .header('Cross-Origin-Opener-Policy', 'same-origin');
}

/** The customer's language for a payment (or for no payment yet): the answer says which it is. */
function language(request: FastifyRequest, reply: FastifyReply, preferred?: string | null): Language {
  const accept = request.headers['accept-language'];
  const lang = languageFor(preferred, typeof accept === 'string' ? accept : null);
  reply.header('Content-Language', lang.locale).header('Vary', 'Accept-Language');
  return lang;
}

/** The view with its amount ("1.234,56 €" in German) and its message in the customer's language. */
const localized = (view: CheckoutView, lang: Language): CheckoutView => ({
  ...view,
  amountFormatted: formatMoney(view.amount, view.currency, lang.locale),
  message: stateMessage(view, lang),
});

const origin = (url: string | null) => {
  try {
    return url ? new URL(url).origin : null;
  } catch {
    return null;
  }
};

/** The one mapping from any error to the checkout API's `{error, message, errors?}`. */
export function sendCheckoutError(reply: FastifyReply, error: unknown): FastifyReply {
  secure(reply, null);
  if (error instanceof RateLimitError) reply.headers(rateLimitHeaders(error.state, true));
  if (error instanceof TillError) {
    const status = STATUS[error.code] ?? 400;
    return reply.code(status).send({
      error: error.code,
      message: error.message,
      errors: error.problems.map((p) => ({ field: p.field, message: p.message })),
    });
  }
  const e = error as { statusCode?: number; message?: string };
  if (e.statusCode && e.statusCode < 500)
    return reply.code(e.statusCode).send({ error: 'invalid_request', message: e.message });
  reply.log.error({ err: error }, 'hosted page error');
  return reply
    .code(500)
    .send({ error: 'internal_error', message: 'Something went wrong. Please try again.' });
}

/**
 * The hosted payment page: its two URL forms, the browser app's assets, the public checkout API
 * (client key + the URL's secret, never a merchant secret) and the sandbox's 3-D Secure page.
 */
export async function hppRoutes(instance: FastifyInstance, deps: HppDeps): Promise<void> {
  const app = typed(instance);
  app.setErrorHandler((error, _request, reply) => sendCheckoutError(reply, error));

  const page = async (request: FastifyRequest, reply: FastifyReply, ref: CheckoutRef | null) => {
    const nonce = randomBytes(16).toString('base64');
    secure(reply, nonce);
    reply.type('text/html; charset=utf-8');
    if (!ref) return reply.code(404).send(notFoundPage(language(request, reply)));
    const view = await deps.checkout.view(ref);
    const lang = language(request, reply, view.locale);
    return reply.send(checkoutPage(localized(view, lang), ref, nonce, lang));
  };

  app.get('/hpp/:paymentId', { schema: s.pageByPayment }, async (request, reply) =>
    page(request, reply, await deps.checkout.refForUrl({ paymentId: request.params.paymentId })),
  );
  app.get('/hpp/payment/:token/:sessionId', { schema: s.pageBySession }, async (request, reply) =>
    page(
      request,
      reply,
      await deps.checkout.refForUrl({ token: request.params.token, sessionId: request.params.sessionId }),
    ),
  );

  // Undocumented, so no schema gives its parameters' type.
  app.get<{ Params: { file: string } }>(
    '/hpp/assets/:file',
    { schema: { hide: true } },
    async (request, reply) => {
      const type = ASSET_TYPES[request.params.file];
      if (!type) return reply.code(404).send('not found');
      secure(reply, null);
      const body = await readFile(new URL(request.params.file, ASSETS)).catch(() => null);
      if (!body) return reply.code(404).send('not found');
      return reply.header('Cache-Control', 'public, max-age=300').type(type).send(body);
    },
  );

  // Public checkout API for the page.
  const refOf = (request: FastifyRequest<{ Params: { sessionId: string } }>): CheckoutRef => {
    const clientKey = request.headers['x-client-key'];
    const secret = request.headers['x-session-secret'];
    if (typeof clientKey !== 'string' || typeof secret !== 'string')
      throw new TillError(ErrorCode.NotFound, 'This payment link is not valid.', 'session');
    return { sessionId: request.params.sessionId, secret, clientKey };
  };

  app.get('/hpp/api/sessions/:sessionId', { schema: s.checkoutSession }, async (request, reply) => {
    secure(reply, null);
    const view = await deps.checkout.view(refOf(request));
    return publicView(localized(view, language(request, reply, view.locale)));
  });

  app.post('/hpp/api/sessions/:sessionId/pay', { schema: s.pay }, async (request, reply) => {
    secure(reply, null);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const text = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
    const int = (k: string) =>
      typeof body[k] === 'number' && Number.isInteger(body[k]) ? (body[k] as number) : 0;
    const accept = request.headers['accept-language'];
    const view = await deps.checkout.submitCard(
      refOf(request),
      {
        number: text('number'),
        expMonth: int('exp_month'),
        expYear: int('exp_year'),
        cvc: text('cvc'),
        name: text('name'),
      },
      request.ip,
      {
        ip: request.ip,
        userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
        acceptHeader: typeof request.headers.accept === 'string' ? request.headers.accept : null,
      },
      typeof accept === 'string' ? accept : null,
    );
    return publicView(localized(view, language(request, reply, view.locale)));
  });

  app.post('/hpp/api/sessions/:sessionId/cancel', { schema: s.cancel }, async (request, reply) => {
    secure(reply, null);
    const view = await deps.checkout.cancel(refOf(request));
    return publicView(localized(view, language(request, reply, view.locale)));
  });

  // The sandbox processor's 3-D Secure access control server (a stand-in for the card issuer's page).
  app.get('/hpp/sandbox/3ds/:challengeId', { schema: s.challengePage }, async (request, reply) => {
    const challenge = await deps.sandbox.getChallenge(request.params.challengeId);
    const payment = challenge ? await deps.payments.findForCheckout({ id: challenge.paymentId }) : null;
    const nonce = randomBytes(16).toString('base64');
    // The answer's form posts here and is redirected to the merchant: CSP form-action must allow
    // exactly the URLs the merchant set at creation.
    const targets = payment
      ? [payment.successUrl, payment.errorUrl, payment.cancelUrl, payment.returnUrl]
      : [];
    secure(reply, nonce, [...new Set(targets.map((t) => origin(t ?? null)).filter((o): o is string => !!o))]);
    reply.type('text/html; charset=utf-8');
    const lang = language(request, reply, payment?.locale);
    if (!challenge || !payment) return reply.code(404).send(notFoundPage(lang));
    if (challenge.result || payment.status !== 'REQUIRES_ACTION') {
      const target = deps.checkout.redirectFor(payment);
      if (target) return reply.redirect(target, 303);
    }
    return reply.send(
      challengePage({
        step: challenge.steps[challenge.step] ?? 'challenge',
        merchantName: (await deps.checkout.merchantNameOf(payment.merchantId)) ?? '',
        amountFormatted: formatMoney(payment.amount, payment.currency, lang.locale),
        last4: payment.card?.last4 ?? '',
        nonce,
        lang,
      }),
    );
  });

  app.post('/hpp/sandbox/3ds/:challengeId', { schema: s.challengeAnswer }, async (request, reply) => {
    const action = (request.body as Record<string, string> | undefined)?.action;
    const challenge = await deps.sandbox.getChallenge(request.params.challengeId);
    if (!challenge) throw new TillError(ErrorCode.NotFound, 'No such authentication.', 'challenge');
    const answer = action === 'pass' ? 'pass' : action === 'fail' ? 'fail' : undefined;
    const { done, payment } = await deps.checkout.completeChallenge(challenge.id, answer);
    const target = done ? deps.checkout.redirectFor(payment) : null;
    secure(
      reply,
      null,
      [origin(target)].filter((o): o is string => !!o),
    );
    if (target) return reply.redirect(target, 303);
    if (done) {
      reply.type('text/html; charset=utf-8');
      const lang = language(request, reply, payment.locale);
      return reply.send(statePage(localized(await deps.checkout.viewOfPayment(payment), lang), lang));
    }
    return reply.redirect(`/hpp/sandbox/3ds/${challenge.id}`, 303);
  });

  // An acquirer's authentication page that wants a form post: Till's page posts it.
  app.get('/hpp/action/:paymentId', { schema: s.actionRedirect }, async (request, reply) => {
    const payment = PAYMENT_ID_PATTERN.test(request.params.paymentId)
      ? await deps.payments.findForCheckout({ id: request.params.paymentId })
      : null;
    const nonce = randomBytes(16).toString('base64');
    const form = payment?.status === 'REQUIRES_ACTION' ? payment.nextAction?.form : null;
    secure(reply, nonce, form ? [origin(form.url)].filter((o): o is string => !!o) : []);
    reply.type('text/html; charset=utf-8');
    const lang = language(request, reply, payment?.locale);
    if (!payment) return reply.code(404).send(notFoundPage(lang));
    if (!form) return reply.redirect(`/hpp/return/${payment.id}`, 303);
    return reply.send(actionPage({ url: form.url, fields: form.fields, nonce, lang }));
  });

  // The customer is back from the acquirer's authentication: Till asks the acquirer for the outcome.
  const authenticated = async (
    paymentId: string,
    params: Record<string, string>,
    request: FastifyRequest,
    reply: FastifyReply,
  ) => {
    if (!PAYMENT_ID_PATTERN.test(paymentId))
      throw new TillError(ErrorCode.NotFound, 'This payment link is not valid.', 'payment');
    const payment = await deps.charging.completeAction(paymentId, params);
    const target = deps.checkout.redirectFor(payment);
    secure(
      reply,
      null,
      [origin(target)].filter((o): o is string => !!o),
    );
    if (target && payment.status !== 'PROCESSING') return reply.redirect(target, 303);
    reply.type('text/html; charset=utf-8');
    const lang = language(request, reply, payment.locale);
    return reply.send(statePage(localized(await deps.checkout.viewOfPayment(payment), lang), lang));
  };
  const stringParams = (value: unknown): Record<string, string> =>
    Object.fromEntries(
      Object.entries((value ?? {}) as Record<string, unknown>)
        .filter(([, v]) => typeof v === 'string')
        .slice(0, 20) as [string, string][],
    );
  app.get('/hpp/return/:paymentId', { schema: s.authenticationReturn }, async (request, reply) =>
    authenticated(request.params.paymentId, stringParams(request.query), request, reply),
  );
  app.post('/hpp/return/:paymentId', { schema: s.authenticationReturnPost }, async (request, reply) =>
    authenticated(request.params.paymentId, stringParams(request.body), request, reply),
  );

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 4096 },
    (_r, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
}

/** What the page's script may know: no merchant ids, no secrets. */
function publicView(view: CheckoutView) {
  return {
    state: view.state,
    message: view.message,
    redirectUrl: view.redirectUrl,
    amountFormatted: view.amountFormatted,
    merchantName: view.merchantName,
  };
}
