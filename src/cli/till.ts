#!/usr/bin/env node
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/orm.js';
import { TillError } from '../domain/errors.js';
import { MerchantService } from '../services/merchants.js';
import { TokenService } from '../services/tokens.js';

const USAGE = `Usage:
  till migrate                       apply database migrations (DATABASE_URL, or the embedded DATA_DIR)
  till merchant create --name NAME   create a merchant; prints its credentials as JSON (shown once)
  till keys rotate                   make a new OIDC signing key the active one
`;

/** The operator's command line. Uses the same configuration as the server. */
async function run(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command === 'migrate' && sub === undefined) {
    const db = await openDatabase(loadConfig());
    await db.close();
    console.error('migrations applied');
    return 0;
  }
  if (command === 'keys' && sub === 'rotate') {
    const config = loadConfig();
    const db = await openDatabase(config);
    try {
      const kid = await new TokenService(db, config.publicUrl).rotate();
      console.log(kid);
      return 0;
    } finally {
      await db.close();
    }
  }
  if (command === 'merchant' && sub === 'create') {
    const at = rest.indexOf('--name');
    const name = at >= 0 ? rest[at + 1] : undefined;
    if (!name) {
      console.error(USAGE);
      return 2;
    }
    const db = await openDatabase(loadConfig());
    try {
      const credentials = await new MerchantService(db).createMerchant(name);
      process.stdout.write(`${JSON.stringify(credentials, null, 2)}\n`);
      return 0;
    } finally {
      await db.close();
    }
  }
  console.error(USAGE);
  return command === undefined || command === '--help' || command === 'help' ? 0 : 2;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof ConfigError || error instanceof TillError) {
    console.error(error.message);
    process.exitCode = 2;
  } else throw error;
}
