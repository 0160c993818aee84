/**
 * The dashboard's payments screen in a real browser: a user invited through the admin API signs in
 * (`acceptInvitation` sets the session cookie), Chromium opens the dashboard, and the time from the
 * click on "Payments" to its first 50 rows on screen is measured — the first time after Till started,
 * then repeated (back to Home, Payments again).
 *
 * Chromium is Debian's (`CHROMIUM_PATH`, default /usr/bin/chromium); without it the figure is
 * reported missing, never invented.
 *
 * Runs under plain Node 24 (type stripping): erasable TypeScript only.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import { ADMIN_TOKEN, HOST, type LatencySummary, postJson, round, summarize } from './common.ts';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export interface ScreenResult {
  firstMs: number;
  latencyMs: LatencySummary;
}

/** Why the screen cannot be measured on this machine, or null when it can. */
export function screenUnavailable(): string | null {
  return existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
}

/** A signed-in owner's session cookie for the merchant. */
async function ownerSession(port: number, merchantId: string): Promise<string> {
  const base = `http://${HOST}:${port}`;
  const invite = await postJson(`${base}/admin/v1/merchants/${merchantId}/users`, ADMIN_TOKEN, {
    email: `bench-${Date.now()}@bench.example`,
    role: 'owner',
  });
  const url = (invite.json as { url?: string } | null)?.url;
  const token = url?.split('#/invite/')[1];
  if (invite.status !== 201 || !token) throw new Error(`inviting a dashboard user failed: ${invite.text}`);
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'till-mode': 'test' },
    body: JSON.stringify({
      query:
        'mutation($t: String!, $p: String!) { acceptInvitation(token: $t, password: $p) { userErrors { message } } }',
      variables: { t: decodeURIComponent(token), p: 'a bench password of some length' },
    }),
  });
  const cookie = res.headers
    .getSetCookie()
    .map((c) => /^till_session=([^;]+)/.exec(c)?.[1])
    .find(Boolean);
  if (!cookie) throw new Error(`signing in failed (${res.status}): ${await res.text()}`);
  return cookie;
}

export async function measurePaymentsScreen(
  port: number,
  merchantId: string,
  repeats: number,
): Promise<ScreenResult> {
  const base = `http://${HOST}:${port}`;
  const session = await ownerSession(port, merchantId);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en' });
    await context.addCookies([{ name: 'till_session', value: session, url: base, httpOnly: true }]);
    const page = await context.newPage();
    await page.goto(`${base}/dashboard/#/`);
    const payments = page.getByRole('link', { name: 'Payments', exact: true });
    const home = page.getByRole('link', { name: 'Home', exact: true });
    await payments.waitFor();
    const open = async () => {
      const started = performance.now();
      await payments.click();
      await page.waitForFunction(() => document.querySelectorAll('tbody tr').length >= 50);
      const ms = performance.now() - started;
      await home.click();
      await page.waitForFunction(() => document.querySelectorAll('tbody tr').length < 50);
      return ms;
    };
    const firstMs = await open();
    const latencies: number[] = [];
    for (let i = 0; i < repeats; i++) latencies.push(await open());
    return { firstMs: round(firstMs, 1), latencyMs: summarize(latencies) };
  } finally {
    await browser.close();
  }
}
