#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { openKeyring } from '../crypto/keyring.js';
import { SealingError } from '../crypto/sealing.js';
import { openDatabase, type Database } from '../db/orm.js';
import { invalid, notFound, TillError } from '../domain/errors.js';
import { ConnectorAccountRepository } from '../db/repositories/connector-accounts.js';
import { ConnectorAccountService } from '../services/connector-accounts.js';
import { openPubSub } from '../events/open-pubsub.js';
import { InProcessPubSub, type PubSub } from '../events/pubsub.js';
import { ApiKeyService } from '../services/api-keys.js';
import { AuditLog } from '../services/audit.js';
import { CredentialWatch } from '../services/credential-watch.js';
import { DashboardUserService } from '../services/dashboard-users.js';
import { rotateEncryption } from '../services/encryption.js';
import { MerchantService } from '../services/merchants.js';
import type { Actor } from '../services/principal.js';
import { readSandbox } from '../services/sandbox.js';
import { ACCESS_TOKEN_TTL_SECONDS, TokenService } from '../services/tokens.js';
import { listen, ListenError } from './listen.js';

const USAGE = `Usage:
  till migrate                                   apply database migrations (DATABASE_URL, or the embedded DATA_DIR)
  till merchant create --name NAME               create a merchant; prints its credentials as JSON (shown once)
  till merchant rotate-api-credentials --merchant ID
                                                 new x-api-key and OAuth pairs; the old ones and their tokens stop
  till keys list --merchant ID [--mode test|live]
                                                 the merchant's secret and publishable keys (masked, last 4)
  till keys create --merchant ID --type secret|publishable --mode test|live
                                                 a new key; its secret is printed once
  till keys roll --merchant ID --key KEY_ID [--expires-in SECONDS]
                                                 a replacement key; the old one works for SECONDS more (0–604800, default 0)
  till keys revoke --merchant ID --key KEY_ID    cut a key off at once, on every instance
  till keys rotate                               make a new OIDC signing key the active one
  till keys rotate-encryption                    re-seal every stored secret under a new current encryption key
                                                 (embedded: added to DATA_DIR/encryption.key; server: the
                                                 TILL_ENCRYPTION_KEY you set, the old one in TILL_ENCRYPTION_PREVIOUS_KEYS)
  till connectors add --merchant ID --connector stripe|adyen|sandbox --mode test|live
        [--label TEXT] [--currencies EUR,USD] [--priority N] [--api-base URL] [--credentials-file FILE|-]
                                                 add an acquirer account; credentials are a JSON object read from
                                                 FILE (or stdin with -), never from the command line; stored sealed
  till connectors list --merchant ID [--mode test|live]
                                                 the merchant's acquirer accounts in routing order (no credentials)
  till connectors disable --merchant ID --account CA_ID
                                                 stop routing new payments to an account
  till users invite --merchant ID --email EMAIL --role owner|admin|developer|analyst
                                                 invite a dashboard user; prints the one-time invitation link
  till users list --merchant ID                  the merchant's dashboard users and pending invitations
  till audit list [--merchant ID] [--limit N]    the newest audit log entries
  till listen --forward-to URL [--url URL] [--key KEY]
                                                 forward your events to a local URL as signed webhooks, live;
                                                 --url defaults to PUBLIC_URL, the key to TILL_API_KEY or the
                                                 embedded sandbox's test key (DATA_DIR/sandbox.json)
`;

const CLI: Actor = { type: 'cli', id: null, requestId: null };

interface Services {
  db: Database;
  merchants: MerchantService;
  apiKeys: ApiKeyService;
  audit: AuditLog;
  dashboardUsers: DashboardUserService;
  /** Opens the encryption keys: only the commands that seal or open a stored secret need them. */
  tokens(): TokenService;
  /** Opens the encryption keys too: accounts' credentials are sealed. */
  connectorAccounts(): ConnectorAccountService;
  config: ReturnType<typeof loadConfig>;
}

/** A JSON object of credentials from a file, or from stdin for `-` (so no secret is in argv or history). */
async function readCredentials(file: string): Promise<unknown> {
  let text: string;
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  } else text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw invalid(
      'credentials',
      '--credentials-file must hold a JSON object such as {"secret_key": "sk_test_…"}',
    );
  }
}

/**
 * Opens the database and, for changes other instances must hear of at once, the same pub/sub the
 * servers use (Redis, or PostgreSQL's LISTEN/NOTIFY, as `pubsubKind` says; servers also poll, so
 * in-process they notice within a second).
 */
async function withServices<T>(run: (s: Services) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = await openDatabase(config);
  let pubsub: PubSub = new InProcessPubSub();
  try {
    pubsub = await openPubSub(config);
    const watch = new CredentialWatch(db, pubsub, ACCESS_TOKEN_TTL_SECONDS * 1000);
    const audit = new AuditLog(db);
    return await run({
      db,
      config,
      audit,
      merchants: new MerchantService(db, audit, watch),
      apiKeys: new ApiKeyService(db, watch, audit),
      dashboardUsers: new DashboardUserService(db, audit, null, config.publicUrl),
      tokens: () => new TokenService(db, openKeyring(config).sealer, config.publicUrl, watch, audit),
      connectorAccounts: () =>
        new ConnectorAccountService(
          new ConnectorAccountRepository(db),
          openKeyring(config).sealer,
          audit,
          config.publicUrl,
        ),
    });
  } finally {
    await pubsub.close();
    await db.close();
  }
}

/** An absolute http(s) URL given as `flag`, or a usage error naming the flag. */
function httpUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(flag, `${flag} must be an absolute http(s) URL, e.g. http://localhost:3000/hooks`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid(flag, `${flag} must be an http or https URL`);
  return url.href;
}

/**
 * `till listen` until Ctrl-C. Flags first; then the environment's PUBLIC_URL, TILL_API_KEY and the
 * sandbox file an embedded Till wrote (the configuration is read only when a default is needed).
 */
async function listenCommand(flags: { url?: string; key?: string; 'forward-to'?: string }): Promise<number> {
  const forwardTo = httpUrl('--forward-to', flags['forward-to'] ?? '');
  let config: ReturnType<typeof loadConfig> | undefined;
  const configured = () => (config ??= loadConfig());
  const url = flags.url === undefined ? configured().publicUrl : httpUrl('--url', flags.url);
  const key = flags.key || process.env.TILL_API_KEY || readSandbox(configured().dataDir)?.test_secret_key;
  if (!key)
    throw invalid(
      'key',
      `no key: pass --key api_test_sk_… or set TILL_API_KEY (${configured().dataDir}/sandbox.json does not exist)`,
    );
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
  try {
    return await listen({ url, key, forwardTo, signal: stop.signal });
  } finally {
    // Ctrl-C ends the session at once: a connection attempt to an unreachable Till, or a forward
    // still waiting for its answer, gets a second to finish, not minutes.
    setTimeout(() => process.exit(), 1000).unref();
  }
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** The operator's command line. Uses the same configuration as the server. */
async function run(argv: string[]): Promise<number> {
  const { values: flags, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      merchant: { type: 'string' },
      key: { type: 'string' },
      type: { type: 'string' },
      mode: { type: 'string' },
      'expires-in': { type: 'string' },
      limit: { type: 'string' },
      url: { type: 'string' },
      'forward-to': { type: 'string' },
      connector: { type: 'string' },
      label: { type: 'string' },
      currencies: { type: 'string' },
      priority: { type: 'string' },
      'api-base': { type: 'string' },
      'credentials-file': { type: 'string' },
      account: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const [command, sub, ...rest] = positionals;
  const usage = () => {
    console.error(USAGE);
    return 2;
  };
  if (flags.help || command === undefined || command === 'help') {
    console.error(USAGE);
    return 0;
  }
  if (rest.length > 0) return usage();
  const mode = (): boolean | undefined => {
    if (flags.mode === undefined) return undefined;
    if (flags.mode !== 'test' && flags.mode !== 'live') throw invalid('mode', '--mode must be test or live');
    return flags.mode === 'live';
  };

  if (command === 'migrate' && sub === undefined) {
    const db = await openDatabase(loadConfig());
    await db.close();
    console.error('migrations applied');
    return 0;
  }
  if (command === 'merchant' && sub === 'create') {
    if (!flags.name) return usage();
    return withServices(async ({ merchants }) => {
      print(await merchants.createMerchant(flags.name!, CLI));
      return 0;
    });
  }
  if (command === 'merchant' && sub === 'rotate-api-credentials') {
    if (!flags.merchant) return usage();
    return withServices(async ({ merchants }) => {
      print(await merchants.rotateApiDialectCredentials(flags.merchant!, CLI));
      return 0;
    });
  }
  if (command === 'keys' && sub === 'rotate') {
    return withServices(async ({ tokens }) => {
      console.log(await tokens().rotate(CLI));
      return 0;
    });
  }
  if (command === 'keys' && sub === 'rotate-encryption') {
    const rotation = await rotateEncryption(loadConfig());
    print(rotation);
    console.error(
      `every stored secret is sealed with key ${rotation.kid}` +
        (rotation.unused.length
          ? `; no longer needed in TILL_ENCRYPTION_PREVIOUS_KEYS: ${rotation.unused.join(', ')}`
          : ''),
    );
    return 0;
  }
  if (command === 'keys' && sub === 'list') {
    if (!flags.merchant) return usage();
    const livemode = mode();
    return withServices(async ({ apiKeys }) => {
      print(await apiKeys.list(flags.merchant!, livemode));
      return 0;
    });
  }
  if (command === 'keys' && sub === 'create') {
    if (!flags.merchant || !flags.type || !flags.mode) return usage();
    const livemode = mode();
    return withServices(async ({ apiKeys }) => {
      const { key, secret } = await apiKeys.create(flags.merchant!, { type: flags.type, livemode }, CLI);
      print({ ...key, secret });
      return 0;
    });
  }
  if (command === 'keys' && sub === 'roll') {
    if (!flags.merchant || !flags.key) return usage();
    const expiresIn = flags['expires-in'] === undefined ? 0 : Number(flags['expires-in']);
    return withServices(async ({ apiKeys }) => {
      const rolled = await apiKeys.roll(flags.merchant!, flags.key!, { expiresInSeconds: expiresIn }, CLI);
      print({ ...rolled.key, secret: rolled.secret, previous: rolled.previous });
      return 0;
    });
  }
  if (command === 'keys' && sub === 'revoke') {
    if (!flags.merchant || !flags.key) return usage();
    return withServices(async ({ apiKeys }) => {
      print(await apiKeys.revoke(flags.merchant!, flags.key!, CLI));
      return 0;
    });
  }
  if (command === 'connectors' && sub === 'add') {
    if (!flags.merchant || !flags.connector || !flags.mode) return usage();
    const credentials = flags['credentials-file']
      ? await readCredentials(flags['credentials-file'])
      : undefined;
    return withServices(async ({ merchants, connectorAccounts }) => {
      if (!(await merchants.exists(flags.merchant!))) throw notFound('merchant', flags.merchant!, 'merchant');
      print(
        await connectorAccounts().create(
          flags.merchant!,
          {
            connector: flags.connector,
            mode: flags.mode,
            label: flags.label,
            currencies: flags.currencies?.split(',').map((c) => c.trim()),
            priority: flags.priority === undefined ? undefined : Number(flags.priority),
            api_base: flags['api-base'],
            credentials,
          },
          CLI,
        ),
      );
      return 0;
    });
  }
  if (command === 'connectors' && sub === 'list') {
    if (!flags.merchant) return usage();
    const livemode = mode();
    return withServices(async ({ connectorAccounts }) => {
      print(await connectorAccounts().list(flags.merchant!, livemode));
      return 0;
    });
  }
  if (command === 'connectors' && sub === 'disable') {
    if (!flags.merchant || !flags.account) return usage();
    return withServices(async ({ connectorAccounts }) => {
      print(await connectorAccounts().disable(flags.merchant!, flags.account!, CLI));
      return 0;
    });
  }
  if (command === 'users' && sub === 'invite') {
    if (!flags.merchant || !flags.email || !flags.role) return usage();
    return withServices(async ({ dashboardUsers }) => {
      // The operator may invite any role, an owner included.
      print(
        await dashboardUsers.invite(flags.merchant!, { email: flags.email, role: flags.role }, CLI, true),
      );
      return 0;
    });
  }
  if (command === 'users' && sub === 'list') {
    if (!flags.merchant) return usage();
    return withServices(async ({ merchants, dashboardUsers }) => {
      if (!(await merchants.exists(flags.merchant!))) throw notFound('merchant', flags.merchant!, 'merchant');
      print({
        users: await dashboardUsers.list(flags.merchant!),
        invitations: await dashboardUsers.pendingInvitations(flags.merchant!),
      });
      return 0;
    });
  }
  if (command === 'audit' && sub === 'list') {
    const limit = flags.limit === undefined ? 20 : Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return usage();
    return withServices(async ({ audit }) => {
      const page = await audit.list(flags.merchant ? { merchantId: flags.merchant } : 'all', { limit });
      print(page.data);
      return 0;
    });
  }
  if (command === 'listen' && sub === undefined) {
    if (!flags['forward-to']) return usage();
    return listenCommand(flags);
  }
  return usage();
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof ConfigError || error instanceof TillError || error instanceof SealingError) {
    console.error(error.message);
    process.exitCode = 2;
  } else if (error instanceof ListenError) {
    console.error(error.message);
    process.exitCode = error.exitCode;
  } else if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exitCode = 2;
  } else throw error;
}
