import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { OPENAPI_TYPES_FILE, openApiTypes } from '../../examples/rest/openapi-types.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';
import { request } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
/** The pinned Node 24, as `npm run examples:rest` uses it: it runs the examples' TypeScript as is. */
const node = path.join(root, 'node_modules/.bin/node');

interface ExampleRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs an example to completion as a merchant would, with only TILL_URL and TILL_SECRET_KEY set. */
async function runExample(file: string, env: Record<string, string>): Promise<ExampleRun> {
  const options = {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env },
    timeout: 60_000,
  };
  try {
    const { stdout, stderr } = await run(node, [file], options);
    return { code: 0, stdout, stderr };
  } catch (error: any) {
    if (typeof error.code !== 'number') throw error;
    return { code: error.code, stdout: error.stdout, stderr: error.stderr };
  }
}

/** The payment id the example's "created …" line names. */
function createdPaymentId(output: ExampleRun): string {
  const id = /^created (pay_[A-Za-z0-9]{24}) PENDING /m.exec(output.stdout)?.[1];
  if (!id) throw new Error(`no "created" line\nstdout:\n${output.stdout}\nstderr:\n${output.stderr}`);
  return id;
}

describe('examples/', () => {
  let running: RunningTill;
  let merchant: MerchantCredentials;

  beforeAll(async () => {
    running = await startTill({ backend: 'embedded' });
  });
  afterAll(async () => {
    await running?.close();
  });
  beforeEach(async () => {
    merchant = await newMerchant(running);
  });

  const asMerchant = () => ({ TILL_URL: running.url, TILL_SECRET_KEY: merchant.test_secret_key });

  it('rest/main.ts creates, retrieves, lists and cancels a hosted payment, then reads the refused second cancel', async () => {
    const output = await runExample('examples/rest/main.ts', asMerchant());
    expect(output).toMatchObject({ code: 0, stderr: '' });
    const id = createdPaymentId(output);
    expect(output.stdout.split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^created ${id} PENDING \\(2500 EUR in minor units\\); the customer pays at http\\S+/hpp/${id}$`,
        ),
      ),
      `retrieved ${id} PENDING (2500 EUR in minor units)`,
      `listed 1 payments, newest first: ${id} PENDING`,
      `canceled ${id} CANCELED (2500 EUR in minor units)`,
      'canceling again is refused: HTTP 400 payment_unexpected_state',
      '',
    ]);

    const stored = await request(running.url, 'GET', `/v1/payments/${id}`, { key: merchant.test_secret_key });
    expect(stored.status).toBe(200);
    expect(stored.json).toMatchObject({
      id,
      status: 'CANCELED',
      amount: 2500,
      currency: 'EUR',
      description: 'Two coffees',
    });
    expect(stored.json.merchant_reference).toMatch(/^order-\d+$/);
  });

  it("rest/main.ts reports Till's error response as its typed fields and exits non-zero", async () => {
    const output = await runExample('examples/rest/main.ts', {
      TILL_URL: running.url,
      TILL_SECRET_KEY: 'api_test_sk_000000000000000000000000000000nope',
    });
    expect(output.code).toBe(1);
    expect(output.stdout).toBe('');
    expect(output.stderr).toMatch(/^create failed: HTTP 401 authentication_error \S+: \S/);

    const list = await request(running.url, 'GET', '/v1/payments', { key: merchant.test_secret_key });
    expect(list.json.data).toEqual([]);
  });

  it('graphql/main.ts creates, queries and cancels a hosted payment, and its subscription sees the cancel', async () => {
    const output = await runExample('examples/graphql/main.ts', asMerchant());
    expect(output).toMatchObject({ code: 0, stderr: '' });
    const id = createdPaymentId(output);
    expect(output.stdout.split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^created ${id} PENDING \\(2500 EUR in minor units\\); the customer pays at http\\S+/hpp/${id}$`,
        ),
      ),
      expect.stringMatching(new RegExp(`^queried ${id} PENDING \\(reference order-\\d+\\)$`)),
      `subscribed: ${id} is PENDING`,
      `canceled ${id} CANCELED`,
      `subscription saw ${id} become CANCELED`,
      'canceling again is refused: payment_unexpected_state',
      '',
    ]);

    const stored = await request(running.url, 'GET', `/v1/payments/${id}`, { key: merchant.test_secret_key });
    expect(stored.status).toBe(200);
    expect(stored.json).toMatchObject({
      id,
      status: 'CANCELED',
      amount: 2500,
      currency: 'EUR',
      description: 'Two coffees',
    });
  });

  it('both examples stop with a clear message when no secret key is set', async () => {
    for (const file of ['examples/rest/main.ts', 'examples/graphql/main.ts']) {
      const output = await runExample(file, { TILL_URL: running.url });
      expect(output).toMatchObject({ code: 2, stdout: '' });
      expect(output.stderr).toMatch(/^Set TILL_SECRET_KEY to a test secret key/);
    }
  });

  it(`${OPENAPI_TYPES_FILE} is what openapi-typescript makes of /openapi.json`, async () => {
    const checkedIn = readFileSync(path.join(root, OPENAPI_TYPES_FILE), 'utf8');
    const generated = await openApiTypes(running.url);
    if (generated !== checkedIn)
      throw new Error(
        `${OPENAPI_TYPES_FILE} no longer matches Till's /openapi.json: start Till and run \`npm run examples:types\``,
      );
  });
});
