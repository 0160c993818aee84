import pg from 'pg';
import { channelOf, PostgresPubSub } from '../../src/events/pg-pubsub.js';
import { eventually } from '../support/http.js';
import { createTestDatabase, describeServer } from '../support/services.js';

describeServer('pub/sub over PostgreSQL LISTEN/NOTIFY', () => {
  let url: string;
  let drop: () => Promise<void>;
  const opened: PostgresPubSub[] = [];
  const open = async () => {
    const pubsub = await new PostgresPubSub(url).connect();
    opened.push(pubsub);
    return pubsub;
  };

  beforeAll(async () => {
    ({ url, drop } = await createTestDatabase());
  });
  afterAll(async () => {
    for (const pubsub of opened) await pubsub.close();
    await drop();
  });

  it("carries a message to another instance's subscriber, and to its own subscriber once", async () => {
    const [a, b] = [await open(), await open()];
    const topic = 'till:payments:mer_1:test';
    const onA: string[] = [];
    const onB: string[] = [];
    await a.subscribe(topic, (m) => onA.push(m));
    await b.subscribe(topic, (m) => onB.push(m));
    await a.subscribe('till:payments:mer_2:test', () => onA.push('wrong topic'));

    await a.publish(topic, 'one');
    await a.publish(topic, 'two');
    await a.publish(topic, 'two'); // the same text twice is two messages
    await eventually(() => onB.length === 3);
    await b.publish(topic, 'from b');
    await eventually(() => onA.length === 4);
    await new Promise((r) => setTimeout(r, 100));
    expect(onB).toEqual(['one', 'two', 'two', 'from b']);
    expect(onA).toEqual(['one', 'two', 'two', 'from b']);
  });

  it('a listener that throws keeps neither the other listeners nor the other instance from the message', async () => {
    const [a, b] = [await open(), await open()];
    const topic = 'till:payments:mer_throwing:test';
    const heard: string[] = [];
    await a.subscribe(topic, () => {
      throw new Error('subscriber bug');
    });
    await a.subscribe(topic, (m) => heard.push(`a:${m}`));
    await b.subscribe(topic, (m) => heard.push(`b:${m}`));
    await expect(a.publish(topic, 'm')).resolves.toBeUndefined();
    await eventually(() => heard.length === 2);
    expect(heard.sort()).toEqual(['a:m', 'b:m']);
  });

  it('delivers a message larger than a NOTIFY payload whole, multi-byte characters included', async () => {
    const [a, b] = [await open(), await open()];
    const topic = 'till:payments:mer_big:live';
    const heard: string[] = [];
    await b.subscribe(topic, (m) => heard.push(m));
    // Astral characters (two UTF-16 units, four bytes) and others at every offset of the cuts.
    const big = JSON.stringify({ metadata: 'ab€😀ü'.repeat(6_000), end: 'x' });
    expect(Buffer.byteLength(big)).toBeGreaterThan(50_000);
    await a.publish(topic, big);
    await a.publish(topic, 'small after');
    await eventually(() => heard.length === 2);
    expect(heard[0]).toBe(big);
    expect(heard[1]).toBe('small after');
  });

  it('listens on a valid channel whatever the topic, and stops hearing a topic once unsubscribed', async () => {
    const [a, b] = [await open(), await open()];
    const topic = `weird "topic"; select 1; ${'é'.repeat(80)}`;
    expect(channelOf(topic)).toMatch(/^[a-z_][a-z0-9_]{0,62}$/);
    const heard: string[] = [];
    const off = await b.subscribe(topic, (m) => heard.push(m));
    await a.publish(topic, 'first');
    await eventually(() => heard.length === 1);
    await off();
    await a.publish(topic, 'second');
    // A marker on another topic, sent after: once it arrives, 'second' would have too.
    const marker: string[] = [];
    await b.subscribe('marker', (m) => marker.push(m));
    await a.publish('marker', 'done');
    await eventually(() => marker.length === 1);
    expect(heard).toEqual(['first']);
  });

  it('reconnects its LISTEN connection when it drops, and listens again', async () => {
    const [a, b] = [await open(), await open()];
    const topic = 'till:payments:mer_reconnect:test';
    const heard: string[] = [];
    await b.subscribe(topic, (m) => heard.push(m));
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = current_database() and query ilike 'listen %' and pid <> pg_backend_pid()`,
      );
      expect(rows.length).toBeGreaterThan(0);
      for (const { pid } of rows) await admin.query('select pg_terminate_backend($1)', [pid]);
      // Until it listens again (at the earliest 100 ms later) it is not ready: it hears nobody.
      expect(await b.ping()).toBe(false);
    } finally {
      await admin.end();
    }
    // Published until one arrives: the new connection is listening again.
    await eventually(async () => {
      await a.publish(topic, 'after');
      return heard.includes('after');
    }, 10_000);
    expect(await b.ping()).toBe(true);
  });

  it('is ready with nobody subscribed, and while its LISTEN connection answers', async () => {
    const pubsub = await open();
    expect(await pubsub.ping()).toBe(true);
    const unsubscribe = await pubsub.subscribe('till:payments:mer_ready:test', () => {});
    expect(await pubsub.ping()).toBe(true);
    await unsubscribe();
  });
});
