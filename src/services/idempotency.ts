import { createHash } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Database } from '../db/orm.js';
import { ErrorCode, TillError } from '../domain/errors.js';
import { LIMITS } from '../domain/payment.js';
import type { Principal } from './principal.js';

/** A response as the surface will send it, byte for byte. */
export interface StoredResponse {
  status: number;
  body: string;
}

export interface IdempotentResult extends StoredResponse {
  /** True when this is the stored response of an earlier request with the same key. */
  replayed: boolean;
}

const TTL_MS = 24 * 60 * 60 * 1000;
/** A `running` key older than this belongs to a request that died; a retry may take it over. */
const ABANDONED_MS = 60_000;

/** Validates an Idempotency-Key header value; returns the reason it is bad, or null. */
export function idempotencyKeyProblem(key: string): string | null {
  if (key.length < 1 || key.length > LIMITS.idempotencyKey)
    return `Idempotency-Key must be 1 to ${LIMITS.idempotencyKey} characters`;
  if (!/^[\x21-\x7e]+$/.test(key)) return 'Idempotency-Key must be printable ASCII without spaces';
  return null;
}

/**
 * Idempotency keys (SPEC §4, the IETF Idempotency-Key draft). Scope: (merchant, mode, key).
 * The claim is an INSERT guarded by the primary key, so N concurrent identical requests run the
 * operation exactly once; the rest get 409 while it runs and the stored response afterwards.
 */
export class IdempotencyService {
  constructor(
    private readonly db: Database,
    /** Told after a committed operation, so the outbox relay publishes its events at once. */
    private readonly afterCommit: () => void = () => {},
  ) {}

  /** Fingerprint of a request: method, path and exact body bytes. */
  static fingerprint(method: string, path: string, body: string): string {
    return createHash('sha256').update(`${method.toUpperCase()} ${path}\n`).update(body).digest('hex');
  }

  /**
   * Runs `operation` once per key. The key is claimed first (so a concurrent duplicate gets 409);
   * then the operation's writes and its 2xx response are committed together in one transaction, so
   * a crash can never leave a payment without its stored response. Anything else (or a throw)
   * rolls back and releases the key so the client may retry.
   */
  async run(
    principal: Principal,
    key: string,
    fingerprint: string,
    operation: (tx: SqlEntityManager | undefined) => Promise<StoredResponse>,
    options: { transactional?: boolean } = {},
  ): Promise<IdempotentResult> {
    const scope = [principal.merchantId, principal.livemode, key] as const;
    const em = this.db.em.fork();
    const now = new Date();
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
      [
        ...scope,
        fingerprint,
        now,
        now,
        new Date(now.getTime() + TTL_MS),
        new Date(now.getTime() - ABANDONED_MS),
      ],
    );
    if (claimed.length === 0) {
      const [row] = await em.execute<
        { fingerprint: string; state: string; response_status: number; response_body: string }[]
      >(
        `select fingerprint, state, response_status, response_body from idempotency_key
          where merchant_id = ? and livemode = ? and key = ?`,
        [...scope],
      );
      if (!row) return this.run(principal, key, fingerprint, operation); // expired and pruned meanwhile
      if (row.fingerprint !== fingerprint)
        throw new TillError(
          ErrorCode.IdempotencyMismatch,
          'This Idempotency-Key was already used with a different request (method, path or body). Use a new key for a new request.',
          'Idempotency-Key',
        );
      if (row.state === 'running')
        throw new TillError(
          ErrorCode.IdempotencyInProgress,
          'A request with this Idempotency-Key is still being processed. Retry after it completes.',
          'Idempotency-Key',
        );
      return { status: row.response_status, body: row.response_body, replayed: true };
    }

    let response: StoredResponse;
    try {
      const store = async (tx: SqlEntityManager | undefined, em: SqlEntityManager) => {
        const result = await operation(tx);
        if (result.status < 200 || result.status >= 300) throw new NotStored(result);
        await em.execute(
          `update idempotency_key set state = 'done', response_status = ?, response_body = ?
            where merchant_id = ? and livemode = ? and key = ?`,
          [result.status, result.body, ...scope],
        );
        return result;
      };
      // `transactional`: the operation writes only through `tx`, so its writes and the stored response
      // commit together. Otherwise it runs on its own (its services' claim-then-record steps keep it
      // safe): an operation that opened its own connections inside the transaction would wait forever
      // on PGlite, whose one connection the transaction holds.
      response = options.transactional
        ? await this.db.em.fork().transactional((tx) => store(tx, tx))
        : await store(undefined, this.db.em.fork());
    } catch (error) {
      await this.release(scope);
      if (error instanceof NotStored) return { ...error.response, replayed: false };
      throw error;
    }
    this.afterCommit();
    return { ...response, replayed: false };
  }

  private async release(scope: readonly [string, boolean, string]): Promise<void> {
    await this.db.em
      .fork()
      .execute(
        `delete from idempotency_key where merchant_id = ? and livemode = ? and key = ? and state = 'running'`,
        [...scope],
      );
  }

  /** Deletes keys past their 24 hours. Returns how many. */
  async prune(now = new Date()): Promise<number> {
    const res = await this.db.em
      .fork()
      .execute<{ affectedRows: number }>('delete from idempotency_key where expires_at <= ?', [now], 'run');
    return res.affectedRows ?? 0;
  }
}

/** A non-2xx answer: its transaction rolls back and nothing is stored. */
class NotStored extends Error {
  constructor(readonly response: StoredResponse) {
    super('not stored');
  }
}
