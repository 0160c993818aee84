import pg from 'pg';
import { Redis } from 'ioredis';
import { randomBase62 } from '../../src/domain/ids.js';
import { describeWhen } from './ci.js';

/**
 * The real PostgreSQL and Redis the server-mode tests run against. Set TEST_DATABASE_URL and
 * TEST_REDIS_URL (`.ci/services.sh` starts both). Locally a missing service skips those suites
 * with a message; in CI (`CI` set to anything but `false` or `0`) it is a failure.
 */
export const serverUrls = {
  database: process.env.TEST_DATABASE_URL ?? null,
  redis: process.env.TEST_REDIS_URL ?? null,
};

async function reachable(): Promise<string | null> {
  if (!serverUrls.database || !serverUrls.redis)
    return 'TEST_DATABASE_URL and TEST_REDIS_URL are not both set';
  const client = new pg.Client({ connectionString: serverUrls.database, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    return `PostgreSQL at TEST_DATABASE_URL does not answer: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
  const redis = new Redis(serverUrls.redis, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 3000,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    return `Redis at TEST_REDIS_URL does not answer: ${(error as Error).message}`;
  } finally {
    redis.disconnect();
  }
  return null;
}

const problem = await reachable();

/** True when PostgreSQL and Redis are there; false (and warned) only outside CI. */
export const serverServicesAvailable = problem === null;

/** Suites that run only against PostgreSQL + Redis. */
export const describeServer = describeWhen(serverServicesAvailable, `the server-mode services (${problem})`);

/** A fresh database on the test PostgreSQL server, dropped by the returned function. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `till_test_${randomBase62(10).toLowerCase()}`;
  const admin = new pg.Client({ connectionString: serverUrls.database! });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrls.database!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrls.database! });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
