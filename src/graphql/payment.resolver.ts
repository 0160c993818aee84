import { Arg, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription, Authorized } from 'type-graphql';
import type { Permission } from '../services/permissions.js';
import { authorize } from './auth-checker.js';
import { LIMITS, type Payment as DomainPayment } from '../domain/payment.js';
import type { PaymentPayload } from '../events/payment-payload.js';
import type { IdempotencyService } from '../services/idempotency.js';
import type { PaymentService } from '../services/payments.js';
import type { AuthorizationService } from '../services/authorizations.js';
import { principalOf, type GraphQLContext } from './context.js';
import {
  CancelPaymentPayload,
  CreateHostedPaymentInput,
  CreateHostedPaymentPayload,
  toDomainInput,
} from './create-hosted-payment.input.js';
import { toGraphQLError, toUserErrors } from './errors.js';
import {
  connection,
  connectionWindow,
  decodeCursor,
  encodeCursor,
  PaymentConnection,
} from './payment-connection.type.js';
import { PaymentFilter, toDomainFilter } from './payment-filter.input.js';
import { Payment } from './payment.type.js';

export interface PaymentResolverDeps {
  payments: PaymentService;
  idempotency: IdempotencyService;
  authorizations: AuthorizationService;
  publicUrl: string;
}

/** GraphQL's payment operations: a thin adapter over PaymentService. */
@Resolver(() => Payment)
export class PaymentResolver {
  constructor(private readonly deps: PaymentResolverDeps) {}

  private view(payment: DomainPayment): Payment {
    return Payment.from(payment, this.deps.publicUrl);
  }

  @Authorized<Permission>('payments:read')
  @Query(() => Payment, { description: 'One of your payments, by id.' })
  async payment(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<Payment> {
    const principal = principalOf(ctx);
    return this.view(await this.deps.payments.getPayment(principal, id).catch(toGraphQLError));
  }

  @Authorized<Permission>('payments:read')
  @Query(() => PaymentConnection, { description: 'Your payments, newest first.' })
  async payments(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: LIMITS.listDefault, description: `1 to ${LIMITS.listMax}.` })
    first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('filter', () => PaymentFilter, { nullable: true }) filter: PaymentFilter | null,
  ): Promise<PaymentConnection> {
    const principal = principalOf(ctx);
    const window = connectionWindow(first, after, decodeCursor);
    const page = await this.deps.payments
      .listPayments(principal, { ...window, filter: toDomainFilter(filter) })
      .catch((error) => {
        throw toGraphQLError(error);
      });
    const nodes = page.data.map((p) => this.view(p));
    return connection(nodes, encodeCursor, page.hasMore, window.startingAfter !== null);
  }

  @Authorized<Permission>('payments:write')
  @Mutation(() => CreateHostedPaymentPayload, {
    description: 'Creates a hosted payment and returns the URL to send the customer to.',
  })
  async createHostedPayment(
    @Arg('input', () => CreateHostedPaymentInput) input: CreateHostedPaymentInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<CreateHostedPaymentPayload> {
    const principal = principalOf(ctx);
    const { idempotencyKey, ...params } = input;
    try {
      // A fresh answer is viewed from the domain Payment just created; only a replay reads the stored JSON.
      let fresh: CreateHostedPaymentPayload | null = null;
      const { body, replayed } = await this.deps.idempotency.perform(
        {
          principal,
          key: idempotencyKey ?? ctx.idempotencyKey,
          required: false,
          keyField: 'idempotencyKey',
          operation: 'graphql createHostedPayment',
          params,
        },
        async (tx) => {
          // With a key, the payment's writes go with the stored key, in one statement.
          const created = await this.deps.payments.stageHostedPayment(principal, toDomainInput(input), tx);
          const sessionId = created.payment.sessionId ?? null;
          fresh = {
            payment: this.view(created.payment),
            hostedPaymentUrl: created.redirectUrl,
            sessionId,
            userErrors: [],
          };
          // A StoredCreate's JSON, around the payment's JSON the service already made for its event.
          const body = `{"payment":${created.payloadJson},"redirectUrl":${JSON.stringify(created.redirectUrl)},"sessionId":${JSON.stringify(sessionId)}}`;
          return { status: 200, body, writes: created.writes };
        },
        { transactional: true },
      );
      if (fresh && !replayed) return fresh;
      const stored = JSON.parse(body) as StoredCreate;
      return {
        payment: Payment.fromPayload(stored.payment, this.deps.publicUrl),
        hostedPaymentUrl: stored.redirectUrl,
        sessionId: stored.sessionId,
        userErrors: [],
      };
    } catch (error) {
      return {
        payment: null,
        hostedPaymentUrl: null,
        sessionId: null,
        userErrors: toUserErrors(error, ['input']),
      };
    }
  }

  @Authorized<Permission>('payments:write')
  @Mutation(() => CancelPaymentPayload, {
    description: 'Cancels a PENDING or REQUIRES_ACTION payment, or voids an AUTHORIZED one.',
  })
  async cancelPayment(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<CancelPaymentPayload> {
    const principal = principalOf(ctx);
    try {
      return { payment: this.view(await this.deps.authorizations.cancel(principal, id)), userErrors: [] };
    } catch (error) {
      return { payment: null, userErrors: toUserErrors(error, []) };
    }
  }

  @Subscription(() => Payment, {
    description:
      "A payment's status changes, starting with its current state; all of your payments when paymentId is omitted.",
    subscribe: async ({ args, context }) => {
      const principal = authorize(context as GraphQLContext, 'payments:read');
      const paymentId = (args as { paymentId?: string | null }).paymentId ?? null;
      return (context as GraphQLContext).openPaymentFeed(principal, paymentId).catch(toGraphQLError);
    },
  })
  paymentStatusChanged(
    @Root() payment: PaymentPayload,
    @Arg('paymentId', () => ID, { nullable: true }) _paymentId: string | null,
  ): Payment {
    // Subscribers of one change share one payload; convert it once for all of them.
    let view = subscriptionViews.get(payment);
    if (!view) subscriptionViews.set(payment, (view = Payment.fromPayload(payment, this.deps.publicUrl)));
    return view;
  }
}

const subscriptionViews = new WeakMap<PaymentPayload, Payment>();

/** What an idempotent create stores, for a replay to answer the same. */
interface StoredCreate {
  payment: PaymentPayload;
  redirectUrl: string;
  sessionId: string | null;
}
