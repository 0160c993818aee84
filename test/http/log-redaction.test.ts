import { redactingStream, secretScrubber } from '../../src/http/log-redaction.js';

describe('log redaction (every log line passes one scrubber)', () => {
  const admin = 'an-admin-token-with-"quotes"-0123456789';
  const scrub = secretScrubber([admin, 'short']);

  it.each([
    ['a hosted page URL token', '/hpp/payment/Tok3nSecretPart/AbCdEfGhIjKlMnOpQrSt', 'Tok3nSecretPart'],
    ['a secret key', 'key api_test_sk_0123456789abcdefghijABCDEFGHIJ01 refused', '0123456789abcdefghij'],
    ['a live secret key', 'api_live_sk_0123456789abcdefghijABCDEFGHIJ01', '0123456789abcdefghij'],
    ['a webhook secret', 'secret whsec_c2VjcmV0K3NlY3JldC9zZWNyZXQ= here', 'c2VjcmV0K3NlY3JldC9zZWNyZXQ='],
    ['a bearer token', 'upstream said: Authorization: Bearer abc.def-ghi', 'abc.def-ghi'],
    ['an api dialect key', 'x-api-key api_key_0123456789abcdefghij', '0123456789abcdefghij'],
    ['a JWT', 'token eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJtZXIifQ.c2lnbmF0dXJl', 'c2lnbmF0dXJl'],
    ['the admin token', `given ${admin}`, admin],
  ])('removes %s', (_what, text, secret) => {
    expect(scrub(text)).not.toContain(secret);
    expect(scrub(text)).toContain('[redacted]');
  });

  it('keeps what is not secret: publishable keys, ids, short literals, the rest of the URL', () => {
    const line = 'api_test_pk_0123456789abcdefghijABCDEFGHIJ01 pay_123 short /hpp/payment/Tok/Session1';
    expect(scrub(line)).toBe(
      'api_test_pk_0123456789abcdefghijABCDEFGHIJ01 pay_123 short /hpp/payment/[redacted]/Session1',
    );
  });

  it('stays fast on hostile lines (what a client sends ends up in the log)', () => {
    const hostile = [
      'a'.repeat(200_000),
      'eyJ-'.repeat(50_000),
      '_sk'.repeat(70_000),
      'Bearer '.repeat(30_000),
    ];
    // The fastest of three runs: a loaded machine may pause one run, backtracking slows every run.
    const runs = Array.from({ length: 3 }, () => {
      const started = performance.now();
      for (const line of hostile) scrub(line);
      return performance.now() - started;
    });
    expect(Math.min(...runs)).toBeLessThan(500);
  });

  it('leaves a JSON log line valid JSON, secrets inside strings included', () => {
    const written: string[] = [];
    const stream = redactingStream({ write: (chunk: string) => written.push(chunk) }, [admin]);
    const record = {
      level: 30,
      req: { url: '/hpp/payment/Tok3n/AbCdEfGhIjKlMnOpQrSt?x=api_test_sk_0123456789abcdefghij0123456789AB' },
      msg: `failed: Bearer ${admin} and "Bearer quoted" whsec_abc/def+==`,
    };
    stream.write(`${JSON.stringify(record)}\n`);
    const parsed = JSON.parse(written[0]!);
    expect(parsed.req.url).toBe('/hpp/payment/[redacted]/AbCdEfGhIjKlMnOpQrSt?x=api_test_sk_[redacted]');
    expect(parsed.msg).toBe('failed: Bearer [redacted] and "Bearer [redacted]" whsec_[redacted]');
  });
});
