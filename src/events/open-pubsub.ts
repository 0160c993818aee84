import { pubsubKind, type Config } from '../config.js';
import { PostgresPubSub } from './pg-pubsub.js';
import { InProcessPubSub, RedisPubSub, type PubSub } from './pubsub.js';

/** Opens the pub/sub the config calls for (see `pubsubKind`); rejects if its server cannot be reached. */
export async function openPubSub(config: Pick<Config, 'redisUrl' | 'database'>): Promise<PubSub> {
  switch (pubsubKind(config)) {
    case 'redis':
      return new RedisPubSub(config.redisUrl!).connect();
    case 'postgres':
      return new PostgresPubSub((config.database as { url: string }).url).connect();
    default:
      return new InProcessPubSub();
  }
}

/**
 * The readiness check of the pub/sub the config calls for, by the name `/readyz` reports it under:
 * `redis`, or `listen` for PostgreSQL's LISTEN/NOTIFY (the database itself is checked on its own);
 * none in process.
 */
export function pubsubChecks(
  config: Pick<Config, 'redisUrl' | 'database'>,
  pubsub: PubSub,
): Record<string, () => Promise<boolean>> {
  switch (pubsubKind(config)) {
    case 'redis':
      return { redis: () => pubsub.ping() };
    case 'postgres':
      return { listen: () => pubsub.ping() };
    default:
      return {};
  }
}
