import { createHash } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { isSealed, type Sealer } from '../crypto/sealing.js';
import type { Database } from '../db/orm.js';
import { sealedFor } from '../db/sealed-columns.js';
import { ErrorCode, TillError } from '../domain/errors.js';
import { LIMITS } from '../domain/payment.js';
import type { Principal } from './principal.js';

/** A response as the surface will send it, byte for byte. */
export interface StoredResponse {
  status: number;
  body: string;
  /** The body carries a secret shown once (a new webhook secret, a checkout URL token): stored sealed. */
  secret?: boolean;
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
    private readonly sealer: Sealer,
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
    return options.transactional
      ? this.runInOneTransaction(principal, key, fingerprint, operation)
      : this.runClaimed(principal, key, fingerprint, operation);
  }

  /**
   * For operations that write only through `tx`: the key's lock, the operation's writes and the
   * stored response are one transaction (one commit — the create path's speed depends on it). A
   * transaction-scoped advisory lock on the key answers a concurrent duplicate with 409 at once; a
   * crash rolls everything back, leaving neither a payment nor a key.
   */
  private async runInOneTransaction(
    principal: Principal,
    key: string,
    fingerprint: string,
    operation: (tx: SqlEntityManager) => Promise<StoredResponse>,
  ): Promise<IdempotentResult> {
    const scope = [principal.merchantId, principal.livemode, key] as const;
    const lockId = BigInt.asIntN(
      64,
      BigInt(`0x${createHash('sha256').update(scope.join('\u0000')).digest('hex').slice(0, 16)}`),
    );
    const now = new Date();
    let outcome: IdempotentResult;
    try {
      outcome = await this.db.em.fork().transactional(async (tx) => {
        const [lock] = await tx.execute<{ ok: boolean }[]>(
          'select pg_try_advisory_xact_lock(?::bigint) as ok',
          [lockId.toString()],
        );
        if (!lock?.ok) throw inProgress();
        const [row] = await tx.execute<StoredRow[]>(
          `select fingerprint, state, response_status, response_body, locked_at, expires_at from idempotency_key
            where merchant_id = ? and livemode = ? and key = ?`,
          [...scope],
        );
        if (row && new Date(row.expires_at) > now) {
          if (row.fingerprint !== fingerprint) throw mismatch();
          if (row.state === 'done') return this.replay(scope, row);
          if (new Date(row.locked_at).getTime() > now.getTime() - ABANDONED_MS) throw inProgress();
          // else: a claim left by a request that died; this one takes over.
        }
        const result = await operation(tx);
        if (result.status < 200 || result.status >= 300) throw new NotStored(result);
        await tx.execute(
          `insert into idempotency_key (merchant_id, livemode, key, fingerprint, state, response_status, response_body,
             locked_at, created_at, expires_at)
           values (?, ?, ?, ?, 'done', ?, ?, ?, ?, ?)
           on conflict (merchant_id, livemode, key) do update
             set fingerprint = excluded.fingerprint, state = 'done', response_status = excluded.response_status,
                 response_body = excluded.response_body, locked_at = excluded.locked_at,
                 created_at = excluded.created_at, expires_at = excluded.expires_at`,
          [
            ...scope,
            fingerprint,
            result.status,
            this.stored(scope, result),
            now,
            now,
            new Date(now.getTime() + TTL_MS),
          ],
        );
        return { status: result.status, body: result.body, replayed: false };
      });
    } catch (error) {
      if (error instanceof NotStored) return { ...error.response, replayed: false };
      throw error;
    }
    if (!outcome.replayed) this.afterCommit();
    return outcome;
  }

  /**
   * For operations with their own claim-then-record steps (processor calls must not run inside a
   * transaction: on PGlite it would hold the only connection): the key is claimed by a committed
   * `running` row, so a duplicate gets 409 while the operation runs; the response is stored after.
   */
  private async runClaimed(
    principal: Principal,
    key: string,
    fingerprint: string,
    operation: (tx: undefined) => Promise<StoredResponse>,
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
      const [row] = await em.execute<StoredRow[]>(
        `select fingerprint, state, response_status, response_body, locked_at, expires_at from idempotency_key
          where merchant_id = ? and livemode = ? and key = ?`,
        [...scope],
      );
      if (!row) return this.runClaimed(principal, key, fingerprint, operation); // expired and pruned meanwhile
      if (row.fingerprint !== fingerprint) throw mismatch();
      if (row.state === 'running') throw inProgress();
      return this.replay(scope, row);
    }
    let response: StoredResponse;
    try {
      response = await operation(undefined);
      if (response.status < 200 || response.status >= 300) throw new NotStored(response);
      await em.execute(
        `update idempotency_key set state = 'done', response_status = ?, response_body = ?
          where merchant_id = ? and livemode = ? and key = ?`,
        [response.status, this.stored(scope, response), ...scope],
      );
    } catch (error) {
      await this.release(scope);
      if (error instanceof NotStored) return { ...error.response, replayed: false };
      throw error;
    }
    this.afterCommit();
    return { status: response.status, body: response.body, replayed: false };
  }

  /** The body as stored: sealed for its key when it carries a secret. */
  private stored(scope: Scope, response: StoredResponse): string {
    return response.secret
      ? this.sealer.seal(response.body, sealedFor.idempotentResponse(...scope))
      : response.body;
  }

  /** A stored response, replayed byte for byte. */
  private replay(scope: Scope, row: StoredRow): IdempotentResult {
    const body = isSealed(row.response_body)
      ? this.sealer.open(row.response_body, sealedFor.idempotentResponse(...scope))
      : row.response_body;
    return { status: row.response_status, body, replayed: true };
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

type Scope = readonly [merchantId: string, livemode: boolean, key: string];

interface StoredRow {
  fingerprint: string;
  state: string;
  response_status: number;
  response_body: string;
  locked_at: Date | string;
  expires_at: Date | string;
}

const mismatch = () =>
  new TillError(
    ErrorCode.IdempotencyMismatch,
    'This Idempotency-Key was already used with a different request (method, path or body). Use a new key for a new request.',
    'Idempotency-Key',
  );

const inProgress = () =>
  new TillError(
    ErrorCode.IdempotencyInProgress,
    'A request with this Idempotency-Key is still being processed. Retry after it completes.',
    'Idempotency-Key',
  );
