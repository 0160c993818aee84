import { chmodSync, existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { MerchantSchema } from '../db/entities/merchant.entity.js';
import type { Database } from '../db/orm.js';
import { randomBase62 } from '../domain/ids.js';
import type { DashboardUserService } from './dashboard-users.js';
import type { MerchantCredentials, MerchantService } from './merchants.js';
import { SYSTEM } from './principal.js';

/** The embedded sandbox's dashboard owner. */
export const SANDBOX_OWNER_EMAIL = 'owner@sandbox.test';

export interface SandboxFile extends MerchantCredentials {
  admin_token: string;
  /** The dashboard owner's sign-in (files written before the dashboard get it on their next start). */
  dashboard?: { email: string; password: string };
}

function writeSandbox(file: string, sandbox: SandboxFile): void {
  writeFileSync(file, `${JSON.stringify(sandbox, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // also when an older file was overwritten (mode applies only on creation)
}

/** Creates the sandbox merchant's dashboard owner with a random password; null if that email is taken. */
async function sandboxOwner(
  merchantId: string,
  users: DashboardUserService,
): Promise<SandboxFile['dashboard'] | null> {
  const password = randomBase62(24);
  try {
    await users.create(merchantId, { email: SANDBOX_OWNER_EMAIL, role: 'owner', password }, SYSTEM);
    return { email: SANDBOX_OWNER_EMAIL, password };
  } catch {
    return null;
  }
}

/** The sandbox credentials an embedded Till wrote to DATA_DIR/sandbox.json, or null before its first start. */
export function readSandbox(dataDir: string): SandboxFile | null {
  const file = path.join(dataDir, 'sandbox.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SandboxFile) : null;
}

/**
 * Embedded mode's first start: creates the sandbox merchant and writes its credentials (and an
 * admin token, unless ADMIN_TOKEN is set) to DATA_DIR/sandbox.json. Later starts read the file;
 * if the database no longer knows its merchant (data wiped), a fresh sandbox is made.
 */
export async function ensureSandbox(
  dataDir: string,
  db: Database,
  merchants: MerchantService,
  adminToken: string | null,
  users: DashboardUserService,
): Promise<{ sandbox: SandboxFile; created: boolean; file: string }> {
  const file = path.join(dataDir, 'sandbox.json');
  const existing = readSandbox(dataDir);
  if (existing) {
    const known = await db.em.fork().count(MerchantSchema, { id: existing.merchant_id });
    if (known > 0) {
      if (existing.dashboard) return { sandbox: existing, created: false, file };
      const dashboard = await sandboxOwner(existing.merchant_id, users);
      const sandbox = dashboard ? { ...existing, dashboard } : existing;
      if (dashboard) writeSandbox(file, sandbox);
      return { sandbox, created: false, file };
    }
  }
  const credentials = await merchants.createMerchant('Sandbox merchant', SYSTEM);
  const { merchant_id, ...rest } = credentials;
  const dashboard = await sandboxOwner(merchant_id, users);
  const sandbox: SandboxFile = {
    merchant_id,
    admin_token: adminToken ?? randomBase62(40),
    ...rest,
    ...(dashboard ? { dashboard } : {}),
  };
  mkdirSync(dataDir, { recursive: true });
  writeSandbox(file, sandbox);
  return { sandbox, created: true, file };
}

/**
 * The start banner: where the credentials are, and a curl that works as printed. Secrets appear
 * only when `showSecrets` (the very first start outside production); otherwise the curl reads the
 * key from the file, so no secret reaches stdout, a terminal's scrollback or a log collector.
 */
export function sandboxBanner(
  sandbox: SandboxFile,
  file: string,
  publicUrl: string,
  options: { created: boolean; showSecrets: boolean },
): string {
  const key = options.showSecrets
    ? `'Authorization: Bearer ${sandbox.test_secret_key}'`
    : `"Authorization: Bearer $(node -p 'require(${JSON.stringify(file)}).test_secret_key')"`;
  return [
    '',
    `Till sandbox ${options.created ? 'created' : 'loaded'} — credentials in ${file} (readable only by this user)`,
    `  merchant_id      ${sandbox.merchant_id}`,
    options.showSecrets
      ? `  test_secret_key  ${sandbox.test_secret_key}   (shown this once; later starts read it from the file)`
      : '  test_secret_key  in the file',
    `  client_key       ${sandbox.client_key}`,
    '  admin_token      in the file',
    '',
    'Create a hosted payment:',
    `  curl -s -X POST ${publicUrl}/v1/payments/hpp \\`,
    `    -H ${key} \\`,
    `    -H 'Content-Type: application/json' \\`,
    `    -H "Idempotency-Key: $(date +%s%N)" \\`,
    `    -d '{"amount": 2500, "currency": "EUR", "merchant_reference": "ord_5678", "return_url": "https://shop.example.com/checkout/complete"}'`,
    '',
    `GraphQL: ${publicUrl}/graphql (same Bearer key; subscriptions over graphql-ws on the same path)`,
    ...(sandbox.dashboard
      ? [`Dashboard: ${publicUrl}/dashboard (${sandbox.dashboard.email}; its password is in the file)`]
      : []),
    '',
  ].join('\n');
}
