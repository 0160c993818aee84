import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM as PgliteMikroORM } from '@mikro-orm/pglite';
import { MikroORM as PostgreSqlMikroORM } from '@mikro-orm/postgresql';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Config } from '../config.js';
import { entities } from './entities/index.js';
import { migrations } from './migrations/index.js';

/** The ORM handle Till uses, whichever of the two PostgreSQL engines is behind it. */
export interface Database {
  /** Root entity manager. Fork it (`db.em.fork()`) per unit of work; never share its identity map. */
  em: SqlEntityManager;
  kind: 'embedded' | 'postgres';
  /** `true` when the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

const shared = {
  entities,
  extensions: [Migrator] as (typeof Migrator)[],
  migrations: {
    migrationsList: migrations,
    transactional: true,
    allOrNothing: true,
    snapshot: false,
    silent: true,
  },
  // Entities are plain schemas; the identity map is per request through forks.
  allowGlobalContext: false,
  debug: false,
};

/**
 * Opens the database named by the config (PGlite under DATA_DIR, or a PostgreSQL server) and
 * brings its schema up to date with the one migration set both engines share.
 */
export async function openDatabase(config: Config, options: { migrate?: boolean } = {}): Promise<Database> {
  // Both engines speak PostgreSQL; Till only needs what their common base offers.
  let orm: { em: unknown; migrator: { up(): Promise<unknown> }; close(force?: boolean): Promise<void> };
  if (config.database.kind === 'embedded') {
    const dataDir = path.join(config.database.dataDir, 'pglite');
    mkdirSync(dataDir, { recursive: true });
    orm = await PgliteMikroORM.init({ ...shared, dbName: 'till', driverOptions: { dataDir } });
  } else {
    orm = await PostgreSqlMikroORM.init({
      ...shared,
      clientUrl: config.database.url,
      pool: { min: 1, max: 10 },
    });
  }
  if (options.migrate !== false) await orm.migrator.up();
  const em = orm.em as unknown as SqlEntityManager;
  return {
    em,
    kind: config.database.kind,
    async ping() {
      try {
        await em.fork().execute('select 1');
        return true;
      } catch {
        return false;
      }
    },
    close: () => orm.close(true),
  };
}
