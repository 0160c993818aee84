import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config.js';
import { openDatabase } from '../../src/db/orm.js';

const MIGRATIONS = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url));
const NODE_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));

/**
 * What a migrated PGlite data directory depends on: the migrations' text and the PGlite and
 * MikroORM versions. A template is made once per combination and shared by every test worker.
 */
function templateKey(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(MIGRATIONS).sort())
    hash.update(file).update(readFileSync(MIGRATIONS + file));
  for (const name of ['@electric-sql/pglite', '@mikro-orm/core', '@mikro-orm/pglite'])
    hash.update(readFileSync(path.join(NODE_MODULES, name, 'package.json')));
  return hash.digest('hex').slice(0, 16);
}

let template: Promise<string> | null = null;

/** The template's `pglite` directory, made if no worker has made it yet. */
function templateDir(): Promise<string> {
  return (template ??= (async () => {
    const dir = path.join(tmpdir(), `till-pglite-template-${templateKey()}`);
    if (existsSync(dir)) return path.join(dir, 'pglite');
    // Built aside and renamed into place: a worker sees a complete template or none. Two workers
    // building at once each build one; the second rename fails and its copy is dropped.
    const building = mkdtempSync(path.join(tmpdir(), 'till-pglite-building-'));
    const db = await openDatabase({ database: { kind: 'embedded', dataDir: building } } as Config);
    await db.close();
    try {
      renameSync(building, dir);
    } catch {
      rmSync(building, { recursive: true, force: true });
    }
    return path.join(dir, 'pglite');
  })());
}

/**
 * Puts an initialised, migrated PGlite database in `dataDir` (where Till's embedded mode keeps it),
 * copied from a template: creating a PGlite database (initdb) and migrating it takes seconds, a
 * copy a tenth of one. Opening it runs the migrations as on any start, finding nothing to do.
 */
export async function seedEmbeddedDataDir(dataDir: string): Promise<void> {
  cpSync(await templateDir(), path.join(dataDir, 'pglite'), { recursive: true });
}
