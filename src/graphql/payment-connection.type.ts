import { Field, ObjectType } from 'type-graphql';
import { listWindow, type ListWindow } from '../http/list-params.js';
import { toGraphQLError } from './errors.js';
import { Payment } from './payment.type.js';

@ObjectType()
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field() hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType()
export class PaymentEdge {
  @Field() cursor!: string;
  @Field(() => Payment) node!: Payment;
}

@ObjectType({ description: 'Payments, newest first (Relay cursor connection).' })
export class PaymentConnection {
  @Field(() => [PaymentEdge]) edges!: PaymentEdge[];
  @Field(() => [Payment], { description: 'The nodes of `edges`, for clients that do not need cursors.' })
  nodes!: Payment[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

/** Cursors are opaque to clients: base64url of the payment id. */
export const encodeCursor = (paymentId: string) => Buffer.from(`payment:${paymentId}`).toString('base64url');
export function decodeCursor(cursor: string): string | null {
  const decoded = Buffer.from(cursor, 'base64url').toString();
  return /^payment:pay_[A-Za-z0-9]{24}$/.test(decoded) ? decoded.slice('payment:'.length) : null;
}

/**
 * The page a connection's `first` and `after` ask for: the bounds every list shares, a bad value
 * refused as BAD_USER_INPUT naming the argument.
 */
export function connectionWindow(
  first: number,
  after: string | null,
  decode: (cursor: string) => string | null,
): ListWindow {
  try {
    return listWindow(
      { limit: first, cursor: after },
      { limit: 'first', cursor: 'after' },
      { decodeCursor: decode },
    );
  } catch (error) {
    return toGraphQLError(error);
  }
}

/** A Relay connection's edges, nodes and pageInfo for one keyset page (payments, events). */
export function connection<T extends { id: string }>(
  nodes: T[],
  cursorOf: (id: string) => string,
  hasMore: boolean,
  afterACursor: boolean,
): { edges: { cursor: string; node: T }[]; nodes: T[]; pageInfo: PageInfo } {
  const edges = nodes.map((node) => ({ cursor: cursorOf(node.id), node }));
  return {
    edges,
    nodes,
    pageInfo: {
      hasNextPage: hasMore,
      hasPreviousPage: afterACursor,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
