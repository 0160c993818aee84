/**
 * The hosted page's browser app. It reads `window.InitData` (client_key, session_id) and
 * `window.HppData` set by the page, formats and validates the card fields, submits once, and follows
 * the checkout to 3-D Secure or back to the merchant. Card data goes only to Till's checkout API.
 */
import {
  cardProblems,
  detectBrand,
  digitsOnly,
  formatCardNumber,
  parseExpiry,
  type CardProblem,
} from '../../domain/card.js';
import { formatMoney } from '../../domain/money.js';
import { createI18n, fixedTranslator } from '../../i18n/instance.js';
import type { Locale, Messages } from '../../i18n/resources/index.js';

interface InitData {
  client_key: string;
  session_id: string;
}
interface HppData {
  cancel_url: string | null;
  session_secret: string;
  api_base: string;
  payment_id: string;
  amount: number;
  currency: string;
  /** The page's language, and its text: the script speaks it without a request of its own. */
  locale: Locale;
  messages: Messages;
}
interface View {
  state: string;
  message: string | null;
  redirectUrl: string | null;
}

declare global {
  interface Window {
    InitData: InitData;
    HppData: HppData;
  }
}

const init = window.InitData;
const hpp = window.HppData;
const t = fixedTranslator(createI18n({ [hpp.locale]: hpp.messages }, hpp.locale), hpp.locale);
const wording = (problem: CardProblem) => t(problem.key, 'values' in problem ? problem.values : undefined);
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const form = $<HTMLFormElement>('checkout');
const number = $<HTMLInputElement>('card-number');
const expiry = $<HTMLInputElement>('card-expiry');
const cvc = $<HTMLInputElement>('card-cvc');
const name = $<HTMLInputElement>('card-name');
const pay = $<HTMLButtonElement>('pay');
const cancel = $<HTMLButtonElement>('cancel');
const status = $<HTMLParagraphElement>('form-status');
const brand = $<HTMLSpanElement>('card-brand');

const FIELDS: Record<string, [HTMLInputElement, HTMLElement]> = {
  number: [number, $('card-number-error')],
  expiry: [expiry, $('card-expiry-error')],
  cvc: [cvc, $('card-cvc-error')],
  name: [name, $('card-name-error')],
};

/** What the checkout API answers: a view on success, `{message, errors}` on failure. */
interface ApiReply {
  state?: string;
  message?: string | null;
  redirectUrl?: string | null;
  errors?: { field: string; message: string }[];
}

async function api(
  path: string,
  body?: unknown,
): Promise<{ ok: boolean; status: number; json: ApiReply | null }> {
  const res = await fetch(`${hpp.api_base}/sessions/${encodeURIComponent(init.session_id)}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      'content-type': 'application/json',
      'x-client-key': init.client_key,
      'x-session-secret': hpp.session_secret,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
  });
  let json: ApiReply | null = null;
  try {
    json = (await res.json()) as ApiReply;
  } catch {
    /* no body */
  }
  return { ok: res.ok, status: res.status, json };
}

function showErrors(problems: Record<string, string>): void {
  let first: HTMLInputElement | null = null;
  for (const [key, [input, error]] of Object.entries(FIELDS)) {
    const message = problems[key] ?? '';
    error.textContent = message;
    input.setAttribute('aria-invalid', message ? 'true' : 'false');
    if (message && !first) first = input;
  }
  first?.focus();
}

function setStatus(text: string, isError = false): void {
  status.textContent = text;
  status.classList.toggle('error-status', isError);
}

function busy(on: boolean): void {
  pay.disabled = on;
  cancel.disabled = on;
  pay.setAttribute('aria-busy', on ? 'true' : 'false');
}

/** Where the checkout goes after a view: a merchant URL, the 3-D Secure page, or a reload. */
function follow(view: View): void {
  if (view.redirectUrl) {
    window.location.assign(view.redirectUrl);
    return;
  }
  window.location.reload();
}

number.addEventListener('input', () => {
  const caret = number.selectionStart === number.value.length;
  number.value = formatCardNumber(number.value);
  if (caret) number.setSelectionRange(number.value.length, number.value.length);
  const detected = detectBrand(number.value);
  brand.textContent = detected === 'unknown' ? '' : detected;
});
expiry.addEventListener('input', (event) => {
  const digits = digitsOnly(expiry.value).slice(0, 4);
  const deleting = (event as InputEvent).inputType?.startsWith('delete');
  expiry.value =
    digits.length >= 3 || (digits.length === 2 && !deleting)
      ? `${digits.slice(0, 2)} / ${digits.slice(2)}`
      : digits;
});
cvc.addEventListener('input', () => {
  cvc.value = digitsOnly(cvc.value).slice(0, 4);
});

let submitting = false;
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (submitting) return; // one submission per page: the server refuses a second one too
  const parsed = parseExpiry(expiry.value);
  const card = {
    number: digitsOnly(number.value),
    expMonth: parsed?.month ?? 0,
    expYear: parsed?.year ?? 0,
    cvc: cvc.value,
    name: name.value.trim(),
  };
  const problems = Object.fromEntries(
    Object.entries(cardProblems(card)).map(([field, problem]) => [field, wording(problem)]),
  );
  showErrors(problems);
  if (Object.keys(problems).length > 0) {
    setStatus(t('status.fixFields'), true);
    return;
  }
  submitting = true;
  busy(true);
  setStatus(t('status.processing'));
  try {
    const res = await api('/pay', {
      number: card.number,
      exp_month: card.expMonth,
      exp_year: card.expYear,
      cvc: card.cvc,
      name: card.name,
    });
    if (res.ok) return follow(res.json as View);
    if (res.status === 400 && res.json?.errors) {
      showErrors(
        Object.fromEntries(
          res.json.errors.map((e: { field: string; message: string }) => [e.field, e.message]),
        ),
      );
      setStatus(t('status.fixFields'), true);
    } else {
      // The server's field problems come in the page's language; other refusals are worded here.
      setStatus(t(res.status === 429 ? 'status.rateLimited' : 'status.submitFailed'), true);
      if (res.status === 409) return window.location.reload();
    }
  } catch {
    setStatus(t('status.network'), true);
  }
  submitting = false;
  busy(false);
});

async function cancelCheckout(): Promise<void> {
  busy(true);
  setStatus(t('status.canceling'));
  const res = await api('/cancel', {});
  const target = hpp.cancel_url ?? res.json?.redirectUrl;
  if (target) window.location.replace(target);
  else window.location.reload();
}

cancel.addEventListener('click', () => void cancelCheckout());

// Seed 000: when window.HppData.cancel_url exists, the browser's back button cancels and goes there.
if (hpp.cancel_url) {
  history.pushState({ till: 'checkout' }, '', window.location.href);
  window.addEventListener('popstate', () => void cancelCheckout());
}

// The amount in the page's language, formatted here as on the server (Intl, exact minor units).
pay.textContent = t('form.pay', { amount: formatMoney(hpp.amount, hpp.currency, hpp.locale) });

number.focus();
