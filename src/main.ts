import { ConfigError, loadConfig, pubsubKind, type Config } from './config.js';

/** Process entry: config → tracing → app → listen; SIGTERM/SIGINT drain and exit 0. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }

  // Tracing must hook module loading before any module it instruments is imported, so the rest of
  // Till is imported only after it (and never loads the SDK when tracing is off).
  const tracing = config.tracing ? await (await import('./tracing/sdk.js')).startTracing(config) : null;
  const { buildTill } = await import('./app.js');
  const { ensureSandbox, sandboxBanner } = await import('./services/sandbox.js');

  // Embedded mode makes the admin token on first start; it must exist before the routes are built.
  let banner: string | null = null;
  if (config.database.kind === 'embedded') {
    const { openDatabase } = await import('./db/orm.js');
    const { MerchantService } = await import('./services/merchants.js');
    const { AuditLog } = await import('./services/audit.js');
    const { DashboardUserService } = await import('./services/dashboard-users.js');
    const db = await openDatabase(config);
    try {
      const audit = new AuditLog(db);
      const { sandbox, created, file } = await ensureSandbox(
        config.dataDir,
        db,
        new MerchantService(db, audit, null),
        config.adminToken,
        new DashboardUserService(db, audit, null, config.publicUrl),
      );
      config = { ...config, adminToken: config.adminToken ?? sandbox.admin_token };
      // Only a development machine's very first start shows a secret; production never prints one.
      banner = sandboxBanner(sandbox, file, config.publicUrl, {
        created,
        showSecrets: created && config.nodeEnv !== 'production',
      });
    } finally {
      await db.close();
    }
  }

  const till = await buildTill(config);
  const address = await till.listen();
  till.http.log.info(
    { address, database: config.database.kind, pubsub: pubsubKind(config) },
    'Till is listening',
  );
  if (banner) process.stdout.write(banner);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    till.http.log.info({ signal }, 'draining');
    const force = setTimeout(() => {
      till.http.log.error('drain took longer than 25 s; exiting');
      process.exit(1);
    }, 25_000).unref();
    try {
      await till.close();
      // The last spans (the drain's own included) are exported before the process ends.
      await tracing?.shutdown();
      clearTimeout(force);
      process.exit(0);
    } catch (error) {
      till.http.log.error({ err: error }, 'drain failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

await main();
