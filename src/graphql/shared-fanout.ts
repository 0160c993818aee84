import {
  createSourceEventStream,
  execute,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
} from 'graphql';
import type { Context } from 'graphql-ws';
import { Counter, type Registry } from 'prom-client';
import WebSocket from 'ws';
import { permissionsOf } from '../services/permissions.js';
import type { Principal } from '../services/principal.js';
import type { GraphQLContext } from './context.js';

/** Close code of a socket whose outgoing frame could not be assembled (RFC 6455: Internal Error). */
export const INTERNAL_ERROR = 1011;

/**
 * A subscription result serialised once for every socket that sends it. graphql-ws builds each
 * `next` message as `{"id":…,"type":"next","payload":…}` and sends it at once; the payload it
 * serialises is {@link marker}, whose JSON is a token unique to this result, so the message ends
 * with {@link tail}. The socket ({@link TillSocket}) puts {@link json} in the token's place.
 */
export interface SharedFrame {
  /** The payload as graphql-ws would have serialised it: the result, its errors formatted. */
  readonly json: string;
  /** What graphql-ws serialises in place of the payload. */
  readonly marker: { toJSON(): string };
  /** How a `next` message carrying {@link marker} ends. */
  readonly tail: string;
}

/** A token's text: a control character no serialised string carries unescaped, and a serial number. */
const TOKEN_PREFIX = '\u0001till-frame:';
/** The end of a `next` message whose payload is a token (any token, matched or not). */
const TOKEN_TAIL = /"payload":"\\u0001till-frame:\d+"\}$/;

let serial = 0;
const frames = new WeakMap<ExecutionResult, SharedFrame>();

/** The frame of a result, serialised the first time any socket sends it. */
export function frameOf(result: ExecutionResult): SharedFrame {
  let frame = frames.get(result);
  if (!frame) {
    const { errors, ...rest } = result;
    // The same shape graphql-ws sends: errors in their JSON form, and absent when there are none.
    const payload: FormattedExecutionResult = errors
      ? { ...rest, errors: errors.map((e) => e.toJSON()) }
      : rest;
    const token = `${TOKEN_PREFIX}${++serial}`;
    frame = {
      json: JSON.stringify(payload),
      marker: { toJSON: () => token },
      tail: `"payload":${JSON.stringify(token)}}`,
    };
    frames.set(result, frame);
  }
  return frame;
}

/**
 * A graphql-ws socket that sends shared frames: a `next` message whose payload is a frame's token
 * goes out with the frame's JSON in the token's place. The frames a socket is about to send are
 * announced with {@link expect} (graphql-ws's onNext, right before it serialises and sends). A
 * token nobody announced on this socket is a bug: the message is not sent, the socket is closed
 * with 1011, and {@link frameMismatch} is told ({@link tillSocketClass} names who hears it).
 */
export class TillSocket extends WebSocket {
  private expected: SharedFrame[] | null = null;
  /** A ping went out and its pong has not come back yet. */
  private awaitingPong = false;

  /**
   * One beat of the server's keep-alive (one timer for every socket instead of one per socket): a
   * socket that did not answer the previous beat's ping is terminated, the others are pinged.
   */
  heartbeat(): void {
    if (this.readyState !== WebSocket.OPEN) return;
    if (this.awaitingPong) {
      this.terminate();
      return;
    }
    this.awaitingPong = true;
    this.ping();
  }

  /** The next `next` message on this socket for `frame` carries its token. */
  expect(frame: SharedFrame): void {
    if (this.expected) this.expected.push(frame);
    else this.expected = [frame];
  }

  override send(data: unknown, ...rest: unknown[]): void {
    const message = typeof data === 'string' ? this.splice(data) : data;
    if (message === null) return;
    (super.send as (data: unknown, ...rest: unknown[]) => void)(message, ...rest);
  }

  /** The message to send for `data`: itself, or with a frame's JSON in place of its token (null: none). */
  private splice(data: string): string | null {
    const expected = this.expected;
    if (expected) {
      for (let i = 0; i < expected.length; i++) {
        const frame = expected[i]!;
        if (!data.endsWith(frame.tail)) continue;
        if (expected.length === 1) this.expected = null;
        else expected.splice(i, 1);
        return `${data.slice(0, data.length - frame.tail.length)}"payload":${frame.json}}`;
      }
    }
    if (!TOKEN_TAIL.test(data)) return data;
    this.frameMismatch(data.slice(0, 200));
    this.close(INTERNAL_ERROR, 'Internal server error');
    return null;
  }

  /**
   * A client that breaks the WebSocket protocol (a message over `maxPayload`, bad UTF-8, a bad
   * frame) makes `ws` emit an `error` with a `WS_ERR_…` code and close the socket itself with the
   * matching status (1009, 1007, 1002). graphql-ws would print each one with a stack trace on
   * stderr — a log flood anyone could cause without credentials — so those are reported once,
   * quietly ({@link protocolError}), and never reach it. Any other error still does.
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'pong') this.awaitingPong = false;
    const code = (args[0] as { code?: unknown } | undefined)?.code;
    if (event === 'error' && typeof code === 'string' && code.startsWith('WS_ERR_')) {
      this.protocolError(code);
      return true;
    }
    return super.emit(event, ...args);
  }

  /** Told the start of a message whose token this socket did not expect. */
  protected frameMismatch(_message: string): void {}

  /** Told the `WS_ERR_…` code of a client breaking the protocol. */
  protected protocolError(_code: string): void {}
}

/** Where one server's sockets report. */
export interface SocketReports {
  frameMismatch(message: string): void;
  protocolError(code: string): void;
}

/** The socket class for one server's `WebSocketServer`, reporting to `reports`. */
export function tillSocketClass(reports: SocketReports): typeof TillSocket {
  return class extends TillSocket {
    protected override frameMismatch(message: string): void {
      reports.frameMismatch(message);
    }

    protected override protocolError(code: string): void {
      reports.protocolError(code);
    }
  };
}

/** The socket graphql-ws's `ws` adapter passes as `ctx.extra.socket`. */
interface SocketExtra {
  socket: WebSocket;
}

/**
 * Everything a subscription's result depends on besides its source event: the operation (its text,
 * name and variables) and what its caller may see (merchant, mode, and the permissions its role or
 * credential grants, which decide the fields that resolve). Callers with the same key get the same
 * result for the same event.
 */
export function groupKeyOf(args: ExecutionArgs): string {
  const principal = (args.contextValue as Partial<GraphQLContext> | undefined)?.principal ?? null;
  return intern(
    JSON.stringify([
      args.document.loc?.source.body ?? null,
      args.operationName ?? null,
      canonical(args.variableValues ?? null),
      scopeOf(principal),
    ]),
  );
}

/** Keys in use, so the subscribers of a group hold one copy of theirs (forgotten past {@link MAX_KEYS}). */
const keys = new Map<string, string>();
const MAX_KEYS = 10_000;
function intern(key: string): string {
  const known = keys.get(key);
  if (known !== undefined) return known;
  if (keys.size >= MAX_KEYS) keys.clear();
  keys.set(key, key);
  return key;
}

function scopeOf(principal: Principal | null): unknown {
  if (!principal) return null;
  return [principal.merchantId, principal.livemode, [...permissionsOf(principal)].sort()];
}

/** A JSON value with its object keys sorted, so equal variables give equal keys. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort())
    sorted[key] = canonical((value as Record<string, unknown>)[key]);
  return sorted;
}

type Settled = ExecutionResult | Promise<ExecutionResult>;

/**
 * Subscription execution shared by identical subscribers. Each subscriber still reads its own
 * source stream (its feed holds its own initial state and de-duplication), but the result of one
 * source event is executed once per group of subscribers with the same {@link groupKeyOf}, the
 * first of them executing it with its own context, and serialised once ({@link frameOf}). Feeds
 * of one published message yield the same event object, which keys the memo, so the memo lives as
 * long as some subscriber still holds that event. An event only one subscriber sees (its initial
 * state) is executed for that subscriber alone.
 */
export class SharedSubscriptions {
  private readonly results = new WeakMap<object, Map<string, Settled>>();
  private readonly executions: Counter | null;

  constructor(registry?: Registry | null) {
    this.executions = registry
      ? new Counter({
          name: 'till_subscription_executions_total',
          help: 'Subscription results executed: one per source event and group of identical subscribers.',
          registers: [registry],
        })
      : null;
  }

  /** For graphql-ws's `subscribe`: graphql-js's `subscribe`, its results shared. */
  readonly subscribe = async (
    args: ExecutionArgs,
  ): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in stream)) return stream;
    return new SharedStream(this, stream[Symbol.asyncIterator](), args, groupKeyOf(args));
  };

  /**
   * For graphql-ws's `onNext`: the socket is told which frame its next message carries, and graphql-ws
   * serialises that frame's marker instead of the result.
   */
  readonly onNext = (
    ctx: Context<Record<string, unknown> | undefined, SocketExtra>,
    _id: string,
    _payload: unknown,
    _args: ExecutionArgs,
    result: ExecutionResult,
  ): FormattedExecutionResult | undefined => {
    const socket = ctx.extra.socket;
    if (!(socket instanceof TillSocket)) return undefined;
    const frame = frameOf(result);
    socket.expect(frame);
    return frame.marker as FormattedExecutionResult;
  };

  /** The result of `event` for the subscribers `key` names, executed once. */
  resultOf(event: unknown, key: string, args: ExecutionArgs): Settled {
    if (event === null || typeof event !== 'object') return this.execute(event, args);
    let byGroup = this.results.get(event);
    if (!byGroup) this.results.set(event, (byGroup = new Map()));
    let result = byGroup.get(key);
    if (result === undefined) {
      const settled = this.execute(event, args);
      byGroup.set(key, settled);
      // Later subscribers take the settled result itself, without waiting a tick.
      if (settled instanceof Promise)
        void settled.then(
          (value) => byGroup.set(key, value),
          () => {},
        );
      result = settled;
    }
    return result;
  }

  private execute(event: unknown, args: ExecutionArgs): Settled {
    this.executions?.inc();
    return execute({ ...args, rootValue: event });
  }
}

/** One subscriber's results: its source events, mapped through the shared results. */
class SharedStream implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly shared: SharedSubscriptions,
    private readonly source: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
    private readonly key: string,
  ) {}

  async next(): Promise<IteratorResult<ExecutionResult>> {
    const step = await this.source.next();
    if (step.done) return { value: undefined, done: true };
    try {
      return { value: await this.shared.resultOf(step.value, this.key, this.args), done: false };
    } catch (error) {
      await this.return();
      throw error;
    }
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
