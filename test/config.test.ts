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
});
