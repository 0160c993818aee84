import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from '../support/http.js';
import { printedCurl, runShell, startMain, waitFor, type Proc } from '../support/processes.js';
import { freePort } from '../support/till.js';

/** Every secret sandbox.json holds. */
function secretsOf(sandbox: Record<string, any>): string[] {
  return [
    sandbox.test_secret_key,
    sandbox.live_secret_key,
    sandbox.admin_token,
    sandbox.api_key,
    sandbox.oauth.client_secret,
    sandbox.oauth.password,
  ];
}

describe('NODE_ENV=production prints no secret (dist/main.js)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'till-production-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('on first start and on restart: stdout and stderr hold nothing of sandbox.json (mode 0600)', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { DATA_DIR: dataDir, PORT: String(port), NODE_ENV: 'production', LOG_LEVEL: 'info' };
    const file = path.join(dataDir, 'sandbox.json');
    const startAndUse = async (what: string): Promise<Proc> => {
      const proc = startMain(env);
      await waitFor(() => proc.stdout().includes('GraphQL:'), 60_000, what, proc);
      const sandbox = JSON.parse(readFileSync(file, 'utf8'));
      // The printed curl reads the key from the file, and works as printed.
      const created = JSON.parse((await runShell(printedCurl(proc.stdout()))).stdout);
      expect(created).toMatchObject({ status: 'PENDING', amount: 2500 });
      // Requests whose URLs, headers and answers name secrets, each logged at info.
      await request(base, 'GET', `/v1/payments?starting_after=${sandbox.test_secret_key}`, {
        key: sandbox.test_secret_key,
      });
      await request(
        base,
        'GET',
        `/admin/v1/merchants/${sandbox.merchant_id}/api_keys?t=${sandbox.admin_token}`,
        {
          key: sandbox.admin_token,
        },
      );
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      return proc;
    };

    const first = await startAndUse('the first start');
    expect(first.stdout()).toContain(`Till sandbox created — credentials in ${file}`);
    const second = await startAndUse('the restart');
    expect(second.stdout()).toContain('Till sandbox loaded');

    const sandbox = JSON.parse(readFileSync(file, 'utf8'));
    for (const proc of [first, second]) {
      const output = proc.stdout() + proc.stderr();
      expect(output).toContain('"msg":"incoming request"'); // the request log was written
      for (const secret of secretsOf(sandbox)) expect(output).not.toContain(secret);
    }
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dataDir, 'encryption.key')).mode & 0o777).toBe(0o600);
  }, 150_000);

  it('refuses a server-mode start without TILL_ENCRYPTION_KEY, naming it', async () => {
    const proc = startMain({
      DATA_DIR: dataDir,
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://till:till@127.0.0.1:1/till',
      ADMIN_TOKEN: 'a'.repeat(40),
    });
    expect(await proc.exited).toBe(2);
    expect(proc.stderr()).toContain('TILL_ENCRYPTION_KEY is required with DATABASE_URL in production');
  });

  it('refuses an admin token shorter than 32 characters, without printing it', async () => {
    const token = 'only-twenty-six-characters';
    const proc = startMain({ DATA_DIR: dataDir, NODE_ENV: 'production', ADMIN_TOKEN: token });
    expect(await proc.exited).toBe(2);
    expect(proc.stderr()).toContain('ADMIN_TOKEN must be at least 32 characters in production');
    expect(proc.stdout() + proc.stderr()).not.toContain(token);
  });
});
