import type { MessageKey } from '../i18n/resources/index.js';
import { RESOURCES } from '../i18n/resources/index.js';
import type { Language as PageLanguage, Translate } from '../i18n/translate.js';
import type { CheckoutRef, CheckoutView } from '../services/checkout.js';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON safe inside a <script> element (no `</script>`, no U+2028 surprises). */
const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/**
 * A translated sentence around values that are HTML already (escaped by the caller): the sentence
 * is escaped here, with private-use marks standing in for the values until then.
 */
function htmlText(t: Translate, key: MessageKey, html: Record<string, string>): string {
  const values = Object.values(html);
  const marks = Object.fromEntries(Object.keys(html).map((k, i) => [k, `\uE000${i}\uE001`]));
  return escapeHtml(t(key, marks)).replace(/\uE000(\d+)\uE001/g, (_m, i: string) => values[Number(i)]!);
}

function layout(lang: PageLanguage, title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="${lang.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/hpp/assets/checkout.css">
${head}
</head>
<body>
<main class="card" id="main">
${body}
</main>
<p class="footer">${escapeHtml(lang.t('page.securedBy'))}</p>
</body>
</html>`;
}

function summary(view: CheckoutView, { t }: PageLanguage): string {
  return `<header class="summary">
  <p class="merchant" id="merchant">${escapeHtml(view.merchantName)}</p>
  ${view.description ? `<p class="description" id="description">${escapeHtml(view.description)}</p>` : ''}
  <p class="amount" id="amount">${escapeHtml(view.amountFormatted)}</p>
  ${view.livemode ? '' : `<p class="badge">${escapeHtml(t('page.testMode'))}</p>`}
</header>`;
}

/**
 * The hosted checkout. It sets `window.InitData = {client_key, session_id}` and `window.HppData`
 * (seed 000) in a nonce'd script before the app script loads, so a merchant could embed the same
 * script; HppData also carries the page's language and its text, so the script needs no request to
 * speak it. Pages for finished, expired or misconfigured sessions carry no form.
 */
export function checkoutPage(
  view: CheckoutView,
  ref: CheckoutRef,
  nonce: string,
  lang: PageLanguage,
): string {
  const { t } = lang;
  const title = t('page.title', { merchant: view.merchantName });
  if (view.state !== 'open') return statePage(view, lang);
  const initData = { client_key: ref.clientKey, session_id: ref.sessionId };
  const hppData = {
    cancel_url: view.cancelUrl,
    session_secret: ref.secret,
    api_base: '/hpp/api',
    payment_id: view.paymentId,
    amount_formatted: view.amountFormatted,
    merchant_name: view.merchantName,
    amount: view.amount,
    currency: view.currency,
    locale: lang.locale,
    messages: RESOURCES[lang.locale],
  };
  const head = `<script nonce="${nonce}">window.InitData = ${scriptJson(initData)};
window.HppData = ${scriptJson(hppData)};</script>
<script type="module" src="/hpp/assets/checkout.js" nonce="${nonce}"></script>`;
  const body = `${summary(view, lang)}
<form id="checkout" novalidate aria-describedby="form-status">
  <div class="field">
    <label for="card-number">${escapeHtml(t('form.cardNumber'))}</label>
    <div class="with-brand">
      <input id="card-number" name="number" inputmode="numeric" autocomplete="cc-number" placeholder="1234 1234 1234 1234" maxlength="23" required aria-describedby="card-number-error card-brand">
      <span id="card-brand" class="brand" aria-live="polite"></span>
    </div>
    <p class="error" id="card-number-error" role="alert"></p>
  </div>
  <div class="row">
    <div class="field">
      <label for="card-expiry">${escapeHtml(t('form.expiry'))}</label>
      <input id="card-expiry" name="expiry" inputmode="numeric" autocomplete="cc-exp" placeholder="${escapeHtml(t('form.expiryPlaceholder'))}" maxlength="7" required aria-describedby="card-expiry-error">
      <p class="error" id="card-expiry-error" role="alert"></p>
    </div>
    <div class="field">
      <label for="card-cvc">${escapeHtml(t('form.cvc'))}</label>
      <input id="card-cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="${escapeHtml(t('form.cvcPlaceholder'))}" maxlength="4" required aria-describedby="card-cvc-error">
      <p class="error" id="card-cvc-error" role="alert"></p>
    </div>
  </div>
  <div class="field">
    <label for="card-name">${escapeHtml(t('form.name'))}</label>
    <input id="card-name" name="name" autocomplete="cc-name" maxlength="100" required aria-describedby="card-name-error">
    <p class="error" id="card-name-error" role="alert"></p>
  </div>
  <p id="form-status" class="status" role="status" aria-live="polite"></p>
  <button type="submit" id="pay" class="primary">${escapeHtml(t('form.pay', { amount: view.amountFormatted }))}</button>
  <button type="button" id="cancel" class="secondary">${escapeHtml(t('form.cancel', { merchant: view.merchantName }))}</button>
</form>
<noscript><p class="status">${escapeHtml(t('page.noscript'))}</p></noscript>`;
  return layout(lang, title, head, body);
}

const STATE_KEYS: Record<string, { title: MessageKey; message?: MessageKey }> = {
  paid: { title: 'state.paid.title', message: 'state.paid.message' },
  failed: { title: 'state.failed.title', message: 'state.failed.message' },
  canceled: { title: 'state.canceled.title', message: 'state.canceled.message' },
  expired: { title: 'state.expired.title', message: 'state.expired.message' },
  unavailable: { title: 'state.unavailable.title', message: 'state.unavailable.message' },
  processing: { title: 'state.processing.title', message: 'state.processing.message' },
  requires_action: { title: 'state.requires_action.title' },
};

/**
 * What a checkout's state says to the customer, in their language. An acquirer's decline reason
 * comes in English only, so English shows it and other languages their own sentence for a decline.
 */
export function stateMessage(
  view: Pick<CheckoutView, 'state' | 'message'>,
  lang: PageLanguage,
): string | null {
  const key = STATE_KEYS[view.state]?.message;
  return key && !(view.state === 'failed' && lang.locale === 'en') ? lang.t(key) : view.message;
}

/** A clear page instead of a form: paid, declined, canceled, expired, unavailable, in progress. */
export function statePage(view: CheckoutView, lang: PageLanguage): string {
  const { t } = lang;
  const title = t(STATE_KEYS[view.state]?.title ?? 'state.other.title');
  const message = stateMessage(view, lang) ?? '';
  const link =
    view.redirectUrl && view.state !== 'unavailable'
      ? `<p><a class="primary" id="continue" href="${escapeHtml(view.redirectUrl)}">${escapeHtml(t(view.state === 'requires_action' ? 'state.continueAuthentication' : 'state.returnToMerchant'))}</a></p>`
      : '';
  const body = `${summary(view, lang)}
<section class="state state-${view.state}" id="state" data-state="${view.state}">
  <h1>${escapeHtml(title)}</h1>
  <p id="message">${escapeHtml(message)}</p>
  ${link}
</section>`;
  return layout(lang, title, '', body);
}

/** A page for a link that names no payment (tampered or mistyped URL). */
export function notFoundPage(lang: PageLanguage): string {
  const { t } = lang;
  return layout(
    lang,
    t('notFound.title'),
    '',
    `<section class="state state-unavailable" id="state" data-state="not_found"><h1>${escapeHtml(t('notFound.title'))}</h1>
<p id="message">${escapeHtml(t('notFound.message'))}</p></section>`,
  );
}

/** The sandbox's 3-D Secure access control server page (test mode only). */
export function challengePage(args: {
  step: string;
  merchantName: string;
  amountFormatted: string;
  nonce: string;
  last4: string;
  lang: PageLanguage;
}): string {
  const { step, nonce, lang } = args;
  const { t } = lang;
  const auto = step === 'versioning' || step === 'fingerprint';
  const heading = t(
    step === 'versioning'
      ? 'challenge.versioning'
      : step === 'fingerprint'
        ? 'challenge.fingerprint'
        : 'challenge.confirm',
  );
  const form = auto
    ? `<form method="post" id="step-form"><input type="hidden" name="action" value="continue">
<button type="submit" class="primary" id="continue">${escapeHtml(t('challenge.continue'))}</button></form>
<script nonce="${nonce}">document.getElementById('step-form').submit();</script>`
    : `<p>${htmlText(t, 'challenge.body', {
        amount: `<strong>${escapeHtml(args.amountFormatted)}</strong>`,
        merchant: `<strong>${escapeHtml(args.merchantName)}</strong>`,
        last4: escapeHtml(args.last4),
      })}</p>
<p class="badge">${escapeHtml(t('challenge.sandbox'))}</p>
<form method="post"><input type="hidden" name="action" value="pass"><button type="submit" class="primary" id="approve">${escapeHtml(t('challenge.approve'))}</button></form>
<form method="post"><input type="hidden" name="action" value="fail"><button type="submit" class="secondary" id="fail">${escapeHtml(t('challenge.fail'))}</button></form>`;
  return layout(
    lang,
    '3-D Secure',
    '',
    `<section class="acs" id="acs" data-step="${escapeHtml(step)}"><p class="merchant">3-D Secure</p><h1>${heading}</h1>${form}</section>`,
  );
}

/**
 * Carries the customer to an acquirer's authentication page that must be reached by form post
 * (classic 3-D Secure redirects): the form posts itself, with a button for browsers without script.
 */
export function actionPage(args: {
  url: string;
  fields: Record<string, string>;
  nonce: string;
  lang: PageLanguage;
}): string {
  const { lang } = args;
  const { t } = lang;
  const inputs = Object.entries(args.fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  return layout(
    lang,
    t('action.title'),
    '',
    `<section class="state state-requires_action" id="state" data-state="requires_action"><h1>${escapeHtml(t('state.requires_action.title'))}</h1>
<p>${escapeHtml(t('action.body'))}</p>
<form method="post" id="action-form" action="${escapeHtml(args.url)}">${inputs}<button type="submit" class="primary" id="continue">${escapeHtml(t('action.continue'))}</button></form>
<script nonce="${args.nonce}">document.getElementById('action-form').submit();</script></section>`,
  );
}
