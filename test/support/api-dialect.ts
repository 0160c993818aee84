import { readFileSync } from 'node:fs';
import * as oidc from 'openid-client';
import type { MerchantCredentials } from '../../src/services/merchants.js';

const samples = readFileSync(new URL('../seed-samples/seed-000-samples.js', import.meta.url), 'utf8');

/**
 * Seed 000's createToken() and createSession(), verbatim, bound to a running Till: the page's
 * relative URLs are resolved against `base`, and `loadJsonFile('[path]/secret.json')` yields the
 * merchant's credentials in the sample's field names.
 */
export function seedSamples(base: string, merchant: MerchantCredentials) {
  const loadJsonFile = async (_path: string) => ({
    username: merchant.oauth.username,
    password: merchant.oauth.password,
    xApiKey: merchant.api_key,
  });
  const hostFetch = (url: string, init?: RequestInit) => fetch(new URL(url, base), init);
  const factory = new Function(
    'loadJsonFile',
    'fetch',
    `${samples}\nreturn { createToken, createSession };`,
  ) as (
    load: typeof loadJsonFile,
    f: typeof hostFetch,
  ) => { createToken(): Promise<any>; createSession(data: any): Promise<any> };
  return factory(loadJsonFile, hostFetch);
}

/** An access token through seed 000's JSON login endpoint. */
export async function accessToken(base: string, merchant: MerchantCredentials): Promise<string> {
  const res = await fetch(`${base}/api/oauth2/login/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: merchant.oauth.username, password: merchant.oauth.password }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** The api dialect's sample hosted-payment-page request, as its documentation shows it. */
export const HPP_BODY = {
  reference: 'ORDER-1',
  terminal_id: 'TERM001',
  currency: 'EUR',
  amount: 100,
  transaction_type: 'PURCHASE',
  success_url: 'https://merchant.example.com/success-url',
  cancel_url: 'https://merchant.example.com/cancel-url',
  error_url: 'https://merchant.example.com/error-url',
};

/**
 * A standard OpenID client for a merchant's OAuth client, configured by discovery from Till's
 * public URL (plain HTTP allowed, as in tests). Without `clientAuth`, the library's default method.
 */
export function oidcClient(
  publicUrl: string,
  merchant: MerchantCredentials,
  clientAuth?: oidc.ClientAuth,
): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(publicUrl),
    merchant.oauth.client_id,
    merchant.oauth.client_secret,
    clientAuth,
    { execute: [oidc.allowInsecureRequests] },
  );
}
