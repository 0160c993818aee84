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
