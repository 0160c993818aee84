import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Config } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/orm.js';
import { newId } from '../../src/domain/ids.js';
import { seedEmbeddedDataDir } from './pglite-template.js';
import { createTestDatabase } from './services.js';
import type { Backend } from './till.js';

/** A migrated database of its own for a test file (PGlite in a temporary directory, or a fresh PostgreSQL one). */
export async function openTestDatabase(backend: Backend): Promise<{ db: Database; close(): Promise<void> }> {
  if (backend === 'server') {
    const created = await createTestDatabase();
    const db = await openDatabase({ database: { kind: 'postgres', url: created.url } } as Config);
    return {
      db,
      close: async () => {
        await db.close();
        await created.drop();
      },
    };
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'till-db-test-'));
  await seedEmbeddedDataDir(dataDir);
  const db = await openDatabase({ database: { kind: 'embedded', dataDir } } as Config);
  return {
    db,
    close: async () => {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A bare merchant row; returns its id. */
export async function insertMerchant(db: Database): Promise<string> {
  const id = newId.merchant();
  await db.em
    .fork()
    .execute('insert into merchant (id, name, created_at) values (?, ?, now())', [id, 'Shop']);
  return id;
}

/** An unpublished event of the merchant (no payment behind it); returns its id. */
export async function insertEvent(
  db: Database,
  event: { merchantId: string; type: string; livemode?: boolean },
): Promise<string> {
  const id = newId.event();
  await db.em
    .fork()
    .execute(
      `insert into event (id, merchant_id, livemode, type, data, created_at) values (?, ?, ?, ?, ?, now())`,
      [
        id,
        event.merchantId,
        event.livemode ?? false,
        event.type,
        JSON.stringify({ object: { id: 'pay_x' } }),
      ],
    );
  return id;
}

/** Every row of every table, as one JSON text: what a search for a secret or a card number reads. */
export async function dumpAllTables(db: Database): Promise<string> {
  const em = db.em.fork();
  const tables = await em.execute<{ tablename: string }[]>(
    "select tablename from pg_tables where schemaname = 'public'",
  );
  let dump = '';
  for (const { tablename } of tables)
    dump += JSON.stringify(await em.execute(`select * from "${tablename}"`));
  return dump;
}
