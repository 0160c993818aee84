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
 * caller needs: what {@link withWrites} can run as part of another statement.
 */
export interface Write {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** Composed statements by their `?` text: a handful of shapes, each numbered once. */
const composed = new Map<string, BoundStatement>();

/**
 * `writes` and then `last`, as one statement: each write a data-modifying WITH of `last` (which
 * PostgreSQL runs exactly once, whether or not anything reads it), so they all cost one round trip
 * and fail or succeed together.
 */
export function withWrites(
  writes: readonly Write[],
  last: Write,
): { statement: BoundStatement; params: unknown[] } {
  const sql = writes.length
    ? `with ${writes.map((w, i) => `write_${i} as (${w.sql})`).join(', ')} ${last.sql}`
    : last.sql;
  let statement = composed.get(sql);
  if (!statement) composed.set(sql, (statement = bound(sql)));
  return { statement, params: [...writes.flatMap((w) => w.params), ...last.params] };
}

/** Runs `writes` as one statement (see {@link withWrites}). */
export async function runWrites(em: SqlEntityManager, writes: readonly Write[]): Promise<void> {
  if (writes.length === 0) return;
  const { statement, params } = withWrites(writes.slice(0, -1), writes[writes.length - 1]!);
  await run(em, statement, params);
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
