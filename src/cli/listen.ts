import http from 'node:http';
import https from 'node:https';
import { CloseCode, createClient } from 'graphql-ws';
import { eventObject, type EventParts } from '../events/outbox.js';
import { postWebhook } from '../webhooks/outbound.js';
import { newWebhookSecret, webhookHeaders } from '../webhooks/signing.js';

export interface ListenOptions {
  /** Till's base URL (`http://localhost:4000`); the socket is `ws(s)://…/graphql`. */
  url: string;
  /** A secret key (or access token) of the merchant whose events to follow. */
  key: string;
  /** Where to POST each event: the developer's own receiver, loopback included. */
  forwardTo: string;
  /** Ends the session (Ctrl-C): the promise then resolves with 0. */
  signal: AbortSignal;
}

/** Why `till listen` stopped on its own: the exit code and what to tell the developer. */
export class ListenError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}

/** Answers the forward target gets before `till listen` gives up on that event (as webhooks do). */
const FORWARD_TIMEOUTS = { connectTimeoutMs: 5_000, responseTimeoutMs: 10_000 };
/** The longest wait between two reconnection attempts. */
const MAX_RETRY_WAIT_MS = 30_000;

const NEWEST_EVENT = 'query NewestEvent { events(first: 1) { nodes { id } } }';
const EVENTS = `subscription ListenEvents($after: ID) {
  events(after: $after) { id type createdAt livemode object }
}`;

type CloseLike = { code: number; reason: string };
const isClose = (value: unknown): value is CloseLike =>
  typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;

/** `2026-11-22 14:03:07`, local time, as the developer's other logs print it. */
function clock(date = new Date()): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** What a failed operation says: a close code, GraphQL errors, or an error's message. */
function describe(error: unknown): string {
  if (isClose(error)) return `closed ${error.code}${error.reason ? ` ${error.reason}` : ''}`;
  if (Array.isArray(error)) return error.map((e: { message?: string }) => e.message ?? String(e)).join('; ');
  const { message } = (error ?? {}) as { message?: unknown };
  return typeof message === 'string' && message ? message : String(error);
}

/**
 * The failure of an operation, as the error `till listen` stops with. Till closes the socket with
 * 4403 Forbidden when it refuses the key: at connect, or the moment it is revoked or expires.
 */
function failure(error: unknown): ListenError {
  if (isClose(error) && error.code === CloseCode.Forbidden)
    return new ListenError(
      'Till refused the key (unknown, revoked or expired): pass a valid secret key with --key or TILL_API_KEY.',
      2,
    );
  return new ListenError(`till listen stopped: ${describe(error)}`, 1);
}

/**
 * `till listen`: follows the merchant's events over graphql-ws and forwards each to a local URL as a
 * Standard Webhooks request signed with a secret made for this session, one event at a time, in
 * order. Events stored after the newest one at start are forwarded; after a reconnection the
 * subscription resumes from the last event received, and Till replays what was missed. Resolves 0
 * when `signal` aborts; rejects with a `ListenError` when Till refuses the key (exit code 2) or the
 * subscription fails for good (1).
 */
export async function listen(options: ListenOptions): Promise<number> {
  // Events and answers on stdout; connection notices on stderr.
  const print = (line: string) => console.log(line);
  const notice = (line: string) => console.error(line);
  const { signal, forwardTo } = options;
  const secret = newWebhookSecret();
  const socketUrl = new URL('/graphql', options.url);
  socketUrl.protocol = socketUrl.protocol === 'https:' ? 'wss:' : 'ws:';

  let connected = false;
  let reported = false;
  const client = createClient({
    url: socketUrl.href,
    connectionParams: { authorization: `Bearer ${options.key}` },
    // A development session runs for hours across Till restarts: reconnect for as long as it lasts,
    // except when Till refuses the key (graphql-ws itself gives up on protocol errors and 4429).
    retryAttempts: Infinity,
    // A socket that fails to open reports an error event (not an Error: those are graphql-ws's own).
    shouldRetry: (event) => (isClose(event) ? event.code !== CloseCode.Forbidden : !(event instanceof Error)),
    retryWait: (retries) =>
      new Promise<void>((resolve) => {
        // Ctrl-C ends a wait at once (graphql-ws then finds the client disposed and stops).
        if (signal.aborted) return resolve();
        const wait = Math.min(1000 * 2 ** retries, MAX_RETRY_WAIT_MS) * (0.8 + Math.random() * 0.4);
        const timer = setTimeout(resolve, wait);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      }),
    // One socket for the whole session, opened at once (not per operation): the query that finds
    // where to start and the subscription that follows share it. Each operation reports its own
    // failure, so the connection's own report is not needed.
    lazy: false,
    onNonLazyError: () => {},
    on: {
      closed: (event) => {
        if (signal.aborted || (isClose(event) && event.code === CloseCode.Forbidden)) return;
        // Once per outage, not once per attempt.
        if (connected) notice(`${clock()}  connection lost (${describe(event)}); reconnecting…`);
        else if (!reported) notice(`${clock()}  cannot connect to ${socketUrl.href}; retrying…`);
        connected = false;
        reported = true;
      },
      connected: (_socket, _payload, wasRetry) => {
        connected = true;
        reported = false;
        if (wasRetry) notice(`${clock()}  reconnected; catching up from the last event received`);
      },
    },
  });

  let after: string | null = null;
  let forwarding = Promise.resolve();
  const forward = async (parts: EventParts) => {
    print(`${clock()}  --> ${parts.type} [${parts.id}]`);
    const body = JSON.stringify(eventObject(parts));
    const headers = webhookHeaders([secret], parts.id, Math.floor(Date.now() / 1000), body);
    try {
      // The target is the developer's own machine, named by them: loopback is the point here.
      const answer = await postWebhook(forwardTo, headers, body, { ...FORWARD_TIMEOUTS, allowPrivate: true });
      print(`${clock()}  <-- [${answer.status}] POST ${forwardTo} [${parts.id}]`);
    } catch (error) {
      print(`${clock()}  <-- [ERROR] POST ${forwardTo} [${parts.id}] ${describe(error)}`);
    }
  };

  try {
    return await new Promise<number>((resolve, reject) => {
      const operations: (() => void)[] = [];
      let finished = false;
      const finish = (outcome: number | ListenError) => {
        if (finished) return;
        finished = true;
        for (const end of operations) end();
        if (typeof outcome === 'number') resolve(outcome);
        else reject(outcome);
      };
      if (signal.aborted) return finish(0);
      signal.addEventListener('abort', () => finish(0), { once: true });

      // Start after the newest event there is now: whatever follows it is forwarded, including what
      // happens between "Ready!" and the subscription reaching Till (a merchant with no event yet
      // starts from the subscription itself).
      const follow = () =>
        client.subscribe<{ events: EventParts }>(
          {
            query: EVENTS,
            // Read each time the client (re)sends the subscription: after a reconnection it asks
            // for the events after the last one received, so none is lost and none is sent twice.
            get variables() {
              return { after };
            },
          },
          {
            next: (result) => {
              if (result.errors?.length) return finish(failure(result.errors));
              const event = result.data!.events;
              after = event.id;
              forwarding = forwarding.then(() => (finished ? undefined : forward(event)));
            },
            error: (error) => finish(failure(error)),
            complete: () => finish(new ListenError('till listen stopped: Till ended the subscription', 1)),
          },
        );
      operations.push(
        client.subscribe<{ events: { nodes: { id: string }[] } }>(
          { query: NEWEST_EVENT },
          {
            next: (result) => {
              if (result.errors?.length) return finish(failure(result.errors));
              after = result.data?.events.nodes[0]?.id ?? null;
            },
            error: (error) => finish(failure(error)),
            complete: () => {
              if (finished) return;
              print(`Ready! Your webhook signing secret is ${secret} (^C to quit)`);
              operations.push(follow());
            },
          },
        ),
      );
    });
  } finally {
    try {
      await client.dispose();
    } catch {
      // The connection attempt under way failed: there is no socket left to close.
    }
    // Kept-alive connections to the forward target would hold the process open for seconds more.
    http.globalAgent.destroy();
    https.globalAgent.destroy();
  }
}
