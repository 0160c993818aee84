import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { RedisPubSub } from '../../src/events/pubsub.js';
import { describeServer, serverUrls } from '../support/services.js';

describeServer('Redis pub/sub', () => {
  let pubsub: RedisPubSub;
  let publisher: Redis;

  beforeAll(async () => {
    pubsub = await new RedisPubSub(serverUrls.redis!).connect();
    publisher = new Redis(serverUrls.redis!);
  });
  afterAll(async () => {
    await pubsub.close();
    publisher.disconnect();
  });

  it('tells a second listener it is live only once Redis has confirmed the topic', async () => {
    for (let round = 0; round < 25; round++) {
      const topic = `test:${randomUUID()}`;
      const first: string[] = [];
      const second: string[] = [];
      // The first listener's SUBSCRIBE is still on its way when the second one arrives.
      const firstReady = pubsub.subscribe(topic, (m) => first.push(m));
      const stopSecond = await pubsub.subscribe(topic, (m) => second.push(m));
      // Published from another connection the moment the second is told it is live: it must arrive.
      await publisher.publish(topic, `m${round}`);
      const stopFirst = await firstReady;
      const deadline = Date.now() + 2000;
      while ((first.length === 0 || second.length === 0) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
      expect(second).toEqual([`m${round}`]);
      expect(first).toEqual([`m${round}`]);
      await stopSecond();
      await stopFirst();
    }
  });

  it('stops delivering to a listener that left, and keeps the topic for the others', async () => {
    const topic = `test:${randomUUID()}`;
    const kept: string[] = [];
    const left: string[] = [];
    const stopKept = await pubsub.subscribe(topic, (m) => kept.push(m));
    const stopLeft = await pubsub.subscribe(topic, (m) => left.push(m));
    await stopLeft();
    await publisher.publish(topic, 'after');
    const deadline = Date.now() + 2000;
    while (kept.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(kept).toEqual(['after']);
    expect(left).toEqual([]);
    await stopKept();
  });
});
