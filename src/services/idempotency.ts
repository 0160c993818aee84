import { createHash } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import canonicalize from 'canonicalize';
import { isSealed, type Sealer } from '../crypto/sealing.js';
import type { Database } from '../db/orm.js';
import {
  IdempotencyRepository,
  type IdempotencyClaim,
  type IdempotencyRow,
  type IdempotencyScope,
} from '../db/repositories/idempotency.js';
import { sealedFor } from '../db/sealed-columns.js';
import type { Write } from '../db/statements.js';
import { ErrorCode, invalid, TillError } from '../domain/errors.js';
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

/** What an operation answers: its response, and the writes it leaves to the key's statement. */
export interface OperationResult extends StoredResponse {
  /**
   * Only for an operation given a `tx`: writes it has not run, which the key's own statement runs
   * with the stored response (one round trip for both, in the same transaction). An operation run
   * without a transaction writes for itself.
   */
  writes?: readonly Write[];
}

/** An operation run under a key; `tx` is its transaction when it runs in the key's own one. */
export type IdempotentOperation = (tx: SqlEntityManager | undefined) => Promise<OperationResult>;

export interface IdempotencyOptions {
  /**
   * The operation writes only through `tx`: its writes, the key and the stored response commit
   * together. Otherwise the key is claimed first and the response stored after.
   */
  transactional?: boolean;
}

/** One request as every surface hands it to {@link IdempotencyService.perform}. */
export interface IdempotentRequest {
  principal: Principal;
  /** The key as sent: none, one, or several (a repeated header). */
  key: string | readonly string[] | null | undefined;
  /** Whether a request without a key is refused; when not, it simply runs once. */
  required: boolean;
  /** The request field the key travels in, as the surface spells it (for a bad key's error). */
  keyField: string;
  /** What the request does (`POST /v1/payments/hpp`, `graphql createHostedPayment`). */
  operation: string;
  /** The request's parameters: a parsed JSON body, a GraphQL input without its key. */
  params: unknown;
}

const TTL_MS = 24 * 60 * 60 * 1000;
/** A `running` key older than this belongs to a request that died; a retry may take it over. */
const ABANDONED_MS = 60_000;

/** Validates an idempotency key; returns the reason it is bad, or null. */
export function idempotencyKeyProblem(key: string): string | null {
  if (key.length < 1 || key.length > LIMITS.idempotencyKey)
    return `Idempotency-Key must be 1 to ${LIMITS.idempotencyKey} characters`;
  if (!/^[\x21-\x7e]+$/.test(key)) return 'Idempotency-Key must be printable ASCII without spaces';
  return null;
}

/**
 * The one fingerprint of a request, on every surface: SHA-256 over the operation and the RFC 8785
 * canonical JSON of its parameters. Requests are compared by what they ask for, not by their bytes:
 * a body that differs only in whitespace or key order is the same request (a client retrying with
 * a re-serialised body gets its stored response), while any different value, added or missing
 * parameter, or another method or path is a different request.
 */
export function requestFingerprint(operation: string, params: unknown): string {
  let canonical: string;
  try {
    canonical = canonicalize(params) ?? 'null';
  } catch {
    // Only text the surfaces already refuse (an unpaired surrogate) cannot be canonicalised.
    throw invalid('body', 'The request contains text that cannot be compared for idempotency.');
  }
  return createHash('sha256').update(operation).update('\n').update(canonical).digest('hex');
}

/**
 * Idempotency keys (the IETF Idempotency-Key draft). Scope: (merchant, mode, key). Every surface's
 * adapter hands its requests to {@link perform}: the key rules, the fingerprint and the replay are
 * decided here once. A claimed key answers a concurrent duplicate with 409 while it runs and with
 * the stored response afterwards; a key reused for a different request gets 422.
 */
export class IdempotencyService {
  private readonly keys: IdempotencyRepository;

  constructor(
    db: Database,
    private readonly sealer: Sealer,
    /** Told after a committed operation, so the outbox relay publishes its events at once. */
    private readonly afterCommit: () => void = () => {},
  ) {
    this.keys = new IdempotencyRepository(db);
  }

  /**
   * Runs a surface's request: without a key (where allowed) once; with one, checked, fingerprinted
   * and run through {@link run}.
   */
  async perform(
    request: IdempotentRequest,
    operation: IdempotentOperation,
    options: IdempotencyOptions = {},
  ): Promise<IdempotentResult> {
    const { key, keyField } = request;
    if (key === undefined || key === null) {
      if (request.required)
        throw invalid(keyField, 'The Idempotency-Key header is required on POST requests.');
      return { ...withoutWrites(await operation(undefined)), replayed: false };
    }
    if (typeof key !== 'string') throw invalid(keyField, 'Send exactly one Idempotency-Key.');
    const problem = idempotencyKeyProblem(key);
    if (problem) throw invalid(keyField, problem);
    const fingerprint = requestFingerprint(request.operation, request.params);
    return this.run(request.principal, key, fingerprint, operation, options);
  }

  /**
   * Runs `operation` once per key and fingerprint. Only 2xx responses are stored; anything else
   * (or a throw) leaves the key free so the client may retry.
   */
  async run(
    principal: Principal,
    key: string,
    fingerprint: string,
    operation: IdempotentOperation,
    options: IdempotencyOptions = {},
  ): Promise<IdempotentResult> {
    const now = new Date();
    const claim: IdempotencyClaim = {
      scope: [principal.merchantId, principal.livemode, key],
      fingerprint,
      now,
      expiresAt: new Date(now.getTime() + TTL_MS),
    };
    return options.transactional
      ? this.runInOneTransaction(claim, operation)
      : this.runClaimed(claim, operation);
  }

  /**
   * For operations that write only through `tx`: the key's lock, the operation's writes and the
   * stored response are one transaction (one commit — the create path's speed depends on it). A
   * transaction-scoped advisory lock on the key answers a concurrent duplicate with 409 at once; a
   * crash rolls everything back, leaving neither a payment nor a key.
   */
  private async runInOneTransaction(
    claim: IdempotencyClaim,
    operation: IdempotentOperation,
  ): Promise<IdempotentResult> {
    let outcome: IdempotentResult;
    try {
      outcome = await this.keys.fork().transactional(async (tx) => {
        const { locked, row } = await this.keys.lockAndFind(tx, claim.scope);
        if (!locked) throw inProgress();
        if (row && new Date(row.expires_at) > claim.now) {
          if (row.fingerprint !== claim.fingerprint) throw mismatch();
          if (row.state === 'done') return this.replay(claim.scope, row);
          if (new Date(row.locked_at).getTime() > claim.now.getTime() - ABANDONED_MS) throw inProgress();
          // else: a claim left by a request that died; this one takes over.
        }
        const { writes, ...result } = await operation(tx);
        if (result.status < 200 || result.status >= 300) throw new NotStored(result);
        await this.keys.saveDone(
          tx,
          claim,
          { status: result.status, body: this.stored(claim.scope, result) },
          writes,
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
    claim: IdempotencyClaim,
    operation: IdempotentOperation,
  ): Promise<IdempotentResult> {
    const em = this.keys.fork();
    if (!(await this.keys.claim(em, claim, new Date(claim.now.getTime() - ABANDONED_MS)))) {
      const row = await this.keys.find(em, claim.scope);
      if (!row) return this.runClaimed(claim, operation); // expired and pruned meanwhile
      if (row.fingerprint !== claim.fingerprint) throw mismatch();
      if (row.state === 'running') throw inProgress();
      return this.replay(claim.scope, row);
    }
    let response: StoredResponse;
    try {
      response = withoutWrites(await operation(undefined));
      if (response.status < 200 || response.status >= 300) throw new NotStored(response);
      await this.keys.markDone(em, claim.scope, {
        status: response.status,
        body: this.stored(claim.scope, response),
      });
    } catch (error) {
      await this.keys.release(claim.scope);
      if (error instanceof NotStored) return { ...error.response, replayed: false };
      throw error;
    }
    this.afterCommit();
    return { status: response.status, body: response.body, replayed: false };
  }

  /** The body as stored: sealed for its key when it carries a secret. */
  private stored(scope: IdempotencyScope, response: StoredResponse): string {
    return response.secret
      ? this.sealer.seal(response.body, sealedFor.idempotentResponse(...scope))
      : response.body;
  }

  /** A stored response, replayed byte for byte. */
  private replay(scope: IdempotencyScope, row: IdempotencyRow): IdempotentResult {
    const body = isSealed(row.response_body)
      ? this.sealer.open(row.response_body, sealedFor.idempotentResponse(...scope))
      : row.response_body;
    return { status: row.response_status, body, replayed: true };
  }

  /** Deletes keys past their 24 hours. Returns how many. */
  prune(now = new Date()): Promise<number> {
    return this.keys.deleteExpired(now);
  }
}

/** The response of an operation run without a transaction, which must have written for itself. */
function withoutWrites({ writes, ...response }: OperationResult): StoredResponse {
  if (writes?.length) throw new Error('an operation run without a transaction left writes unrun');
  return response;
}

/** A non-2xx answer: its transaction rolls back and nothing is stored. */
class NotStored extends Error {
  constructor(readonly response: StoredResponse) {
    super('not stored');
  }
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
