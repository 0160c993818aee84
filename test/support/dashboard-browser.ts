import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { Page } from 'playwright-core';
import { screenshot } from './browser.js';
import type { RunningTill } from './till.js';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core's serious and critical violations on the page as it is now. The script is evaluated
 * through the DevTools protocol, so the page's own Content-Security-Policy stays in force.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<any> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations as AxeViolation[];
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ ...v, nodes: v.nodes.map((n) => ({ target: n.target })) }));
}

/**
 * The page at desktop (1280 px) and phone (390 px) width: once `ready`, axe-core must find no
 * serious or critical violation at that width, then a screenshot, dashboard-<name>-<width>.png.
 */
export async function screenshotBothWidths(
  page: Page,
  name: string,
  ready: () => Promise<unknown>,
): Promise<void> {
  for (const [width, height, label] of [
    [1280, 800, 'desktop'],
    [390, 844, 'phone'],
  ] as const) {
    await page.setViewportSize({ width, height });
    await ready();
    const violations = await seriousViolations(page);
    if (violations.length > 0)
      throw new Error(`axe at ${label} width: ${JSON.stringify(violations, null, 2)}`);
    await screenshot(page, `dashboard-${name}-${label}`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** Every Content-Security-Policy refusal the page reports in its console. */
export function cspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) seen.push(message.text());
  });
  return seen;
}

/** Signs in through the sign-in screen and waits for the home screen. */
export async function signInThroughUi(
  page: Page,
  base: string,
  email: string,
  password: string,
): Promise<void> {
  await page.goto(`${base}/dashboard/#/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: /Overview/ }).waitFor();
}

/** Resolves once `till` holds more live subscriptions than `before` (a subscriber is listening). */
export async function subscriptionsAbove(till: RunningTill, before: number, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (till.liveSubscriptions() <= before) {
    if (Date.now() > deadline) throw new Error('no new live subscription in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * `count` payments for the merchant in one SQL statement: a real payment's row copied with new
 * ids, references and earlier creation times (a minute apart), so the payments screen has a big
 * table to page through.
 */
export async function bulkPayments(app: RunningTill, templateId: string, count: number): Promise<void> {
  const em = app.till.db.em.fork();
  const columns = (
    await em.execute<{ column_name: string }[]>(
      `select column_name from information_schema.columns where table_name = 'payment' and column_name <> 'seq'
        order by ordinal_position`,
    )
  ).map((c) => c.column_name);
  const values = columns.map((c) => {
    if (c === 'id') return `'pay_bulk' || lpad(g::text, 20, '0')`;
    if (c === 'session_id' || c === 'session_token_hash') return 'null';
    if (c === 'merchant_reference') return `'bulk-' || g`;
    if (c === 'created_at') return `created_at - g * interval '1 minute'`;
    if (c === 'amount') return `100 + (g % 900) * 7`;
    return c;
  });
  await em.execute(
    `insert into payment (${columns.join(', ')})
       select ${values.join(', ')} from payment, generate_series(1, ${Number(count)}) as g where id = ?`,
    [templateId],
  );
}

/**
 * A page on another origin that, once opened, posts a form to Till's /graphql: the classic
 * cross-site request forgery, riding on whatever cookie the browser holds for Till.
 */
export class ForgerySite {
  private server: Server | null = null;
  url = '';
  /** The body of the page to serve next. */
  html = '';

  async start(host: string): Promise<this> {
    this.server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(this.html);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://${host}:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  /** A form whose text/plain body is the JSON of `operation` (the usual trick for JSON endpoints). */
  forgeGraphQL(target: string, query: string): void {
    const name = JSON.stringify({ query, padding: '' }).slice(0, -2);
    const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/'/g, '&#39;');
    this.html =
      `<!doctype html><html lang="en"><title>Win a prize</title><body>` +
      `<form id="f" method="POST" action="${target}" enctype="text/plain">` +
      `<input type="hidden" name='${attr(name)}' value='"}'></form>` +
      `<script>document.getElementById('f').submit()</script></body></html>`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
