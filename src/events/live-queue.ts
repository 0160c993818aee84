/**
 * What a subscription reads: values pushed as they happen, read one at a time as an async iterator.
 * A value pushed while nobody waits is buffered; ending the queue drops what is buffered and runs
 * `onEnd` (unsubscribing from pub/sub) once.
 *
 * A hand-written iterator rather than an async generator: `return()` must end the subscription at
 * once even while the reader waits for the next value (a suspended generator would not run its
 * `finally` until another value arrived).
 */
export class LiveQueue<T> implements AsyncIterableIterator<T> {
  /** Values pushed and not yet read, oldest first; a feed may reorder them before the first read. */
  readonly buffer: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private ended = false;
  private onEnd: () => Promise<void> = async () => {};

  get done(): boolean {
    return this.ended;
  }

  /** What to run when the queue ends (set once the subscription it reads exists). */
  whenEnded(onEnd: () => Promise<void>): void {
    this.onEnd = onEnd;
  }

  push(value: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value, done: false });
    } else this.buffer.push(value);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  async end(): Promise<IteratorResult<T>> {
    if (!this.ended) {
      this.ended = true;
      this.buffer.length = 0;
      this.waiting?.({ value: undefined, done: true });
      this.waiting = null;
      await this.onEnd();
    }
    return { value: undefined, done: true };
  }

  /**
   * The queue as the iterator a subscription resolver returns: the queue itself, its methods on its
   * prototype, so an idle subscriber holds no closures for it.
   */
  iterator(): AsyncIterableIterator<T> {
    return this;
  }

  return(): Promise<IteratorResult<T>> {
    return this.end();
  }

  async throw(error: unknown): Promise<IteratorResult<T>> {
    await this.end();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** An async iterator from its `next` and its `return`; `throw` ends it too, then rethrows. */
export function iteratorOf<T>(
  next: () => Promise<IteratorResult<T>>,
  end: () => Promise<IteratorResult<T>>,
): AsyncIterableIterator<T> {
  const iterator: AsyncIterableIterator<T> = {
    next,
    return: end,
    throw: async (error: unknown) => {
      await end();
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
