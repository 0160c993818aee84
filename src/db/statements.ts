import type { SqlEntityManager } from '@mikro-orm/sql';
import { CompiledQuery, type Kysely } from 'kysely';

/** A statement written with `?` placeholders, numbered once ($1, $2…) for bind parameters. */
export interface BoundStatement {
  readonly sql: string;
}

/** Numbers the `?` placeholders of `sql` (which must use `?` for nothing else). */
export function bound(sql: string): BoundStatement {
  let n = 0;
  return { sql: sql.replace(/\?/g, () => `$${++n}`) };
}

/**
 * One INSERT, UPDATE or DELETE with its values, written with `?` placeholders and no RETURNING the
 * caller needs: what {@link runWrites} can run as part of another statement.
 */
export interface Write {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** Statements by their `?` text: a handful of shapes, each numbered once. */
const numbered = new Map<string, BoundStatement>();
const statementOf = (sql: string): BoundStatement => {
  let statement = numbered.get(sql);
  if (!statement) numbered.set(sql, (statement = bound(sql)));
  return statement;
};

/**
 * Runs `writes` and then `last` in `em`, and returns the rows of `last`: the writes as
 * data-modifying WITHs of `last` (PostgreSQL runs each exactly once, whether or not anything reads
 * it), so they cost one round trip and fail or succeed together. Without `last`, the final write is
 * it.
 */
export async function runWrites<T = Record<string, unknown>>(
  em: SqlEntityManager,
  writes: readonly Write[],
  last?: Write,
): Promise<T[]> {
  const rest = [...writes];
  const final = last ?? rest.pop();
  if (!final) return [];
  const sql = rest.length
    ? `with ${rest.map((w, i) => `write_${i} as (${w.sql})`).join(', ')} ${final.sql}`
    : final.sql;
  return run<T>(em, statementOf(sql), [...rest.flatMap((w) => w.params), ...final.params]);
}

/**
 * Runs one statement in `em`'s transaction (or on the pool when it has none) with its values sent
 * as bind parameters, and returns its rows. The create path's statements go this way: the ORM's
 * `execute` writes every value into the SQL text, escaping it character by character, which for a
 * statement carrying a payment's JSON costs more than the rest of the statement's work in Till.
 * The statement is still reported to the ORM's query log, like any other.
 */
export async function run<T = Record<string, unknown>>(
  em: SqlEntityManager,
  statement: BoundStatement,
  params: readonly unknown[],
): Promise<T[]> {
  em.config.getLogger().logQuery({ query: statement.sql, level: 'info' });
  const executor: Pick<Kysely<unknown>, 'executeQuery'> = em.getTransactionContext<Kysely<unknown>>() ??
  em.getConnection().getClient();
  const result = await executor.executeQuery<T>(CompiledQuery.raw(statement.sql, [...params]));
  return result.rows;
}
