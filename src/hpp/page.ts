import type { CheckoutRef, CheckoutView } from '../services/checkout.js';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON safe inside a <script> element (no `</script>`, no U+2028 surprises). */
const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

function layout(title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
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
<p class="footer">Secured by Till</p>
</body>
</html>`;
}

function summary(view: CheckoutView): string {
  return `<header class="summary">
  <p class="merchant" id="merchant">${escapeHtml(view.merchantName)}</p>
  ${view.description ? `<p class="description" id="description">${escapeHtml(view.description)}</p>` : ''}
  <p class="amount" id="amount">${escapeHtml(view.amountFormatted)}</p>
  ${view.livemode ? '' : '<p class="badge">Test mode</p>'}
</header>`;
}

/**
 * The hosted checkout. It sets `window.InitData = {client_key, session_id}` and `window.HppData`
 * (seed 000) in a nonce'd script before the app script loads, so a merchant could embed the same
 * script. Pages for finished, expired or misconfigured sessions carry no form.
 */
export function checkoutPage(view: CheckoutView, ref: CheckoutRef, nonce: string): string {
  const title = `Pay ${view.merchantName}`;
  if (view.state !== 'open') return statePage(view);
  const initData = { client_key: ref.clientKey, session_id: ref.sessionId };
  const hppData = {
    cancel_url: view.cancelUrl,
    session_secret: ref.secret,
    api_base: '/hpp/api',
    payment_id: view.paymentId,
    amount_formatted: view.amountFormatted,
    merchant_name: view.merchantName,
  };
  const head = `<script nonce="${nonce}">window.InitData = ${scriptJson(initData)};
window.HppData = ${scriptJson(hppData)};</script>
<script type="module" src="/hpp/assets/checkout.js" nonce="${nonce}"></script>`;
  const body = `${summary(view)}
<form id="checkout" novalidate aria-describedby="form-status">
  <div class="field">
    <label for="card-number">Card number</label>
    <div class="with-brand">
      <input id="card-number" name="number" inputmode="numeric" autocomplete="cc-number" placeholder="1234 1234 1234 1234" maxlength="23" required aria-describedby="card-number-error card-brand">
      <span id="card-brand" class="brand" aria-live="polite"></span>
    </div>
    <p class="error" id="card-number-error" role="alert"></p>
  </div>
  <div class="row">
    <div class="field">
      <label for="card-expiry">Expiry date (MM/YY)</label>
      <input id="card-expiry" name="expiry" inputmode="numeric" autocomplete="cc-exp" placeholder="MM/YY" maxlength="7" required aria-describedby="card-expiry-error">
      <p class="error" id="card-expiry-error" role="alert"></p>
    </div>
    <div class="field">
      <label for="card-cvc">Security code</label>
      <input id="card-cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="CVC" maxlength="4" required aria-describedby="card-cvc-error">
      <p class="error" id="card-cvc-error" role="alert"></p>
    </div>
  </div>
  <div class="field">
    <label for="card-name">Name on card</label>
    <input id="card-name" name="name" autocomplete="cc-name" maxlength="100" required aria-describedby="card-name-error">
    <p class="error" id="card-name-error" role="alert"></p>
  </div>
  <p id="form-status" class="status" role="status" aria-live="polite"></p>
  <button type="submit" id="pay" class="primary">Pay ${escapeHtml(view.amountFormatted)}</button>
  <button type="button" id="cancel" class="secondary">Cancel and return to ${escapeHtml(view.merchantName)}</button>
</form>
<noscript><p class="status">This checkout needs JavaScript to protect your card details.</p></noscript>`;
  return layout(title, head, body);
}

const STATE_TITLES: Record<string, string> = {
  paid: 'Payment complete',
  failed: 'Payment declined',
  canceled: 'Payment canceled',
  expired: 'Payment link expired',
  unavailable: 'Payment unavailable',
  processing: 'Payment processing',
  requires_action: 'Authentication required',
};

/** A clear page instead of a form: paid, declined, canceled, expired, unavailable, in progress. */
export function statePage(view: CheckoutView): string {
  const title = STATE_TITLES[view.state] ?? 'Payment';
  const link =
    view.redirectUrl && view.state !== 'unavailable'
      ? `<p><a class="primary" id="continue" href="${escapeHtml(view.redirectUrl)}">${view.state === 'requires_action' ? 'Continue to authentication' : 'Return to the merchant'}</a></p>`
      : '';
  const body = `${summary(view)}
<section class="state state-${view.state}" id="state" data-state="${view.state}">
  <h1>${escapeHtml(title)}</h1>
  <p id="message">${escapeHtml(view.message ?? '')}</p>
  ${link}
</section>`;
  return layout(title, '', body);
}

/** A page for a link that names no payment (tampered or mistyped URL). */
export function notFoundPage(): string {
  return layout(
    'Payment not found',
    '',
    `<section class="state state-unavailable" id="state" data-state="not_found"><h1>Payment not found</h1>
<p id="message">This payment link is not valid. Please return to the merchant and try again.</p></section>`,
  );
}

/** The sandbox's 3-D Secure access control server page (test mode only). */
export function challengePage(args: {
  step: string;
  merchantName: string;
  amountFormatted: string;
  nonce: string;
  last4: string;
}): string {
  const { step, nonce } = args;
  const auto = step === 'versioning' || step === 'fingerprint';
  const heading =
    step === 'versioning'
      ? 'Checking 3-D Secure version…'
      : step === 'fingerprint'
        ? 'Identifying your device…'
        : 'Confirm this payment';
  const form = auto
    ? `<form method="post" id="step-form"><input type="hidden" name="action" value="continue">
<button type="submit" class="primary" id="continue">Continue</button></form>
<script nonce="${nonce}">document.getElementById('step-form').submit();</script>`
    : `<p>Your bank asks you to confirm a payment of <strong>${escapeHtml(args.amountFormatted)}</strong> to <strong>${escapeHtml(args.merchantName)}</strong> with the card ending in ${escapeHtml(args.last4)}.</p>
<p class="badge">Sandbox: choose the cardholder's answer</p>
<form method="post"><input type="hidden" name="action" value="pass"><button type="submit" class="primary" id="approve">Approve</button></form>
<form method="post"><input type="hidden" name="action" value="fail"><button type="submit" class="secondary" id="fail">Fail authentication</button></form>`;
  return layout(
    '3-D Secure',
    '',
    `<section class="acs" id="acs" data-step="${escapeHtml(step)}"><p class="merchant">3-D Secure</p><h1>${heading}</h1>${form}</section>`,
  );
}

/**
 * Carries the customer to an acquirer's authentication page that must be reached by form post
 * (classic 3-D Secure redirects): the form posts itself, with a button for browsers without script.
 */
export function actionPage(args: { url: string; fields: Record<string, string>; nonce: string }): string {
  const inputs = Object.entries(args.fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  return layout(
    'Authentication',
    '',
    `<section class="state state-requires_action" id="state" data-state="requires_action"><h1>Authentication required</h1>
<p>Your bank asks you to confirm this payment.</p>
<form method="post" id="action-form" action="${escapeHtml(args.url)}">${inputs}<button type="submit" class="primary" id="continue">Continue to your bank</button></form>
<script nonce="${args.nonce}">document.getElementById('action-form').submit();</script></section>`,
  );
}
