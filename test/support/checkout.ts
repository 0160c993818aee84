import { request } from './http.js';
import { accessToken } from './api-dialect.js';
import type { RunningTill } from './till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

/** Opens a checkout page the way the browser app sees it: its headers, HTML, InitData and HppData. */
export async function openCheckout(url: string) {
  const page = await fetch(url);
  const html = await page.text();
  const init = JSON.parse(/window\.InitData = (\{.*?\});/.exec(html)![1]!) as {
    client_key: string;
    session_id: string;
  };
  const hpp = JSON.parse(/window\.HppData = (\{.*?\});/.exec(html)![1]!) as {
    session_secret: string;
    payment_id: string;
  };
  return { headers: page.headers, html, init, hpp };
}

/**
 * A shop's hosted-payment-page session (the api dialect's create request), with `extra` replacing
 * or adding body fields.
 */
export async function createSession(
  base: string,
  token: string,
  extra: Record<string, unknown> = {},
): Promise<{ session_id: string; redirect_url: string }> {
  const created = await request(base, 'POST', '/api/hosted-payment-page', {
    key: token,
    body: {
      reference: 'ORDER-1',
      terminal_id: 'DEV02',
      currency: 'EUR',
      amount: 4999,
      transaction_type: 'PURCHASE',
      success_url: 'https://shop.example.com/s',
      cancel_url: 'https://shop.example.com/c',
      error_url: 'https://shop.example.com/e',
      ...extra,
    },
  });
  if (created.status !== 200) throw new Error(`create failed: ${created.status} ${created.text}`);
  return created.json;
}

/**
 * A paid payment without a browser: a seed-000 session paid with a test card through the hosted
 * page's own checkout API (the page's InitData/HppData give the client key and secret).
 */
export async function paidPayment(
  app: RunningTill,
  merchant: MerchantCredentials,
  options: { transactionType?: 'PURCHASE' | 'AUTHORIZE'; amount?: number; card?: string } = {},
): Promise<string> {
  const created = await createSession(app.url, await accessToken(app.url, merchant), {
    amount: options.amount ?? 4999,
    transaction_type: options.transactionType ?? 'PURCHASE',
  });
  const { init, hpp } = await openCheckout(created.redirect_url);
  const paid = await request(app.url, 'POST', `/hpp/api/sessions/${init.session_id}/pay`, {
    headers: { 'x-client-key': init.client_key, 'x-session-secret': hpp.session_secret },
    body: {
      number: options.card ?? '4242424242424242',
      exp_month: 12,
      exp_year: 2034,
      cvc: '123',
      name: 'Jenny Rosen',
    },
  });
  if (paid.status !== 200) throw new Error(`pay failed: ${paid.text}`);
  return hpp.payment_id as string;
}
