import { createHash } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Database } from '../orm.js';
import { bound, run, runWrites, type Write } from '../statements.js';

/** Whose key it is: keys are scoped by merchant and mode, so two merchants' `order-1` never meet. */
export type IdempotencyScope = readonly [merchantId: string, livemode: boolean, key: string];

/** A key's row as stored. */
export interface IdempotencyRow {
  fingerprint: string;
  state: 'running' | 'done';
  response_status: number;
  response_body: string;
  locked_at: Date | string;
  expires_at: Date | string;
}

/** A response as stored for a key (its body sealed where it carries a secret). */
export interface StoredBody {
  status: number;
  body: string;
}

/** A key being recorded: what it was used for, and when it was claimed and stops counting. */
export interface IdempotencyClaim {
  scope: IdempotencyScope;
  fingerprint: string;
  now: Date;
  expiresAt: Date;
}

// The one-row lock subquery runs first; the key is joined only when the lock was taken.
const LOCK_AND_FIND = bound(
  `select l.locked, k.fingerprint, k.state, k.response_status, k.response_body, k.locked_at, k.expires_at
     from (select pg_try_advisory_xact_lock(?::bigint) as locked) l
     left join idempotency_key k on l.locked and k.merchant_id = ? and k.livemode = ? and k.key = ?`,
);

const SAVE_DONE = `insert into idempotency_key (merchant_id, livemode, key, fingerprint, state, response_status, response_body,
     locked_at, created_at, expires_at)
   values (?, ?, ?, ?, 'done', ?, ?, ?, ?, ?)
   on conflict (merchant_id, livemode, key) do update
     set fingerprint = excluded.fingerprint, state = 'done', response_status = excluded.response_status,
         response_body = excluded.response_body, locked_at = excluded.locked_at,
         created_at = excluded.created_at, expires_at = excluded.expires_at`;

/** The `idempotency_key` table: every statement the idempotency service needs, and only those. */
export class IdempotencyRepository {
  constructor(private readonly db: Database) {}

  /** A new unit of work on its own connection turn (not the root entity manager). */
  fork(): SqlEntityManager {
    return this.db.em.fork();
  }

  /**
   * Takes the key's transaction-scoped advisory lock inside `tx` and reads the key's row, in one
   * round trip: `locked` is false when another transaction holds the lock (and no row is read then).
   * The lock id is the first 64 bits of a hash of the scope.
   */
  async lockAndFind(
    tx: SqlEntityManager,
    scope: IdempotencyScope,
  ): Promise<{ locked: boolean; row: IdempotencyRow | undefined }> {
    const lockId = BigInt.asIntN(
      64,
      BigInt(`0x${createHash('sha256').update(scope.join('\u0000')).digest('hex').slice(0, 16)}`),
    );
    const [result] = await run<Partial<IdempotencyRow> & { locked: boolean }>(tx, LOCK_AND_FIND, [
      lockId.toString(),
      ...scope,
    ]);
    if (result?.locked !== true) return { locked: false, row: undefined };
    return { locked: true, row: result.fingerprint == null ? undefined : (result as IdempotencyRow) };
  }

  async find(em: SqlEntityManager, scope: IdempotencyScope): Promise<IdempotencyRow | undefined> {
    const [row] = await em.execute<IdempotencyRow[]>(
      `select fingerprint, state, response_status, response_body, locked_at, expires_at from idempotency_key
        where merchant_id = ? and livemode = ? and key = ?`,
      [...scope],
    );
    return row;
  }

  /**
   * Records a finished key with its response, replacing an expired or abandoned row, in one
   * statement together with the operation's `writes` (see `runWrites`).
   */
  async saveDone(
    tx: SqlEntityManager,
    claim: IdempotencyClaim,
    response: StoredBody,
    writes: readonly Write[] = [],
  ): Promise<void> {
    await runWrites(tx, writes, {
      sql: SAVE_DONE,
      params: [
        ...claim.scope,
        claim.fingerprint,
        response.status,
        response.body,
        claim.now,
        claim.now,
        claim.expiresAt,
      ],
    });
  }

  /**
   * Claims the key with a committed `running` row. Succeeds on a free key, an expired one, or one
   * left `running` since before `abandonedBefore` by a request for the same fingerprint.
   */
  async claim(em: SqlEntityManager, claim: IdempotencyClaim, abandonedBefore: Date): Promise<boolean> {
    const claimed = await em.execute<{ key: string }[]>(
      `insert into idempotency_key (merchant_id, livemode, key, fingerprint, state, locked_at, created_at, expires_at)
       values (?, ?, ?, ?, 'running', ?, ?, ?)
       on conflict (merchant_id, livemode, key) do update
         set fingerprint = excluded.fingerprint, state = 'running', response_status = null, response_body = null,
             locked_at = excluded.locked_at, created_at = excluded.created_at, expires_at = excluded.expires_at
         where idempotency_key.expires_at <= excluded.created_at
            or (idempotency_key.state = 'running' and idempotency_key.locked_at <= ?
                and idempotency_key.fingerprint = excluded.fingerprint)
       returning key`,
      [...claim.scope, claim.fingerprint, claim.now, claim.now, claim.expiresAt, abandonedBefore],
    );
    return claimed.length > 0;
  }

  /** Stores the response of a claimed key. */
  async markDone(em: SqlEntityManager, scope: IdempotencyScope, response: StoredBody): Promise<void> {
    await em.execute(
      `update idempotency_key set state = 'done', response_status = ?, response_body = ?
        where merchant_id = ? and livemode = ? and key = ?`,
      [response.status, response.body, ...scope],
    );
  }

  /** Frees a claimed key whose request failed. */
  async release(scope: IdempotencyScope): Promise<void> {
    await this.fork().execute(
      `delete from idempotency_key where merchant_id = ? and livemode = ? and key = ? and state = 'running'`,
      [...scope],
    );
  }

  /** Deletes keys that expired by `now`. Returns how many. */
  async deleteExpired(now: Date): Promise<number> {
    const res = await this.fork().execute<{ affectedRows: number }>(
      'delete from idempotency_key where expires_at <= ?',
      [now],
      'run',
    );
    return res.affectedRows ?? 0;
  }
}
