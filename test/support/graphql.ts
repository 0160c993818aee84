import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLReply<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** Runs a typed operation over HTTP against a listening Till. */
export async function gql<T, V>(
  base: string,
  document: TypedDocumentNode<T, V>,
  variables: V,
  options: { key?: string | null; headers?: Record<string, string> } = {},
): Promise<GraphQLReply<T>> {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await res.json()) as Omit<GraphQLReply<T>, 'status'>;
  return { status: res.status, ...body };
}

/** A real graphql-ws client (the `ws` package as transport) for subscriptions. */
export function wsClient(
  base: string,
  key: string | null,
  extra: Partial<Parameters<typeof createClient>[0]> = {},
): Client {
  return createClient({
    url: `${base.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
    lazy: true,
    ...extra,
  });
}

/** Collects a subscription's results so a test can wait for the n-th one. */
export class Collector<T> {
  readonly items: T[] = [];
  readonly errors: unknown[] = [];
  completed = false;
  private waiters: (() => void)[] = [];
  readonly dispose: () => void;

  constructor(client: Client, document: TypedDocumentNode<T, any>, variables: Record<string, unknown>) {
    this.dispose = client.subscribe<T>(
      { query: print(document), variables },
      {
        next: (value) => {
          if (value.errors) this.errors.push(...value.errors);
          if (value.data) this.items.push(value.data as T);
          this.notify();
        },
        error: (error) => {
          this.errors.push(error);
          this.notify();
        },
        complete: () => {
          this.completed = true;
          this.notify();
        },
      },
    );
  }

  private notify() {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Resolves when `predicate` holds, or rejects after `ms`. */
  async until(predicate: (c: this) => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate(this)) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out; items=${JSON.stringify(this.items)} errors=${JSON.stringify(this.errors)}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** The close code a graphql-ws subscription ended with (the client reports the CloseEvent), if any. */
export const closeCode = (collector: Collector<any>): number | undefined =>
  (
    collector.errors.find((e) => typeof (e as { code?: unknown }).code === 'number') as
      { code: number } | undefined
  )?.code;
