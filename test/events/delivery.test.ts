import { Deliveries, LISTENERS_PER_TURN } from '../../src/events/delivery.js';
import type { Listener } from '../../src/events/pubsub.js';
import { InProcessPubSub } from '../../src/events/pubsub.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Waits until nothing is left to deliver (each turn delivers a slice). */
const drained = async (done: () => boolean) => {
  for (let i = 0; i < 1000 && !done(); i++) await turn();
};

describe('delivering a message to its listeners', () => {
  it('hands a message to a small audience within the call', () => {
    const deliveries = new Deliveries();
    const heard: string[] = [];
    deliveries.deliver(new Set<Listener>([(m) => heard.push(`a:${m}`), (m) => heard.push(`b:${m}`)]), 'm1');
    expect(heard).toEqual(['a:m1', 'b:m1']);
  });

  it('lets the event loop turn between slices of a large audience, and keeps every listener in order', async () => {
    const deliveries = new Deliveries();
    const count = LISTENERS_PER_TURN * 4 + 7;
    const heard: string[][] = Array.from({ length: count }, () => []);
    const listeners = new Set<Listener>(heard.map((list) => (m: string) => list.push(m)));
    let turnedAt = -1;
    setImmediate(() => (turnedAt = heard.filter((list) => list.length > 0).length));
    deliveries.deliver(listeners, 'm1');
    deliveries.deliver(listeners, 'm2');
    // The first slice was heard at once; the rest waits for later turns.
    expect(heard.filter((list) => list.length > 0)).toHaveLength(LISTENERS_PER_TURN);
    await drained(() => heard.every((list) => list.length === 2));
    expect(turnedAt).toBeGreaterThan(0);
    expect(turnedAt).toBeLessThan(count);
    for (const list of heard) expect(list).toEqual(['m1', 'm2']);
  });

  it('skips a listener that left before its turn, and survives one that throws', async () => {
    const deliveries = new Deliveries();
    const heard: number[] = [];
    const listeners = new Set<Listener>();
    const all: Listener[] = [];
    for (let i = 0; i < LISTENERS_PER_TURN * 2; i++) {
      const listener: Listener = () => {
        if (i === 3) throw new Error('subscriber failure');
        heard.push(i);
      };
      all.push(listener);
      listeners.add(listener);
    }
    deliveries.deliver(listeners, 'm');
    const last = LISTENERS_PER_TURN * 2 - 1;
    listeners.delete(all[last]!);
    await drained(() => heard.length >= last - 1);
    await turn();
    expect(heard).toHaveLength(last - 1);
    expect(heard).not.toContain(3);
    expect(heard).not.toContain(last);
  });

  it('delivers a message published by a listener after the one it is hearing', () => {
    const deliveries = new Deliveries();
    const heard: string[] = [];
    const listeners = new Set<Listener>();
    listeners.add((m) => {
      heard.push(`first:${m}`);
      if (m === 'm1') deliveries.deliver(listeners, 'm2');
    });
    listeners.add((m) => heard.push(`second:${m}`));
    deliveries.deliver(listeners, 'm1');
    expect(heard).toEqual(['first:m1', 'second:m1', 'first:m2', 'second:m2']);
  });

  it('in process, a topic forgets its last listener and its messages reach only current listeners', async () => {
    const pubsub = new InProcessPubSub();
    const heard: string[] = [];
    const stop = await pubsub.subscribe('t', (m) => heard.push(m));
    await pubsub.publish('t', 'one');
    await stop();
    await pubsub.publish('t', 'two');
    expect(heard).toEqual(['one']);
  });
});
