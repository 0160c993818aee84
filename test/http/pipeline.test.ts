import { ErrorCode, RateLimitError, TillError } from '../../src/domain/errors.js';
import { listWindow, parseListQuery, unknownCursor } from '../../src/http/list-params.js';
import { bodyParams, minorUnitsParam, objectBody, textParam } from '../../src/http/pipeline/body-params.js';
import type { ApiRateLimit } from '../../src/services/api-rate-limit.js';
import { authenticate, type Authenticator, type CredentialPolicy } from '../../src/services/authenticator.js';
import type { Sealer } from '../../src/crypto/sealing.js';
import type { Database } from '../../src/db/orm.js';
import {
  IdempotencyService,
  requestFingerprint,
  type IdempotentRequest,
} from '../../src/services/idempotency.js';
import type { Principal } from '../../src/services/principal.js';
import type { LimitDecision } from '../../src/services/rate-limits.js';

/** A function that records the arguments of each call. */
function spy<A extends unknown[], R>(impl: (...args: A) => R): ((...args: A) => R) & { calls: A[] } {
  const calls: A[] = [];
  return Object.assign(
    (...args: A) => {
      calls.push(args);
      return impl(...args);
    },
    { calls },
  );
}

const principal: Principal = { merchantId: 'mer_1', livemode: false, credentialId: 'key_1' };

/** The TillError `fn` throws (fails the test when it throws nothing, or something else). */
function refusal(fn: () => unknown): TillError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TillError);
    return error as TillError;
  }
  throw new Error('expected a TillError');
}

async function refusalOf(promise: Promise<unknown>): Promise<TillError> {
  const error = await promise.then(
    () => new Error('expected a TillError'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TillError);
  return error as TillError;
}

describe('requestFingerprint', () => {
  const body = { amount: 2500, currency: 'EUR', metadata: { b: 1, a: [1, 2] } };

  it('is the same for the same parameters in another key order or spacing', () => {
    const reordered = JSON.parse(
      '{ "metadata": {"a": [1, 2], "b": 1},\n "currency": "EUR", "amount": 2500 }',
    );
    expect(requestFingerprint('POST /v1/payments/hpp', reordered)).toBe(
      requestFingerprint('POST /v1/payments/hpp', body),
    );
  });

  it('differs for another value, an added parameter, another operation, or array order', () => {
    const base = requestFingerprint('POST /v1/payments/hpp', body);
    expect(requestFingerprint('POST /v1/payments/hpp', { ...body, amount: 2501 })).not.toBe(base);
    expect(requestFingerprint('POST /v1/payments/hpp', { ...body, description: 'x' })).not.toBe(base);
    expect(requestFingerprint('POST /v1/payments/pay_1/cancel', body)).not.toBe(base);
    expect(requestFingerprint('POST /v1/payments/hpp', { ...body, metadata: { b: 1, a: [2, 1] } })).not.toBe(
      base,
    );
  });

  it('treats no body and a JSON null body alike, and unlike an empty object', () => {
    expect(requestFingerprint('POST /x', undefined)).toBe(requestFingerprint('POST /x', null));
    expect(requestFingerprint('POST /x', {})).not.toBe(requestFingerprint('POST /x', undefined));
  });

  it('refuses text that cannot be canonicalised as a bad request', () => {
    const error = refusal(() => requestFingerprint('POST /x', { name: '\ud800' }));
    expect(error.code).toBe(ErrorCode.InvalidRequest);
  });
});

describe('IdempotencyService.perform: the key rules, before any database work', () => {
  // Every case here is refused or run without a key, so the database is never reached.
  const unreachable = new Proxy({} as Database, {
    get: () => {
      throw new Error('the database was touched');
    },
  });
  const service = new IdempotencyService(unreachable, {} as Sealer);
  const request = (over: Partial<IdempotentRequest>): IdempotentRequest => ({
    principal,
    key: undefined,
    required: true,
    keyField: 'Idempotency-Key',
    operation: 'POST /v1/payments/hpp',
    params: {},
    ...over,
  });
  const ok = async (_tx?: unknown) => ({ status: 200, body: '{"ok":true}' });

  it('refuses a missing key where one is required, naming the field', async () => {
    const error = await refusalOf(service.perform(request({}), ok));
    expect(error).toMatchObject({ code: ErrorCode.InvalidRequest, field: 'Idempotency-Key' });
  });

  it('runs a request without a key once where the key is optional', async () => {
    const operation = spy(ok);
    await expect(service.perform(request({ required: false }), operation)).resolves.toEqual({
      status: 200,
      body: '{"ok":true}',
      replayed: false,
    });
    expect(operation.calls).toEqual([[undefined]]);
  });

  it.each([
    ['a repeated key', ['a', 'b']],
    ['an empty key', ''],
    ['a key too long', 'k'.repeat(256)],
    ['a key with a space', 'a b'],
    ['a key not in ASCII', 'clé'],
  ])('refuses %s in the surface’s field, running nothing', async (_name, key) => {
    const operation = spy(ok);
    const error = await refusalOf(
      service.perform(request({ key, required: false, keyField: 'idempotencyKey' }), operation),
    );
    expect(error).toMatchObject({ code: ErrorCode.InvalidRequest, field: 'idempotencyKey' });
    expect(operation.calls).toEqual([]);
  });
});

describe('authenticate', () => {
  const rate: LimitDecision = {
    allowed: true,
    limit: 25,
    windowSec: 1,
    remaining: 24,
    consumed: 1,
    resetSec: 1,
  } as LimitDecision;
  const gate = (verified: Principal | null, decision: Partial<LimitDecision> = {}) => {
    const bearer = spy(async (..._args: unknown[]) => verified);
    const enforce = spy(async (..._args: unknown[]) => {
      const d = { ...rate, ...decision };
      if (!d.allowed) throw new RateLimitError('Too many requests', d);
      return d;
    });
    return {
      auth: { bearer } as unknown as Authenticator,
      rateLimit: { enforce } as unknown as ApiRateLimit,
      bearer,
      enforce,
    };
  };
  const policy: CredentialPolicy = {
    accepted: ['secret_key'],
    missing: 'No key.',
    invalid: 'Bad key.',
    field: 'Authorization',
  };

  it('returns the principal and its rate, passing the accepted kinds and the request id', async () => {
    const g = gate(principal);
    await expect(
      authenticate(g, { authorization: 'Bearer api_test_sk_x', requestId: 'req-1' }, policy),
    ).resolves.toEqual({ principal, rate });
    expect(g.bearer.calls).toEqual([['Bearer api_test_sk_x', ['secret_key'], 'req-1']]);
    expect(g.enforce.calls).toEqual([[principal]]);
  });

  it.each([undefined, ''])(
    'refuses a missing credential (%p) in the surface’s words',
    async (authorization) => {
      const g = gate(principal);
      const error = await refusalOf(authenticate(g, { authorization, requestId: null }, policy));
      expect(error).toMatchObject({
        code: ErrorCode.Unauthenticated,
        message: 'No key.',
        field: 'Authorization',
      });
      expect(g.bearer.calls).toEqual([]);
    },
  );

  it('lets an anonymous request through only where the policy has no wording for it', async () => {
    const g = gate(principal);
    await expect(
      authenticate(g, { authorization: undefined, requestId: null }, { ...policy, missing: null }),
    ).resolves.toBeNull();
    expect(g.enforce.calls).toEqual([]);
  });

  it('refuses a credential that does not verify, counting nothing', async () => {
    const g = gate(null);
    const error = await refusalOf(authenticate(g, { authorization: 'Bearer nope', requestId: null }, policy));
    expect(error).toMatchObject({ code: ErrorCode.Unauthenticated, message: 'Bad key.' });
    expect(g.enforce.calls).toEqual([]);
  });

  it('refuses a caller over its rate with the RateLimitError', async () => {
    const g = gate(principal, { allowed: false, remaining: 0 });
    const error = await refusalOf(authenticate(g, { authorization: 'Bearer k', requestId: null }, policy));
    expect(error).toBeInstanceOf(RateLimitError);
  });
});

describe('listWindow and parseListQuery', () => {
  const names = { limit: 'first', cursor: 'after' };

  it('defaults the page size and bounds it, naming the surface’s parameter', () => {
    expect(listWindow({ limit: undefined, cursor: null }, names)).toEqual({ limit: 10, startingAfter: null });
    expect(listWindow({ limit: 100, cursor: undefined }, names).limit).toBe(100);
    for (const limit of [0, 101, -1, 2.5, NaN])
      expect(refusal(() => listWindow({ limit, cursor: null }, names))).toMatchObject({
        field: 'first',
        message: 'first must be an integer from 1 to 100',
      });
  });

  it('decodes the cursor, refusing one that does not decode', () => {
    const decodeCursor = (c: string) => (c.startsWith('ok:') ? c.slice(3) : null);
    expect(listWindow({ limit: 5, cursor: 'ok:pay_1' }, names, { decodeCursor }).startingAfter).toBe('pay_1');
    expect(refusal(() => listWindow({ limit: 5, cursor: 'junk' }, names, { decodeCursor }))).toMatchObject({
      field: 'after',
    });
  });

  it('reads REST limit, starting_after and filters, refusing what is not digits, unknown or repeated', () => {
    expect(parseListQuery({ limit: '20', starting_after: 'pay_1', status: 'PENDING' }, ['status'])).toEqual({
      limit: 20,
      startingAfter: 'pay_1',
      filters: { status: 'PENDING' },
    });
    expect(parseListQuery({}, [], { fallback: 20 }).limit).toBe(20);
    for (const limit of ['1e1', ' 5', '0x10', '', '101'])
      expect(refusal(() => parseListQuery({ limit }, []))).toMatchObject({ field: 'limit' });
    expect(refusal(() => parseListQuery({ colour: 'red' }, []))).toMatchObject({ field: 'colour' });
    expect(refusal(() => parseListQuery({ limit: ['1', '2'] }, []))).toMatchObject({ field: 'limit' });
  });

  it('turns a cursor that names nothing into a bad starting_after, and passes other errors on', () => {
    expect(
      refusal(() => unknownCursor('payment', 'pay_x')(new TillError(ErrorCode.NotFound, 'gone'))),
    ).toMatchObject({
      code: ErrorCode.InvalidRequest,
      field: 'starting_after',
      message: "starting_after: no such payment 'pay_x'",
    });
    const other = new Error('boom');
    expect(() => unknownCursor('payment', null)(other)).toThrow(other);
  });
});

describe('body parameters', () => {
  it('takes no body as no parameters and refuses a body that is not an object', () => {
    expect(objectBody(undefined)).toEqual({});
    expect(objectBody(null)).toEqual({});
    for (const body of ['text', 5, [1]])
      expect(refusal(() => objectBody(body))).toMatchObject({ field: 'body' });
  });

  it('refuses an unknown parameter by name', () => {
    expect(bodyParams({ amount: 1 }, ['amount'])).toEqual({ amount: 1 });
    expect(refusal(() => bodyParams({ amount: 1, colour: 'red' }, ['amount']))).toMatchObject({
      field: 'colour',
      message: 'Received unknown parameter: colour',
    });
  });

  it('reads an amount in integer minor units; null only where it means "not given"', () => {
    expect(minorUnitsParam({ amount: 250 }, 'amount')).toBe(250);
    expect(minorUnitsParam({}, 'amount')).toBeUndefined();
    expect(minorUnitsParam({ amount: null }, 'amount', { nullIsAbsent: true })).toBeUndefined();
    for (const amount of [null, 2.5, '250', true])
      expect(refusal(() => minorUnitsParam({ amount }, 'amount'))).toMatchObject({
        field: 'amount',
        message: 'amount must be an integer number of minor units',
      });
  });

  it('reads optional text', () => {
    expect(textParam({ reason: 'duplicate' }, 'reason')).toBe('duplicate');
    expect(textParam({}, 'reason')).toBeUndefined();
    expect(refusal(() => textParam({ reason: 5 }, 'reason'))).toMatchObject({ field: 'reason' });
  });
});
