import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('defaults to the embedded database, in-process pub/sub and port 4000', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:4000',
      redisUrl: null,
      hppSessionTtlSeconds: 3600,
    });
    expect(c.database.kind).toBe('embedded');
  });
  it('switches to PostgreSQL and Redis by URL, and trims PUBLIC_URL', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/till',
      REDIS_URL: 'redis://r:6379',
      PUBLIC_URL: 'https://pay.example.com/',
    });
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgres://u:p@db:5432/till' });
    expect(c.redisUrl).toBe('redis://r:6379');
    expect(c.publicUrl).toBe('https://pay.example.com');
  });
  it('names every bad value in one error', () => {
    try {
      loadConfig({
        PORT: '70000',
        REDIS_URL: 'http://x',
        ADMIN_TOKEN: 'short',
        NODE_ENV: 'staging',
        PUBLIC_URL: 'nope',
      });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toHaveLength(5);
    }
  });
  it('rate limits: defaults like the larger gateways, each overridable, bad values named', () => {
    expect(loadConfig({}).rateLimits).toEqual({
      apiTestPerSecond: 25,
      apiLivePerSecond: 100,
      apiWindowSeconds: 1,
      loginMaxFailures: 5,
      loginMaxFailuresPerAddress: 100,
      checkoutDeclinesPerMerchantPerMinute: 30,
      keyPrefix: 'till:rl',
    });
    expect(loadConfig({ API_RATE_LIMIT_TEST: '3', API_RATE_LIMIT_LIVE: '7' }).rateLimits).toMatchObject({
      apiTestPerSecond: 3,
      apiLivePerSecond: 7,
    });
    for (const env of [
      { API_RATE_LIMIT_TEST: '0' },
      { LOGIN_MAX_FAILURES: '1' },
      { CHECKOUT_DECLINES_PER_MERCHANT: 'many' },
      { RATE_LIMIT_KEY_PREFIX: 'has space' },
    ])
      expect(() => loadConfig(env)).toThrow(ConfigError);
  });
  it('TRUST_PROXY: off by default; a hop count or a list of proxy addresses; never a blanket "true"', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,loopback, fd00::/8' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      'loopback',
      'fd00::/8',
    ]);
    for (const bad of ['true', '10.0.0.0/33', 'proxy.example.com', '::1/129'])
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY/);
  });
});

describe('loadConfig: encryption key and admin token', () => {
  const key = Buffer.alloc(32, 5);
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it('uses the key file of DATA_DIR unless TILL_ENCRYPTION_KEY is set', () => {
    expect(loadConfig({}).encryption).toBeNull();
    const c = loadConfig({ TILL_ENCRYPTION_KEY: key.toString('hex') });
    expect(c.encryption?.keys.map((k) => k.key)).toEqual([key]);
    expect(loadConfig({ TILL_ENCRYPTION_KEY: `main:${key.toString('base64')}` }).encryption?.currentKid).toBe(
      'main',
    );
  });

  it('requires TILL_ENCRYPTION_KEY with DATABASE_URL in production, and only there', () => {
    const server = { DATABASE_URL: 'postgres://u:p@db:5432/till' };
    expect(problemsOf({ ...server, NODE_ENV: 'production' })).toEqual([
      expect.stringContaining('TILL_ENCRYPTION_KEY is required with DATABASE_URL in production'),
    ]);
    expect(
      problemsOf({ ...server, NODE_ENV: 'production', TILL_ENCRYPTION_KEY: key.toString('base64') }),
    ).toEqual([]);
    expect(problemsOf({ ...server })).toEqual([]);
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([]);
  });

  it('refuses a malformed key without quoting it', () => {
    const malformed: Record<string, string>[] = [
      { TILL_ENCRYPTION_KEY: 'too-short-to-be-a-key' },
      { TILL_ENCRYPTION_KEY: Buffer.alloc(31).toString('hex') },
      { TILL_ENCRYPTION_KEY: `bad kid:${key.toString('hex')}` },
      { TILL_ENCRYPTION_KEY: key.toString('hex'), TILL_ENCRYPTION_PREVIOUS_KEYS: 'nope-not-a-key' },
      {
        TILL_ENCRYPTION_KEY: `a:${key.toString('hex')}`,
        TILL_ENCRYPTION_PREVIOUS_KEYS: `a:${key.toString('hex')}`,
      },
      { TILL_ENCRYPTION_PREVIOUS_KEYS: key.toString('hex') },
    ];
    for (const env of malformed) {
      const problems = problemsOf(env);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/TILL_ENCRYPTION_(PREVIOUS_)?KEY/);
      for (const value of Object.values(env)) expect(problems[0]).not.toContain(value);
    }
  });

  it('asks for an admin token of 32 characters in production, 16 elsewhere', () => {
    expect(problemsOf({ NODE_ENV: 'production', ADMIN_TOKEN: 'x'.repeat(31) })).toEqual([
      'ADMIN_TOKEN must be at least 32 characters in production',
    ]);
    expect(problemsOf({ NODE_ENV: 'production', ADMIN_TOKEN: 'x'.repeat(32) })).toEqual([]);
    expect(problemsOf({ ADMIN_TOKEN: 'x'.repeat(16) })).toEqual([]);
    expect(problemsOf({ ADMIN_TOKEN: 'x'.repeat(15) })).toEqual([
      'ADMIN_TOKEN must be at least 16 characters',
    ]);
  });
});

describe('loadConfig: webhook delivery', () => {
  it('defaults to 5 s to connect, 10 s to answer, 2 attempts per endpoint, 10 per merchant, 16 endpoints', () => {
    expect(loadConfig({}).webhooks).toMatchObject({
      allowPrivateNetworks: false,
      connectTimeoutMs: 5000,
      responseTimeoutMs: 10_000,
      maxInFlightPerEndpoint: 2,
      maxInFlightPerMerchant: 10,
      maxEndpoints: 16,
    });
    expect(
      loadConfig({
        WEBHOOK_CONNECT_TIMEOUT_MS: '800',
        WEBHOOK_RESPONSE_TIMEOUT_MS: '1500',
        WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: '1',
        WEBHOOK_MAX_IN_FLIGHT_PER_MERCHANT: '4',
        WEBHOOK_MAX_ENDPOINTS: '3',
      }).webhooks,
    ).toMatchObject({
      connectTimeoutMs: 800,
      responseTimeoutMs: 1500,
      maxInFlightPerEndpoint: 1,
      maxInFlightPerMerchant: 4,
      maxEndpoints: 3,
    });
  });
  it('still reads WEBHOOK_TIMEOUT_MS as the deadline of both phases when they are not given', () => {
    expect(loadConfig({ WEBHOOK_TIMEOUT_MS: '400' }).webhooks).toMatchObject({
      connectTimeoutMs: 400,
      responseTimeoutMs: 400,
    });
    expect(loadConfig({ WEBHOOK_TIMEOUT_MS: '15000' }).webhooks).toMatchObject({
      connectTimeoutMs: 5000,
      responseTimeoutMs: 15_000,
    });
    expect(
      loadConfig({ WEBHOOK_TIMEOUT_MS: '400', WEBHOOK_RESPONSE_TIMEOUT_MS: '900' }).webhooks,
    ).toMatchObject({ connectTimeoutMs: 400, responseTimeoutMs: 900 });
  });
  it('names bad webhook limits', () => {
    for (const env of [
      { WEBHOOK_CONNECT_TIMEOUT_MS: '0' },
      { WEBHOOK_RESPONSE_TIMEOUT_MS: 'soon' },
      { WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: '0' },
      { WEBHOOK_MAX_IN_FLIGHT_PER_MERCHANT: '-1' },
      { WEBHOOK_MAX_ENDPOINTS: '1.5' },
    ])
      expect(() => loadConfig(env)).toThrow(new RegExp(Object.keys(env)[0]!));
  });
});
